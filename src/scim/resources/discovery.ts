import { Router } from "express";
import { ScimDeps, SCIM_PREFIX } from "../context.js";
import { ScimError } from "../errors.js";
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
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    pagination: { cursor: false, index: true, defaultPaginationMethod: "index", defaultPageSize: DEFAULT_COUNT, maxPageSize: MAX_RESULTS },
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
