import { Router } from "express";
import { BULK_LIMITS } from "../bulk-request.js";
import { ScimDeps, SCIM_PREFIX } from "../context.js";
import { ScimError } from "../errors.js";
import { CURSOR_TIMEOUT_SECONDS } from "../cursor.js";
import { DEFAULT_COUNT, MAX_RESULTS } from "../list-request.js";
import { LIST_RESPONSE_URN, resourceTypes, schemaDefs } from "../schemas.js";

const SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const RESOURCE_TYPE_URN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SPC_URN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

const list = (resources: unknown[]) =>
  ({ schemas: [LIST_RESPONSE_URN], totalResults: resources.length, startIndex: 1, itemsPerPage: resources.length, Resources: resources });

/** RFC 7644 §4: what this server supports, advertised only where it really works. */
export function discoveryRouter(deps: ScimDeps): Router {
  const router = Router();
  const base = `${deps.baseUrl}${SCIM_PREFIX}`;
  const meta = (resourceType: string, path: string) => ({ resourceType, location: `${base}${path}` });

  const schemas = schemaDefs.map((s) => ({ schemas: [SCHEMA_URN], ...s, meta: meta("Schema", `/Schemas/${s.id}`) }));
  const types = resourceTypes.map((t) => ({ schemas: [RESOURCE_TYPE_URN], ...t, meta: meta("ResourceType", `/ResourceTypes/${t.id}`) }));
  const config = {
    schemas: [SPC_URN],
    documentationUri: "https://github.com/rollcall/rollcall#readme",
    patch: { supported: true },
    bulk: { supported: true, ...BULK_LIMITS },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    // RFC 9865 §4. Cursors on /Users and /Groups (GET and /.search); the root /.search pages by index only.
    pagination: {
      cursor: true, index: true, defaultPaginationMethod: "index", defaultPageSize: DEFAULT_COUNT, maxPageSize: MAX_RESULTS,
      cursorTimeout: CURSOR_TIMEOUT_SECONDS,
    },
    authenticationSchemes: [{
      type: "oauthbearertoken", name: "Bearer token", primary: true,
      description: "A SCIM token issued by Rollcall for one organization, sent as Authorization: Bearer <token>.",
    }],
    meta: meta("ServiceProviderConfig", "/ServiceProviderConfig"),
  };

  const byId = <T extends { id: string }>(items: T[], what: string) => (id: string) => {
    const found = items.find((i) => i.id.toLowerCase() === id.toLowerCase());
    if (!found) throw new ScimError(404, null, `${what} ${id} not found`);
    return found;
  };
  const schemaById = byId(schemas, "Schema");
  const typeById = byId(types, "ResourceType");

  router.get("/ServiceProviderConfig", (_req, res) => void res.json(config));
  router.get("/Schemas", (_req, res) => void res.json(list(schemas)));
  router.get("/Schemas/:id", (req, res) => void res.json(schemaById(req.params.id)));
  router.get("/ResourceTypes", (_req, res) => void res.json(list(types)));
  router.get("/ResourceTypes/:id", (req, res) => void res.json(typeById(req.params.id)));
  return router;
}
