import { RequestHandler, Response } from "express";
import { IncrementResponse, MemoryStore, Options, rateLimit, Store } from "express-rate-limit";
import { Logger } from "pino";
import { RedisReply, RedisStore } from "rate-limit-redis";
import { SharedRedis } from "./redis.js";
import { callerOf } from "./scim/context.js";
import { ScimError } from "./scim/errors.js";

/**
 * Request budgets per minute (express-rate-limit, fixed one-minute windows).
 *
 * With REDIS_URL the counts live in Redis, so the limits hold in total across replicas. Without it, or while Redis is
 * away, each process counts in its own memory: with N replicas behind a load balancer a client then gets up to N
 * times these limits, and a restart forgets them. That is still enough to stop a runaway IdP sync or a
 * password-guessing loop, which is why an unreachable Redis degrades to it rather than failing requests.
 */
export interface RateLimits {
  /** Per SCIM token (RATE_LIMIT_SCIM_PER_MINUTE). */
  scimPerMinute: number;
  /** Per client IP on the sign-in paths (RATE_LIMIT_LOGIN_PER_MINUTE). */
  loginPerMinute: number;
}

/**
 * Where people sign in or present a secret link (`/console/login` is the console's administrator password form,
 * `/setup/<secret>` and `/api/v1/setup-links/redeem` take self-serve setup links). app.ts mounts one
 * loginRateLimit on all of them, before any router; a new sign-in path belongs in this list rather than under a second
 * limiter, which would keep a separate count.
 */
export const LOGIN_PATHS: (string | RegExp)[] = ["/login", "/sso", "/api/v1/auth/login", "/api/v1/setup-links/redeem", "/console/login",
  // `/setup/<secret>` redeems a link; the setup portal's own pages (`/setup`, its steps, `/setup/done`) are not sign-ins.
  /^\/setup\/(?!(?:steps\/[^/]+|done)\/?$)[^/]+\/?$/];

/** What a limiter needs besides its budget: the log, and the shared Redis when there is one. */
export interface LimiterDeps {
  logger: Logger;
  redis?: SharedRedis;
}

/**
 * Counts in Redis while it answers, in this process's memory while it does not (redis.ts logs the change once). The
 * two counts are separate: a client's local count starts from zero when Redis goes away, and its shared count
 * resumes where it was when Redis is back.
 */
class SharedOrLocalStore implements Store {
  readonly prefix: string;
  private readonly local = new MemoryStore();
  private readonly shared: RedisStore;
  private options?: Options;
  /** rate-limit-redis loads its scripts in init() and would keep a failed load for good: loaded again after a failure. */
  private scriptsLoaded?: Promise<void>;

  constructor(private readonly redis: SharedRedis, name: string) {
    this.prefix = `${redis.prefix}rate-limit:${name}:`;
    this.shared = new RedisStore({
      prefix: this.prefix,
      sendCommand: (command: string, ...args: string[]) => redis.client.call(command, ...args) as Promise<RedisReply>,
    });
  }

  init(options: Options): void {
    this.options = options;
    this.local.init(options);
  }

  increment(key: string): Promise<IncrementResponse> {
    return this.either(async () => {
      this.scriptsLoaded ??= this.shared.init(this.options!);
      await this.scriptsLoaded;
      return this.shared.increment(key);
    }, () => this.local.increment(key));
  }

  decrement(key: string): Promise<void> {
    return this.either(() => this.shared.decrement(key), () => this.local.decrement(key));
  }

  resetKey(key: string): Promise<void> {
    return this.either(() => this.shared.resetKey(key), () => this.local.resetKey(key));
  }

  private async either<T>(shared: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    if (this.redis.available()) {
      try {
        return await shared();
      } catch (err) {
        this.scriptsLoaded = undefined;
        this.redis.failed(err);
      }
    }
    return local();
  }
}

/** `name` keeps each limiter's keys apart in Redis. */
const limiter = (name: string, perMinute: number, { logger, redis }: LimiterDeps) => ({
  windowMs: 60_000,
  limit: perMinute,
  // RateLimit and RateLimit-Policy (IETF draft 8), and Retry-After on a 429.
  standardHeaders: "draft-8" as const,
  legacyHeaders: false,
  // express-rate-limit's warnings about a misconfiguration (X-Forwarded-For without TRUST_PROXY) go to our log.
  logger,
  ...(redis ? { store: new SharedOrLocalStore(redis, name) } : {}),
});

const retryAfter = (res: Response) => Number(res.getHeader("Retry-After"));

/**
 * Per SCIM token, keyed by the token's id: mounted after authentication, so that a token's budget is its own and no
 * token value is ever held as a key. The 429 is a SCIM Error, rendered by the SCIM router's error handler.
 */
export function scimRateLimit(perMinute: number, deps: LimiterDeps): RequestHandler {
  return rateLimit({
    ...limiter("scim", perMinute, deps),
    keyGenerator: (_req, res) => callerOf(res).actor.id!,
    handler: (_req, res, next) => next(new ScimError(429, null,
      `This SCIM token has made more than ${perMinute} requests in a minute; retry after ${retryAfter(res)} seconds (Retry-After).`)),
  });
}

/**
 * Per client IP (req.ip, so TRUST_PROXY decides whether X-Forwarded-For counts; IPv6 by /56), on LOGIN_PATHS. The
 * 429 is a plain sentence for a browser, or JSON for a client that asks for it.
 */
export function loginRateLimit(perMinute: number, deps: LimiterDeps): RequestHandler {
  return rateLimit({
    ...limiter("login", perMinute, deps),
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
