import { RequestHandler, Response } from "express";
import { rateLimit } from "express-rate-limit";
import { Logger } from "pino";
import { callerOf } from "./scim/context.js";
import { ScimError } from "./scim/errors.js";

/**
 * Request budgets per minute (express-rate-limit, fixed one-minute windows).
 *
 * Counts live in each process's memory: with N replicas behind a load balancer a client gets up to N times these
 * limits, and a restart forgets them. That is enough to stop a runaway IdP sync or a password-guessing loop; exact
 * limits across replicas would need a shared store.
 */
export interface RateLimits {
  /** Per SCIM token (RATE_LIMIT_SCIM_PER_MINUTE). */
  scimPerMinute: number;
  /** Per client IP on the sign-in paths (RATE_LIMIT_LOGIN_PER_MINUTE). */
  loginPerMinute: number;
}

/**
 * Where people sign in or present a secret link (`/console/login` is the console's administrator password form,
 * `/setup` and `/api/v1/setup-links/redeem` take self-serve setup links). app.ts mounts one
 * loginRateLimit on all of them, before any router; a new sign-in path belongs in this list rather than under a second
 * limiter, which would keep a separate count.
 */
export const LOGIN_PATHS = ["/login", "/sso", "/api/v1/auth/login", "/api/v1/setup-links/redeem", "/console/login", "/setup"];

const limiter = (perMinute: number, logger: Logger) => ({
  windowMs: 60_000,
  limit: perMinute,
  // RateLimit and RateLimit-Policy (IETF draft 8), and Retry-After on a 429.
  standardHeaders: "draft-8" as const,
  legacyHeaders: false,
  // express-rate-limit's warnings about a misconfiguration (X-Forwarded-For without TRUST_PROXY) go to our log.
  logger,
});

const retryAfter = (res: Response) => Number(res.getHeader("Retry-After"));

/**
 * Per SCIM token, keyed by the token's id: mounted after authentication, so that a token's budget is its own and no
 * token value is ever held as a key. The 429 is a SCIM Error, rendered by the SCIM router's error handler.
 */
export function scimRateLimit(perMinute: number, logger: Logger): RequestHandler {
  return rateLimit({
    ...limiter(perMinute, logger),
    keyGenerator: (_req, res) => callerOf(res).actor.id!,
    handler: (_req, res, next) => next(new ScimError(429, null,
      `This SCIM token has made more than ${perMinute} requests in a minute; retry after ${retryAfter(res)} seconds (Retry-After).`)),
  });
}

/**
 * Per client IP (req.ip, so TRUST_PROXY decides whether X-Forwarded-For counts; IPv6 by /56), on LOGIN_PATHS. The
 * 429 is a plain sentence for a browser, or JSON for a client that asks for it.
 */
export function loginRateLimit(perMinute: number, logger: Logger): RequestHandler {
  return rateLimit({
    ...limiter(perMinute, logger),
    handler: (_req, res) => {
      const message = `Too many sign-in attempts from your network. Please wait ${retryAfter(res)} seconds and try again.`;
      res.status(429).format({
        text: () => res.send(message),
        json: () => res.json({ error: "too_many_requests", message }),
        default: () => res.type("text/plain").send(message),
      });
    },
  });
}
