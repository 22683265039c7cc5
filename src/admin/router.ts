import { NextFunction, Request, Response, Router } from "express";
import { z } from "zod";
import { unstorableCharacters } from "../identity/text.js";
import { carriesBody, jsonBody } from "../json-body.js";
import { adminOf, refuseCrossSite, resolveAdmin } from "./auth.js";
import { openApiDocument } from "./openapi.js";
import { ApiProblem, problemHandler } from "./problems.js";
import { appRoutes } from "./resources/apps.js";
import { apiTokenRoutes } from "./resources/api-tokens.js";
import { auditEventRoutes } from "./resources/audit-events.js";
import { connectionRoutes } from "./resources/connections.js";
import { domainRoutes } from "./resources/domains.js";
import { eventRoutes } from "./resources/events.js";
import { groupRoutes } from "./resources/groups.js";
import { mappingRoutes } from "./resources/mappings.js";
import { organizationRoutes } from "./resources/organizations.js";
import { scimTokenRoutes } from "./resources/scim-tokens.js";
import { sessionRoutes } from "./resources/session.js";
import { setupLinkRoutes } from "./resources/setup-links.js";
import { teamRoutes } from "./resources/teams.js";
import { userRoutes } from "./resources/users.js";
import { webhookRoutes } from "./resources/webhooks.js";
import { AdminDeps, publicRoute, Route } from "./routing.js";

/** Large enough for a SAML metadata document pasted as XML (1 MiB) inside its JSON body. */
const MAX_BODY = 2 * 1024 * 1024;
/** Bodies of callers not yet known (a password login, a setup-link redemption) are a few hundred bytes. */
const MAX_ANONYMOUS_BODY = 8 * 1024;

/** Every string in a parsed body, keys included; iterative, and bodies are depth-bounded by jsonBody anyway. */
function* stringsIn(value: unknown): Generator<string> {
  const stack = [value];
  while (stack.length) {
    const item = stack.pop();
    if (typeof item === "string") yield item;
    else if (Array.isArray(item)) for (const element of item) stack.push(element);
    else if (item !== null && typeof item === "object") for (const [k, v] of Object.entries(item)) stack.push(k, v);
  }
}

/**
 * Text that cannot be stored as it was sent (identity/text.ts: U+0000, lone UTF-16 surrogates) is refused before any
 * query sees it, anywhere in the body.
 */
function refuseUnstorableText(req: Request, _res: Response, next: NextFunction) {
  if (/%00/i.test(req.originalUrl)) throw new ApiProblem("bad_request", "The URL contains U+0000 (NUL), which no value can hold.");
  for (const text of stringsIn(req.body)) {
    const problem = unstorableCharacters(text);
    if (problem) throw new ApiProblem("bad_request", `A value in the request ${problem}, which no value can hold.`);
  }
  next();
}

/** Anonymous callers get a small body limit; the caller is resolved first so that nobody unknown costs much. */
function bodyForCaller() {
  const [anonymous, known] = [jsonBody(MAX_ANONYMOUS_BODY), jsonBody(MAX_BODY)];
  return (req: Request, res: Response, next: NextFunction) => (adminOf(res) ? known : anonymous)(req, res, next);
}

/** Every route of the admin API, the OpenAPI document's included: the router mounts exactly these. */
export function adminRoutes(deps: AdminDeps): Route[] {
  const routes = [
    sessionRoutes, organizationRoutes, connectionRoutes, domainRoutes, scimTokenRoutes, teamRoutes, mappingRoutes, userRoutes, groupRoutes,
    auditEventRoutes, eventRoutes, webhookRoutes, setupLinkRoutes, apiTokenRoutes, appRoutes,
  ].flatMap((resource) => resource(deps));
  routes.push(publicRoute({
    method: "get", path: "/openapi.json", tag: "Meta", summary: "This API's OpenAPI 3.0 document",
    response: z.looseObject({ openapi: z.string() }),
    handle: async () => document,
  }));
  const document = openApiDocument(routes, deps.baseUrl);
  return routes;
}

/** The admin API, mounted at /api/v1: JSON in, JSON or problem+json out. */
export function adminRouter(deps: AdminDeps): Router {
  const router = Router();
  router.use(refuseCrossSite(deps.baseUrl));
  router.use((req: Request, _res: Response, next) => {
    // A body of another type (a form post, text/plain) is refused; an empty one (a bare POST) is no body at all.
    if (carriesBody(req) && !req.is("application/json")) throw new ApiProblem("unsupported_media_type", "Send the request body as application/json.");
    next();
  });
  router.use(resolveAdmin(deps.db));
  router.use(bodyForCaller());
  router.use(refuseUnstorableText);
  for (const route of adminRoutes(deps)) router[route.method](route.path, (req, res) => route.run(req, res));
  router.use((req: Request) => {
    throw new ApiProblem("not_found", `No admin API endpoint ${req.method} ${req.baseUrl}${req.path}.`);
  });
  router.use(problemHandler());
  return router;
}
