import express, { Express } from "express";
import helmet from "helmet";
import { Logger } from "pino";
import { API_PREFIX } from "./admin/openapi.js";
import { adminRouter } from "./admin/router.js";
import { TrustProxy } from "./config.js";
import { Database, migrationsApplied } from "./db/database.js";
import { countActiveSessions } from "./identity/sessions.js";
import { spCertificateExpiries } from "./identity/saml-keys.js";
import { httpMetrics, metricsEndpoint, setActiveSessionsCollector, setSpCertificateExpiryCollector } from "./metrics.js";
import { LOGIN_PATHS, loginRateLimit, RateLimits } from "./rate-limit.js";
import { SCIM_PREFIX } from "./scim/context.js";
import { scimRouter } from "./scim/router.js";
import { requestLog } from "./request-log.js";
import { oidcProtocol } from "./sso/oidc/index.js";
import { ssoRouter } from "./sso/router.js";
import { samlProtocol } from "./sso/saml/index.js";
import { sidecarRouter } from "./sso/sidecar.js";
import { consoleRouter } from "./web/console.js";
import { SessionLimits, webSession } from "./web-session.js";

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
  /** METRICS_TOKEN: the bearer token /metrics asks for; left out, /metrics answers loopback clients only. */
  metricsToken?: string;
  /** ROLLCALL_ALLOW_INSECURE_IDP: lets SSO connections use http:// and loopback IdPs (tests, local development). */
  allowInsecureIdp?: boolean;
  /** Idle and absolute session lifetimes; 60 minutes and 12 hours unless set. */
  sessionLimits?: SessionLimits;
  /** TRUST_PROXY, for Express's `trust proxy`: whose X-Forwarded-For sets req.ip (the login rate limit's key). */
  trustProxy?: TrustProxy;
}

/** Wires the doors onto one Express app. Start-up, config and the database live in server.ts. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  // Express's body-hash ETags would clash with the resource versions the SCIM door sends as ETags.
  app.set("etag", false);
  app.set("query parser", "extended");
  app.set("trust proxy", deps.trustProxy ?? false);
  app.use(httpMetrics());
  app.use(helmet());
  app.use(requestLog(deps.logger));
  // Before every router, so that any route under these paths is covered by the one per-IP count.
  if (deps.rateLimits) app.use(LOGIN_PATHS, loginRateLimit(deps.rateLimits.loginPerMinute, deps.logger));

  app.get("/healthz", (_req, res) => void res.json({ status: "ok" }));
  setActiveSessionsCollector(() => countActiveSessions(deps.db));
  setSpCertificateExpiryCollector(() => spCertificateExpiries(deps.db, deps.secretKey));
  app.get("/metrics", metricsEndpoint(deps.metricsToken));
  app.get("/readyz", async (_req, res) => {
    try {
      await deps.db.dataSource.query("SELECT 1");
      const migrated = await migrationsApplied(deps.db);
      res.status(migrated ? 200 : 503).json({ status: migrated ? "ready" : "migrations pending" });
    } catch (err) {
      deps.logger.warn({ err }, "readiness check failed");
      res.status(503).json({ status: "database unreachable" });
    }
  });

  const sessions = webSession(deps.db, deps.secretKey, deps.sessionLimits);
  // The SCIM door before the browser-facing routers: an IdP's call then never walks through sessions, SSO, the admin
  // API and the console (≈100 µs a request). Only its /Me reads the browser session.
  app.use(SCIM_PREFIX, scimRouter({ ...deps, sessions }));
  app.use(sessions);
  app.use(sidecarRouter(deps));
  const sso = { ...deps, allowInsecureIdp: deps.allowInsecureIdp ?? false };
  app.use(ssoRouter({ ...sso, protocols: { oidc: oidcProtocol(sso), saml: samlProtocol(sso) } }));
  app.use(API_PREFIX, adminRouter(sso));
  app.use(consoleRouter(sso));
  return app;
}
