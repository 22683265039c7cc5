/**
 * Ingress normalisation (scim-in-the-wild §1.5): the one place where what each IdP really sends is rewritten into
 * what the SCIM handlers validate. The router runs it once per request, after the JSON parser.
 *
 * Detection only names the dialect, for the log: every rule runs for every client. Detection is a guess (Entra's
 * User-Agent changed over the years, Microsoft's own test collection sends Entra's legacy shapes under Postman's, and
 * OneLogin sends none), and each rule rewrites only input that would otherwise be refused, so running it for a
 * client that does not need it changes nothing.
 */
import type { RequestHandler } from "express";
import type { Logger } from "pino";
import { detectEntra } from "./entra.js";
import { detectGoogle } from "./google.js";
import { detectJumpCloud } from "./jumpcloud.js";
import { detectOkta } from "./okta.js";
import { detectOneLogin } from "./onelogin.js";
import type { RequestInfo } from "./request.js";
import { normaliseBody } from "./walk.js";

export type { RequestInfo } from "./request.js";

export interface Normalised {
  /** `entra` (tenant URL with ?aadOptscim062020), `entra-legacy`, `okta`, `onelogin`, `jumpcloud`, `google` or `generic`. */
  dialect: string;
  body: unknown;
  /** Each distinct rewrite made (the first 20), e.g. `op "Replace" read as "replace"`. */
  notes: string[];
}

const detectors = [detectEntra, detectOkta, detectJumpCloud, detectGoogle, detectOneLogin];
/** Notes are for a debug line: a body of thousands of odd keys must not make it megabytes long. */
const MAX_NOTES = 20;

/** Which IdP's client this looks like ("generic" when none): a label for logs and metrics, never a switch. */
export function dialectOf(req: RequestInfo): string {
  let dialect: string | undefined;
  for (const detect of detectors) if ((dialect = detect(req))) break;
  return dialect ?? "generic";
}

export function normaliseRequest(req: RequestInfo): Normalised {
  const dialect = dialectOf(req);
  const notes = new Set<string>();
  normaliseBody(req.method, req.path, req.body, (text) => {
    if (notes.size < MAX_NOTES) notes.add(text);
  });
  return { dialect, body: req.body, notes: [...notes] };
}

/**
 * Normalises the request body and logs `{dialect, notes}` at debug level through the request's logger. The level is
 * checked on `logger` first: building req.log's child logger costs more than the rest of a cheap request. The dialect
 * is kept in res.locals.dialect, the `idp` of scim_operations_total (src/metrics.ts).
 */
export function normaliseIngress(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const { dialect, body, notes } = normaliseRequest({
      method: req.method, path: req.path, query: req.query as Record<string, unknown>, headers: req.headers, body: req.body,
    });
    req.body = body;
    res.locals.dialect = dialect;
    if (logger.isLevelEnabled("debug")) req.log.debug({ dialect, notes }, "SCIM dialect");
    next();
  };
}
