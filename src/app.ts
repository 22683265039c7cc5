import express, { Express } from "express";
import helmet from "helmet";
import { Server } from "node:http";
import { Logger } from "pino";
import { API_PREFIX } from "./admin/openapi.js";
import { apiSecurityHeaders } from "./api-headers.js";
import { adminRouter } from "./admin/router.js";
import { Brand, TrustProxy } from "./config.js";
import { Database, readiness } from "./db/database.js";
import { countActiveSessions } from "./identity/sessions.js";
import { spCertificateExpiries } from "./identity/saml-keys.js";
import { httpMetrics, metricsEndpoint, setActiveSessionsCollector, setSpCertificateExpiryCollector } from "./metrics.js";
import { LOGIN_PATHS, loginRateLimit, RateLimits } from "./rate-limit.js";
import { SharedRedis } from "./redis.js";
import { SCIM_PREFIX } from "./scim/context.js";
import { scimRouter } from "./scim/router.js";
import { requestLog } from "./request-log.js";
import { openIdProviderRouter, OpenIdProvider } from "./apps/op/index.js";
import { SigningKeys } from "./apps/op/keys.js";
import { oidcProtocol } from "./sso/oidc/index.js";
import { ssoRouter } from "./sso/router.js";
import { samlProtocol } from "./sso/saml/index.js";
import { forwardAuthRouter } from "./apps/forward-auth.js";
import { consoleRouter } from "./web/console.js";
import { Clock, SessionLimits, webSession } from "./web-session.js";
import type { DnsOptions } from "./identity/dns-txt.js";

export interface AppDeps {
  db: Database;
  baseUrl: string;
  logger: Logger;
  secretKey: Buffer;
  /**
   * Requests a minute per SCIM token and per client IP on the sign-in paths. server.ts always passes config's; left
   * out, nothing is rate-limited, so that suites and benchmarks measuring something else never meet a 429.
   */
  rateLimits?: RateLimits;
  /** REDIS_URL's client: rate limits count there, across replicas; left out, each process counts in memory. */
  redis?: SharedRedis;
  /** METRICS_TOKEN: the bearer token /metrics asks for; left out, /metrics answers loopback clients only. */
  metricsToken?: string;
  /** ROLLCALL_ALLOW_INSECURE_IDP: lets SSO connections use http:// and loopback IdPs (tests, local development). */
  allowInsecureIdp?: boolean;
  /** Idle and absolute session lifetimes; 60 minutes and 12 hours unless set. */
  sessionLimits?: SessionLimits;
  /** The clock sessions expire by: Date.now unless a test moves it. */
  now?: Clock;
  /** TRUST_PROXY, for Express's `trust proxy`: whose X-Forwarded-For sets req.ip (the login rate limit's key). */
  trustProxy?: TrustProxy;
  /** DNS_SERVERS and DNS_TIMEOUT_MS: where domain verification looks up its TXT records; the system's when left out. */
  dns?: DnsOptions;
  /** BRAND_NAME, BRAND_LOGO_URL, BRAND_COLOR: the vendor's brand on the setup portal; Rollcall's when left out. */
  brand?: Brand;
}

/**
 * How long an idle kept-alive connection stays open: longer than the reverse proxies and load balancers in front keep
 * theirs (ingress-nginx's upstream keep-alive and AWS ALB: 60 s). With Node's default of 5 s the server closes a
 * connection just as a client or proxy sends the next request on it, which then fails (a 502 at a proxy; "socket hang
 * up" twice in 24,000 requests of `npm run bench:soak`).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Starts listening with that keep-alive timeout (src/run-server.ts, bench/server.ts). */
export function listen(app: Express, port: number, host: string): Server {
  const server = app.listen(port, host);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  return server;
}

/** /readyz answers within this, database or not. */
const READINESS_DEADLINE_MS = 1_000;

/** Wires the doors onto one Express app. Start-up, config and the database live in server.ts. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  // Express's body-hash ETags would clash with the resource versions the SCIM door sends as ETags.
  app.set("etag", false);
  app.set("query parser", "extended");
  app.set("trust proxy", deps.trustProxy ?? false);
  app.use(httpMetrics());
  app.use(requestLog(deps.logger));
  const sessions = webSession(deps.db, deps.secretKey, deps.sessionLimits, deps.now);
  // The SCIM door first, with an API's headers rather than helmet's page headers: an IdP's call then never walks
  // through helmet, sessions, SSO, the admin API and the console (≈100 µs a request). Only its /Me reads the
  // browser session.
  app.use(SCIM_PREFIX, apiSecurityHeaders(), scimRouter({ ...deps, sessions }));
  // helmet's default CSP asks browsers to upgrade http:// requests to https://; over a plain-http BASE_URL on a
  // non-loopback address that rewrites the console's login form to https, which `form-action 'self'` then blocks.
  const upgradeInsecureRequests = deps.baseUrl.startsWith("https:") ? [] : null;
  // The brand's logo is the one image the pages load from elsewhere (BRAND_LOGO_URL, https only).
  const imgSrc = ["'self'", "data:", ...(deps.brand?.logoUrl ? [new URL(deps.brand.logoUrl).origin] : [])];
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests, imgSrc } } }));
  // Before every router, so that any route under these paths is covered by the one per-IP count.
  if (deps.rateLimits) app.use(LOGIN_PATHS, loginRateLimit(deps.rateLimits.loginPerMinute, deps));

  app.get("/healthz", (_req, res) => void res.json({ status: "ok" }));
  setActiveSessionsCollector(() => countActiveSessions(deps.db));
  setSpCertificateExpiryCollector(() => spCertificateExpiries(deps.db, deps.secretKey));
  app.get("/metrics", metricsEndpoint(deps.metricsToken));
  app.get("/readyz", async (_req, res) => {
    const status = await readiness(deps.db, READINESS_DEADLINE_MS);
    if (status !== "ready") deps.logger.warn({ status }, "not ready");
    res.status(status === "ready" ? 200 : 503).json({ status });
  });

  app.use(sessions);
  const signingKeys = new SigningKeys(deps.db, deps.secretKey);
  const op = new OpenIdProvider({ db: deps.db, baseUrl: deps.baseUrl, secretKey: deps.secretKey, trustProxy: Boolean(deps.trustProxy) }, signingKeys);
  app.use(openIdProviderRouter({ ...deps, op }));
  app.use(forwardAuthRouter({ ...deps, signingKeys }));
  const sso = { ...deps, allowInsecureIdp: deps.allowInsecureIdp ?? false };
  app.use(ssoRouter({ ...sso, protocols: { oidc: oidcProtocol(sso), saml: samlProtocol(sso) } }));
  app.use(API_PREFIX, adminRouter(sso));
  app.use(consoleRouter(sso));
  return app;
}
