import { Logger } from "pino";
import { NextFunction, Request, RequestHandler, Response, Router } from "express";
import { IdentityError } from "../identity/errors.js";
import { authenticateScimToken } from "../identity/scim-tokens.js";
import { scimOperationMetrics } from "../metrics.js";
import { LimiterDeps, RateLimits, scimRateLimit } from "../rate-limit.js";
import { OrganizationBusy } from "../db/fair-queue.js";
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from "../db/unavailable.js";
import { carriesBody, closeIfBodyUnread, JSON_TYPES, jsonBody, MAX_JSON_DEPTH } from "../json-body.js";
import { BULK_LIMITS } from "./bulk-request.js";
import { ScimDeps } from "./context.js";
import { dialectOf, normaliseIngress } from "./dialects/index.js";
import { ScimError } from "./errors.js";
import { bulkHandler } from "./resources/bulk.js";
import { discoveryRouter } from "./resources/discovery.js";
import { groupsRouter } from "./resources/groups.js";
import { me } from "./resources/me.js";
import { rootSearch } from "./resources/root-search.js";
import { usersRouter } from "./resources/users.js";

/**
 * Largest request body accepted under /scim/v2 (Bulk has its own): a PUT of a 50,000-member group with each
 * member's `display`, as Okta pushes it, is about 5.5 MB. Read only once the caller's token is known.
 */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
const SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8";

function bearerToken(req: Request): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get("Authorization") ?? "");
  return match ? match[1] : null;
}

function authenticate(deps: ScimDeps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const presented = bearerToken(req);
    const token = presented ? await authenticateScimToken(deps.db, presented) : null;
    if (!token) {
      res.set("WWW-Authenticate", 'Bearer realm="rollcall-scim"');
      throw new ScimError(401, null, "A valid SCIM bearer token is required: send Authorization: Bearer <token> (create one with the CLI or admin API).");
    }
    res.locals.caller = { organizationId: token.organizationId, actor: { type: "scim_token", id: token.id } };
    next();
  };
}

const IDENTITY_STATUS: Record<IdentityError["reason"], [number, ScimError["scimType"]]> = {
  notFound: [404, null],
  conflict: [409, "uniqueness"],
  invalid: [400, "invalidValue"],
  versionMismatch: [412, null],
};

/**
 * Failures of Express reading the request: body-parser's, by the `type` it tags them with (a body that does not
 * inflate keeps zlib's `Z_…` code instead), and the router's percent-decoding of a path parameter.
 */
function parserError(err: { type?: string; code?: unknown; limit?: number; message?: string }): ScimError | null {
  switch (err.type) {
    case "entity.parse.failed": return new ScimError(400, "invalidSyntax", "The request body is not valid JSON.");
    case "entity.too.deep": return new ScimError(400, "invalidSyntax", `The request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`);
    case "entity.too.large": return new ScimError(413, "tooLarge",
      `The request body exceeds ${err.limit ?? MAX_BODY_BYTES} bytes: split it (Bulk operations, or PATCH member changes in several requests).`);
    case "encoding.unsupported":
    case "charset.unsupported": return new ScimError(415, null, "The request body must be UTF-8 JSON.");
    case "request.aborted": return new ScimError(400, "invalidSyntax", "The request body was cut short.");
  }
  if (typeof err.code === "string" && err.code.startsWith("Z_")) return new ScimError(400, "invalidSyntax", "The request body does not match its Content-Encoding.");
  if (err instanceof URIError) return new ScimError(400, null, "The request path is not valid percent-encoding.");
  return null;
}

/** The one place where anything thrown under /scim/v2 becomes a SCIM Error response. */
function toScimError(err: unknown): ScimError | null {
  if (err instanceof ScimError) return err;
  if (err instanceof IdentityError) {
    const [status, scimType] = IDENTITY_STATUS[err.reason];
    return new ScimError(status, scimType, err.message);
  }
  if (err instanceof OrganizationBusy) return new ScimError(429, null, `${err.message} (Retry-After)`);
  if (isDatabaseUnavailable(err)) {
    return new ScimError(503, null, `The database is not answering; nothing was changed. Retry after ${DATABASE_RETRY_AFTER_SECONDS} seconds (Retry-After).`);
  }
  return parserError(err as { type?: string });
}

/** toScimError, with anything it does not know logged as the bug it is and answered 500. */
function scimErrorOf(log: Logger, err: unknown, context: Record<string, unknown>): ScimError {
  const known = toScimError(err);
  if (!known) log.error({ err, ...context }, "SCIM request failed");
  return known ?? new ScimError(500, null, "Internal error; the request changed nothing. Retry, and report it if it persists.");
}

function errorHandler() {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const error = scimErrorOf(req.log, err, {});
    // A request refused before its body was read never met normaliseIngress: label it by its headers.
    res.locals.dialect ??= dialectOf({ method: req.method, path: req.path, query: req.query as Record<string, unknown>, headers: req.headers, body: undefined });
    if (res.headersSent) return;
    closeIfBodyUnread(req, res);
    if ((error.status === 503 || error.status === 429) && !res.get("Retry-After")) res.set("Retry-After", String(DATABASE_RETRY_AFTER_SECONDS));
    res.status(error.status).type(SCIM_CONTENT_TYPE).json(error.toJSON());
  };
}

/** Requests with a body must send JSON; anything else is refused before it is read. */
function requireJson(req: Request, _res: Response, next: NextFunction) {
  if (carriesBody(req) && !req.is(JSON_TYPES)) {
    throw new ScimError(415, null, "Send the body as application/scim+json (or application/json).");
  }
  next();
}

/** U+0000 can be stored nowhere (PostgreSQL text refuses it); refuse it in the URL before it reaches a query. */
function refuseNul(req: Request, _res: Response, next: NextFunction) {
  if (/%00/i.test(req.originalUrl)) throw new ScimError(400, "invalidValue", "The URL contains U+0000 (%00), which no SCIM value can hold.");
  next();
}

/** With `rateLimits` (server.ts passes config's), each token's requests are limited once it is authenticated. */
export function scimRouter(deps: ScimDeps & LimiterDeps & { rateLimits?: RateLimits; sessions?: RequestHandler[] }): Router {
  const router = Router();
  router.use(scimOperationMetrics());
  // Set as it is (res.type would parse and re-format the same value on every request).
  router.use((_req, res, next) => { res.setHeader("Content-Type", SCIM_CONTENT_TYPE); next(); });
  router.use(refuseNul);
  router.use(requireJson);
  const authenticated = [authenticate(deps), ...(deps.rateLimits ? [scimRateLimit(deps.rateLimits.scimPerMinute, deps)] : [])];
  // Discovery and /Me take no body: they are answered before authentication without reading one.
  router.use(discoveryRouter(deps));
  router.get("/Me", deps.sessions ?? [], me(deps));
  // Every body is read only after the token is checked, so that nobody without one can make the server buffer
  // or parse anything. Bulk has its own, larger limit.
  router.use(authenticated);
  router.post("/Bulk", jsonBody(BULK_LIMITS.maxPayloadSize), normaliseIngress(deps.logger), bulkHandler(deps, scimErrorOf));
  router.use(jsonBody(MAX_BODY_BYTES));
  // Once per request, before any handler reads the body: each IdP's dialect into what the handlers validate.
  router.use(normaliseIngress(deps.logger));
  router.use("/Users", usersRouter(deps));
  router.use("/Groups", groupsRouter(deps));
  router.post("/.search", rootSearch(deps));
  router.all("/Me", () => {
    throw new ScimError(501, null, "/Me is not implemented for a SCIM token: a token speaks for an IdP, not for a user (GET /Me answers a logged-in browser session).");
  });
  router.all(["/ServiceProviderConfig", "/Schemas", "/Schemas/:id", "/ResourceTypes", "/ResourceTypes/:id",
    "/Users", "/Users/:id", "/Groups", "/Groups/:id", "/Bulk", "/.search"], (req) => {
    throw new ScimError(405, null, `${req.method} is not allowed on ${req.path}.`);
  });
  router.use((req) => {
    throw new ScimError(404, null, `No SCIM endpoint at ${req.path}.`);
  });
  router.use(errorHandler());
  return router;
}
