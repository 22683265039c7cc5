import express, { NextFunction, Request, Response, Router } from "express";
import { z } from "zod";
import { refuseCrossSite, resolveAdmin } from "./auth.js";
import { openApiDocument } from "./openapi.js";
import { ApiProblem, problemHandler } from "./problems.js";
import { apiTokenRoutes } from "./resources/api-tokens.js";
import { auditEventRoutes } from "./resources/audit-events.js";
import { connectionRoutes } from "./resources/connections.js";
import { groupRoutes } from "./resources/groups.js";
import { mappingRoutes } from "./resources/mappings.js";
import { organizationRoutes } from "./resources/organizations.js";
import { scimTokenRoutes } from "./resources/scim-tokens.js";
import { sessionRoutes } from "./resources/session.js";
import { setupLinkRoutes } from "./resources/setup-links.js";
import { teamRoutes } from "./resources/teams.js";
import { userRoutes } from "./resources/users.js";
import { AdminDeps, publicRoute, Route } from "./routing.js";

/** Large enough for a SAML metadata document pasted as XML (1 MiB) inside its JSON body. */
const MAX_BODY = "2mb";

/**
 * U+0000 can be stored nowhere (PostgreSQL text refuses it), so it is refused in the URL and the body before any
 * query sees it. JSON can only carry it escaped, and the parsed body re-serialises it the same way.
 */
function refuseNul(req: Request, _res: Response, next: NextFunction) {
  if (/%00/i.test(req.originalUrl) || JSON.stringify(req.body ?? null).includes("\\u0000")) {
    throw new ApiProblem("bad_request", "The request contains U+0000 (NUL), which no value can hold.");
  }
  next();
}

/** Every route of the admin API, the OpenAPI document's included: the router mounts exactly these. */
export function adminRoutes(deps: AdminDeps): Route[] {
  const routes = [
    sessionRoutes, organizationRoutes, connectionRoutes, scimTokenRoutes, teamRoutes, mappingRoutes, userRoutes, groupRoutes,
    auditEventRoutes, setupLinkRoutes, apiTokenRoutes,
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
    const hasBody = req.get("Transfer-Encoding") !== undefined || Number(req.get("Content-Length") ?? 0) > 0;
    if (hasBody && !req.is("application/json")) throw new ApiProblem("unsupported_media_type", "Send the request body as application/json.");
    next();
  });
  router.use(express.json({ limit: MAX_BODY }));
  router.use(refuseNul);
  router.use(resolveAdmin(deps.db));
  for (const route of adminRoutes(deps)) router[route.method](route.path, (req, res) => route.run(req, res));
  router.use((req: Request) => {
    throw new ApiProblem("not_found", `No admin API endpoint ${req.method} ${req.baseUrl}${req.path}.`);
  });
  router.use(problemHandler());
  return router;
}
