import { NextFunction, Request, Response } from "express";
import { z } from "zod";
import { OrganizationBusy } from "../db/fair-queue.js";
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from "../db/unavailable.js";
import { IdentityError } from "../identity/errors.js";
import { closeIfBodyUnread, MAX_JSON_DEPTH } from "../json-body.js";

/**
 * Errors of the admin API as RFC 9457 problem details (`application/problem+json`), with Konnect's
 * `invalid_parameters` list for input that fails validation. Everything thrown under /api/v1 becomes one here.
 */

export const PROBLEM_TYPE = "application/problem+json";

const KINDS = {
  validation: [400, "Invalid request"],
  bad_request: [400, "Bad request"],
  unauthenticated: [401, "Authentication required"],
  forbidden: [403, "Forbidden"],
  cross_site: [403, "Cross-site request refused"],
  not_found: [404, "Not found"],
  conflict: [409, "Conflict"],
  version_mismatch: [412, "Precondition failed"],
  too_large: [413, "Request body too large"],
  unsupported_media_type: [415, "Unsupported media type"],
  busy: [429, "Too many requests"],
  internal: [500, "Internal error"],
  unavailable: [503, "Service unavailable"],
} as const;

export type ProblemKind = keyof typeof KINDS;

export interface InvalidParameter {
  /** Dotted path of the field, e.g. `oidc.issuerUrl`, or of a query parameter, e.g. `limit`. */
  field: string;
  reason: string;
}

export class ApiProblem extends Error {
  readonly status: number;
  constructor(readonly kind: ProblemKind, readonly detail: string, readonly invalidParameters?: InvalidParameter[]) {
    super(detail);
    this.name = "ApiProblem";
    this.status = KINDS[kind][0];
  }

  toJSON(): Problem {
    return {
      type: `urn:rollcall:problem:${this.kind}`,
      title: KINDS[this.kind][1],
      status: this.status,
      detail: this.detail,
      ...(this.invalidParameters ? { invalid_parameters: this.invalidParameters } : {}),
    };
  }
}

export const problemSchema = z.object({
  type: z.string().meta({ description: "urn:rollcall:problem:<kind>, e.g. urn:rollcall:problem:validation" }),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  invalid_parameters: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
}).meta({ id: "Problem" });
export type Problem = z.infer<typeof problemSchema>;

const IDENTITY_KINDS: Record<IdentityError["reason"], ProblemKind> = {
  notFound: "not_found",
  conflict: "conflict",
  invalid: "bad_request",
  versionMismatch: "version_mismatch",
};

function invalidParameters(err: z.ZodError): InvalidParameter[] {
  return err.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ field: [...at, key].join("."), reason: "is not a known field" }));
    }
    return [{ field: at.join(".") || "(body)", reason: issue.message }];
  });
}

/** Express's body parser and path decoding, by the `type` body-parser tags its errors with. */
function parserProblem(err: { type?: string; limit?: number }): ApiProblem | null {
  switch (err.type) {
    case "entity.parse.failed": return new ApiProblem("bad_request", "The request body is not valid JSON.");
    case "entity.too.deep": return new ApiProblem("bad_request", `The request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`);
    case "entity.too.large": return new ApiProblem("too_large", `The request body exceeds ${err.limit} bytes.`);
    case "encoding.unsupported":
    case "charset.unsupported": return new ApiProblem("unsupported_media_type", "The request body must be UTF-8 JSON.");
    case "request.aborted": return new ApiProblem("bad_request", "The request body was cut short.");
  }
  if (err instanceof URIError) return new ApiProblem("bad_request", "The request path is not valid percent-encoding.");
  return null;
}

/** The one mapping of anything thrown under /api/v1 to a problem; null for what is a bug. */
export function problemOf(err: unknown): ApiProblem | null {
  if (err instanceof ApiProblem) return err;
  if (err instanceof z.ZodError) {
    return new ApiProblem("validation", "Some of the request's parameters are not valid; see invalid_parameters.", invalidParameters(err));
  }
  if (err instanceof IdentityError) return new ApiProblem(IDENTITY_KINDS[err.reason], err.message);
  if (err instanceof OrganizationBusy) return new ApiProblem("busy", `${err.message} (Retry-After)`);
  if (isDatabaseUnavailable(err)) {
    return new ApiProblem("unavailable", `The database is not answering; nothing was changed. Retry after ${DATABASE_RETRY_AFTER_SECONDS} seconds (Retry-After).`);
  }
  return parserProblem(err as { type?: string });
}

/** The error handler of the admin router: known problems as they are, anything else logged and answered 500. */
export function problemHandler() {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let problem = problemOf(err);
    if (!problem) {
      req.log.error({ err }, "admin API request failed");
      problem = new ApiProblem("internal", "Internal error; the request changed nothing. Retry, and report it if it persists.");
    }
    if (res.headersSent) return;
    closeIfBodyUnread(req, res);
    if (problem.status === 401) res.set("WWW-Authenticate", 'Bearer realm="rollcall-admin"');
    if (problem.status === 503 || problem.status === 429) res.set("Retry-After", String(DATABASE_RETRY_AFTER_SECONDS));
    res.status(problem.status).type(PROBLEM_TYPE).json(problem.toJSON());
  };
}
