import { createHash, timingSafeEqual } from "node:crypto";
import { IncomingMessage } from "node:http";
import { Request, RequestHandler } from "express";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Prometheus metrics for /metrics. One registry per process, built when this module loads: prom-client refuses a
 * metric name twice in one registry, and tests create many apps in one process. A scrape sees the whole process,
 * so the counters of several apps in one process add up (tests compare before and after).
 */
const registry = new Registry();
collectDefaultMetrics({ register: registry });

const HTTP_LABELS = ["method", "route", "status"] as const;
const httpRequests = new Counter({
  name: "http_requests_total", help: "HTTP requests answered, by method, route template and status.",
  labelNames: HTTP_LABELS, registers: [registry],
});
const httpDuration = new Histogram({
  name: "http_request_duration_seconds", help: "Time to answer an HTTP request, by method, route template and status.",
  labelNames: HTTP_LABELS, registers: [registry],
});
const scimOperations = new Counter({
  name: "scim_operations_total", help: "SCIM requests by IdP dialect, operation (Users.create, Groups.patch, Bulk…) and status.",
  labelNames: ["idp", "operation", "status"], registers: [registry],
});
const ssoLogins = new Counter({
  name: "sso_logins_total", help: "Sign-ins by protocol, outcome and reason code.",
  labelNames: ["protocol", "outcome", "reason"], registers: [registry],
});

const webhookAttempts = new Counter({
  name: "webhook_delivery_attempts_total", help: "Webhook delivery attempts by outcome: delivered, retry (failed, will retry), give_up.",
  labelNames: ["outcome"], registers: [registry],
});

export function recordWebhookAttempt(outcome: "delivered" | "retry" | "give_up"): void {
  webhookAttempts.inc({ outcome });
}

let countActiveSessions: (() => Promise<number>) | undefined;
new Gauge({
  name: "active_sessions", help: "Unexpired logged-in sessions (NaN when they could not be counted at scrape time).",
  registers: [registry],
  async collect() {
    if (!countActiveSessions) return;
    // A database outage must not take the process metrics down with it: NaN shows a gap, not a stale count.
    this.set(await countActiveSessions().catch(() => NaN));
  },
});

/** The session layer registers how to count unexpired logged-in sessions; called at each scrape. The last one wins. */
export function setActiveSessionsCollector(fn: () => Promise<number>): void {
  countActiveSessions = fn;
}

export interface SpCertificateExpiry { connectionId: string; state: string; days: number }
let listSpCertificateExpiries: (() => Promise<SpCertificateExpiry[]>) | undefined;
new Gauge({
  name: "saml_sp_certificate_expiry_days",
  help: "Days until each SAML connection's SP certificate expires (negative once expired), by connection id and key (current, next).",
  labelNames: ["connection_id", "key"], registers: [registry],
  async collect() {
    if (!listSpCertificateExpiries) return;
    // Rebuilt at each scrape, so that a deleted connection or a promoted key leaves no stale series.
    this.reset();
    for (const { connectionId, state, days } of await listSpCertificateExpiries().catch(() => [])) {
      this.set({ connection_id: connectionId, key: state }, Math.floor(days * 100) / 100);
    }
  },
});

/** The identity core registers how to list SP certificate expiries; called at each scrape. The last one wins. */
export function setSpCertificateExpiryCollector(fn: () => Promise<SpCertificateExpiry[]>): void {
  listSpCertificateExpiries = fn;
}

export type LoginProtocol = "saml" | "oidc" | "password";
const REASON_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Counts one sign-in. `reason` is a stable code (SsoError.reason, or "ok" on success), never a message or a value from
 * the IdP: anything else is counted as "other", so that a label cannot grow without bound.
 */
export function recordLoginOutcome(protocol: LoginProtocol, outcome: "success" | "failure", reason: string): void {
  ssoLogins.inc({ protocol, outcome, reason: REASON_CODE.test(reason) ? reason : "other" });
}

/** The label of requests that matched no route (404s, and requests refused before routing, such as a SCIM 401). */
const UNMATCHED = "unmatched";
const withoutTrailingSlash = (path: string) => path.replace(/(.)\/$/, "$1");

/** Whether a route pattern such as `/Users/:id` matches a path, segment by segment (Express ignores case). */
function matchesPattern(pattern: string, path: string): boolean {
  const want = pattern.split("/");
  const got = withoutTrailingSlash(path).split("/");
  return want.length === got.length && want.every((s, i) => s.startsWith(":") || s.toLowerCase() === got[i].toLowerCase());
}

/** The route template a request matched, kept by the `route` accessor below. */
const ROUTE = Symbol("rollcall.route");
type Routed = Request & { [ROUTE]?: { route: unknown; template: string } };

/**
 * Watches the request for the route template it matches (`/scim/v2/Users/:id`): route and mount path, never the URL,
 * so that ids do not multiply the series. Express keeps req.baseUrl right only while the request is inside the
 * router that matched: an error thrown by /Users/:id reaches the SCIM router's error handler with req.baseUrl back at
 * /scim/v2. So the template is taken when the router sets req.route, where both are right. A route declared on
 * several paths (the SCIM 405 catch-all) is labelled by the one that matched. The accessor is defined once on the
 * prototype: one per request would cost a closure and a slow dictionary-mode request object.
 */
Object.defineProperty(IncomingMessage.prototype, "route", {
  configurable: true,
  get(this: Routed) {
    return this[ROUTE]?.route;
  },
  set(this: Routed, value: { path: unknown } | undefined) {
    const pattern = Array.isArray(value?.path) ? (value!.path as unknown[]).find((p) => typeof p === "string" && matchesPattern(p, this.path)) : value?.path;
    this[ROUTE] = { route: value, template: typeof pattern === "string" ? withoutTrailingSlash(this.baseUrl + pattern) : UNMATCHED };
  },
});

/** Counts and times every request, labelled by route template. Mounted first, so that it sees every answer. */
export function httpMetrics(): RequestHandler {
  return (req, res, next) => {
    const stop = httpDuration.startTimer();
    res.once("finish", () => {
      const labels = { method: req.method, route: (req as Routed)[ROUTE]?.template ?? UNMATCHED, status: String(res.statusCode) };
      httpRequests.inc(labels);
      stop(labels);
    });
    next();
  };
}

const SCIM_ENDPOINTS = ["Users", "Groups", "Bulk", ".search", "Me", "ServiceProviderConfig", "Schemas", "ResourceTypes"];
const ENDPOINT_BY_NAME = new Map(SCIM_ENDPOINTS.map((name) => [name.toLowerCase(), name]));
const ON_COLLECTION: Record<string, string> = { GET: "list", POST: "create" };
const ON_RESOURCE: Record<string, string> = { GET: "get", PUT: "replace", PATCH: "patch", DELETE: "delete" };

/**
 * `Users.create`, `Groups.patch`, `Users.search`, `Bulk`, `search` (root /.search), `Schemas`…, or `other`, from the
 * method and the path under /scim/v2. Taken from the path rather than the route so that requests refused before
 * routing (401, 429) are counted under the operation they attempted.
 */
function scimOperationOf(method: string, path: string): string {
  const [first = "", second, ...rest] = path.split("/").filter(Boolean);
  const endpoint = ENDPOINT_BY_NAME.get(first.toLowerCase());
  if (!endpoint || rest.length) return "other";
  if (endpoint !== "Users" && endpoint !== "Groups") return endpoint === ".search" ? "search" : endpoint;
  const verb = second === undefined ? ON_COLLECTION[method]
    : second.toLowerCase() === ".search" ? (method === "POST" ? "search" : undefined)
    : ON_RESOURCE[method];
  return verb ? `${endpoint}.${verb}` : "other";
}

/**
 * Counts SCIM requests by IdP, operation and status. Mounted at the top of the SCIM router (req.path is relative to
 * /scim/v2 there); the IdP is the dialect the ingress normalisation detected, `unknown` for requests refused before it.
 */
export function scimOperationMetrics(): RequestHandler {
  return (req, res, next) => {
    const operation = scimOperationOf(req.method, req.path);
    res.once("finish", () => {
      scimOperations.inc({ idp: (res.locals.dialect as string | undefined) ?? "unknown", operation, status: String(res.statusCode) });
    });
    next();
  };
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;
/** Sent by reverse proxies: a request that carries one came from elsewhere, whatever the socket's address. */
const FORWARDING_HEADERS = ["x-forwarded-for", "forwarded", "x-real-ip"];
const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/**
 * GET /metrics. With METRICS_TOKEN set, it answers requests that send `Authorization: Bearer <token>` (compared in
 * constant time), from anywhere. Without it, it answers only direct loopback connections (a sidecar, a local agent,
 * a developer): never the world by default. A request that carries a proxy's forwarding header is refused even on
 * loopback, because a reverse proxy on the same host would otherwise make every client look local. A proxy that adds
 * no such header still would: deployments behind one set METRICS_TOKEN.
 */
export function metricsEndpoint(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  return async (req, res) => {
    if (expected) {
      if (!timingSafeEqual(digest(req.get("Authorization") ?? ""), expected)) {
        res.set("WWW-Authenticate", 'Bearer realm="rollcall-metrics"').status(401).json({ error: "METRICS_TOKEN required as a bearer token" });
        return;
      }
    } else if (!LOOPBACK.test(req.socket.remoteAddress ?? "") || FORWARDING_HEADERS.some((h) => req.headers[h] !== undefined)) {
      res.status(403).json({ error: "/metrics answers loopback clients only; set METRICS_TOKEN to scrape it from elsewhere" });
      return;
    }
    res.type(registry.contentType).send(await registry.metrics());
  };
}
