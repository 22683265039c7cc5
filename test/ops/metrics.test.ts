import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { after, before, describe, it } from "node:test";
import { recordLoginOutcome, setActiveSessionsCollector } from "../../src/metrics.js";
import { GROUP_URN, PATCH_OP_URN, USER_URN } from "../../src/scim/schemas.js";
import { databaseTargets } from "../support/databases.js";
import { Harness, SCIM_JSON, startHarness } from "../support/harness.js";
import { bearer, startOpsApp } from "./app.js";

/** The value of one sample in Prometheus text format (0 when the series does not exist yet). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(",");
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] === name && (match[2] ?? "").split(",").filter(Boolean).sort().join(",") === wanted) return Number(match[3]);
  }
  return 0;
}

const OKTA = { "User-Agent": "Okta SCIM Client 1.0.0" };

describe("/metrics after SCIM traffic", () => {
  let h: Harness;
  let base: string;
  before(async () => {
    h = await startHarness((await databaseTargets()).find((t) => t.name === "sqlite")!);
    base = `http://127.0.0.1:${(h.server.address() as AddressInfo).port}`;
  });
  after(() => h.close());

  const scim = (method: string, path: string, body?: unknown, headers: Record<string, string> = OKTA) =>
    fetch(`${base}/scim/v2${path}`, {
      method, headers: { ...bearer(h.orgA.token), "Content-Type": SCIM_JSON, ...headers }, body: body === undefined ? undefined : JSON.stringify(body),
    });
  const metrics = async () => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  it("counts requests by route template (never ids) and SCIM operations by IdP, operation and status", async () => {
    const before = await metrics();
    const user = await scim("POST", "/Users", { schemas: [USER_URN], userName: "metrics@example.test" });
    assert.equal(user.status, 201);
    const userId = (await user.json()).id as string;
    for (let i = 0; i < 2; i++) assert.equal((await scim("GET", `/Users/${userId}`)).status, 200);
    const unknownId = randomUUID();
    assert.equal((await scim("GET", `/Users/${unknownId}`)).status, 404);
    const group = await scim("POST", "/Groups", { schemas: [GROUP_URN], displayName: "Metrics" });
    const groupId = (await group.json()).id as string;
    const patch = await scim("PATCH", `/Groups/${groupId}`, { schemas: [PATCH_OP_URN], Operations: [{ op: "add", path: "members", value: [{ value: userId }] }] });
    assert.equal(patch.status, 204);
    const bulk = await scim("POST", "/Bulk?aadOptscim062020", {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
      Operations: [{ method: "POST", path: "/Users", bulkId: "b1", data: { schemas: [USER_URN], userName: "bulk@example.test" } }],
    }, {});
    assert.equal(bulk.status, 200);
    const refused = await fetch(`${base}/scim/v2/Users`, { headers: bearer("rcs_not-a-real-token-0000000") });
    assert.equal(refused.status, 401);
    assert.equal((await fetch(`${base}/nowhere/${unknownId}`)).status, 404);
    const after = await metrics();

    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    const http = (method: string, route: string, status: string) => delta("http_requests_total", { method, route, status });
    assert.equal(http("POST", "/scim/v2/Users", "201"), 1);
    assert.equal(http("GET", "/scim/v2/Users/:id", "200"), 2);
    // The 404 is thrown inside /Users/:id and answered by the SCIM router's error handler: still that route.
    assert.equal(http("GET", "/scim/v2/Users/:id", "404"), 1);
    assert.equal(http("PATCH", "/scim/v2/Groups/:id", "204"), 1);
    assert.equal(http("POST", "/scim/v2/Bulk", "200"), 1);
    assert.equal(http("GET", "unmatched", "401"), 1, "refused before routing");
    assert.equal(http("GET", "unmatched", "404"), 1);
    assert.equal(delta("http_request_duration_seconds_count", { method: "GET", route: "/scim/v2/Users/:id", status: "200" }), 2);
    assert.ok(sample(after, "http_request_duration_seconds_bucket", { method: "GET", route: "/scim/v2/Users/:id", status: "200", le: "+Inf" }) >= 2);
    for (const raw of [userId, unknownId, groupId, "/nowhere"]) assert.ok(!after.includes(raw), `${raw} must not be a label`);

    const scimOps = (idp: string, operation: string, status: string) => delta("scim_operations_total", { idp, operation, status });
    assert.equal(scimOps("okta", "Users.create", "201"), 1);
    assert.equal(scimOps("okta", "Users.get", "200"), 2);
    assert.equal(scimOps("okta", "Users.get", "404"), 1);
    assert.equal(scimOps("okta", "Groups.create", "201"), 1);
    assert.equal(scimOps("okta", "Groups.patch", "204"), 1);
    assert.equal(scimOps("entra", "Bulk", "200"), 1);
    assert.equal(scimOps("generic", "Users.list", "401"), 1, "fetch's User-Agent matches no IdP");

    assert.ok(sample(after, "process_cpu_user_seconds_total") > 0, "default process metrics");
    assert.ok(sample(after, "nodejs_heap_size_used_bytes") > 0);
  });

  it("counts sign-ins by protocol, outcome and reason code, and asks the session layer for the active sessions", async () => {
    const before = await metrics();
    recordLoginOutcome("oidc", "failure", "state_mismatch");
    recordLoginOutcome("oidc", "failure", "state_mismatch");
    recordLoginOutcome("saml", "success", "ok");
    recordLoginOutcome("saml", "failure", "Signature from CN=evil, O=IdP rejected");
    setActiveSessionsCollector(async () => 7);
    const after = await metrics();
    const logins = (protocol: string, outcome: string, reason: string) =>
      sample(after, "sso_logins_total", { protocol, outcome, reason }) - sample(before, "sso_logins_total", { protocol, outcome, reason });
    assert.equal(logins("oidc", "failure", "state_mismatch"), 2);
    assert.equal(logins("saml", "success", "ok"), 1);
    assert.equal(logins("saml", "failure", "other"), 1, "free text is not a reason code");
    assert.ok(!after.includes("CN=evil"));
    assert.equal(sample(after, "active_sessions"), 7);

    setActiveSessionsCollector(async () => {
      throw new Error("database unreachable");
    });
    const failing = await metrics();
    assert.ok(Number.isNaN(sample(failing, "active_sessions")), "NaN, not a stale count");
    assert.ok(sample(failing, "process_cpu_user_seconds_total") > 0, "the rest is still served");
  });
});

describe("/metrics access", () => {
  it("with METRICS_TOKEN: only requests bearing the token, from anywhere", async () => {
    const token = "metrics-token-0123456789abcdef";
    const app = await startOpsApp({ metricsToken: token });
    try {
      const none = await fetch(`${app.url}/metrics`);
      assert.equal(none.status, 401);
      assert.match(none.headers.get("www-authenticate")!, /^Bearer /);
      assert.equal((await fetch(`${app.url}/metrics`, { headers: bearer(`${token}x`) })).status, 401);
      assert.equal((await fetch(`${app.url}/metrics`, { headers: bearer(app.tokens[0]) })).status, 401, "a SCIM token is not the metrics token");
      const ok = await fetch(`${app.url}/metrics`, { headers: { ...bearer(token), "X-Forwarded-For": "203.0.113.9" } });
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /^# HELP /m);
    } finally {
      await app.close();
    }
  });

  it("without METRICS_TOKEN: direct loopback clients only, never a request relayed by a proxy", async () => {
    const app = await startOpsApp({}, "0.0.0.0");
    try {
      assert.equal((await fetch(`${app.url}/metrics`)).status, 200);
      for (const header of ["X-Forwarded-For", "Forwarded", "X-Real-IP"]) {
        const relayed = await fetch(`${app.url}/metrics`, { headers: { [header]: "203.0.113.9" } });
        assert.equal(relayed.status, 403, header);
        assert.match((await relayed.json()).error, /METRICS_TOKEN/);
      }
    } finally {
      await app.close();
    }
  });

  const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === "IPv4" && !a.internal)?.address;
  it("without METRICS_TOKEN: refused to a client on another interface", { skip: external ? false : "no non-loopback IPv4 interface here" }, async () => {
    const app = await startOpsApp({}, "0.0.0.0");
    try {
      assert.equal((await fetch(`http://${external}:${app.port}/metrics`)).status, 403);
      assert.equal((await fetch(`http://${external}:${app.port}/healthz`)).status, 200, "the interface itself works");
    } finally {
      await app.close();
    }
  });
});
