import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, TrustProxy } from "../../src/config.js";
import { ERROR_SCHEMA } from "../../src/scim/errors.js";
import { USER_URN } from "../../src/scim/schemas.js";
import { bearer, startOpsApp } from "./app.js";

const BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/** High enough never to be met where a test exercises the other limit. */
const UNMET = 10_000;

describe("SCIM rate limit, per token", () => {
  it("answers 429 as a SCIM Error with Retry-After once a token has used its budget; other tokens keep theirs", async () => {
    const app = await startOpsApp({ rateLimits: { scimPerMinute: 3, loginPerMinute: UNMET } });
    try {
      const [first, second] = app.tokens;
      const users = (token: string) => fetch(`${app.url}/scim/v2/Users`, { headers: bearer(token) });
      for (let i = 0; i < 3; i++) {
        const res = await users(first);
        assert.equal(res.status, 200);
        assert.match(res.headers.get("ratelimit")!, new RegExp(`r=${2 - i}; t=\\d+`));
      }
      const limited = await users(first);
      assert.equal(limited.status, 429);
      assert.match(limited.headers.get("content-type")!, /^application\/scim\+json/);
      const retryAfter = Number(limited.headers.get("retry-after"));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${retryAfter}`);
      const body = await limited.json();
      assert.deepEqual(body.schemas, [ERROR_SCHEMA]);
      assert.equal(body.status, "429");
      assert.equal(body.scimType, undefined);
      assert.match(body.detail, new RegExp(`retry after ${retryAfter} seconds`));

      // Bulk is limited before its (up to 4 MiB) body is read, with the same SCIM Error.
      const bulk = await fetch(`${app.url}/scim/v2/Bulk`, {
        method: "POST", headers: { ...bearer(first), "Content-Type": "application/scim+json" },
        body: JSON.stringify({ schemas: [BULK_REQUEST], Operations: [{ method: "POST", path: "/Users", data: { schemas: [USER_URN], userName: "x@example.test" } }] }),
      });
      assert.equal(bulk.status, 429);
      assert.equal((await bulk.json()).status, "429");
      assert.equal((await app.db.dataSource.query("SELECT COUNT(*) AS n FROM users"))[0].n, 0, "the limited Bulk wrote nothing");

      assert.equal((await users(second)).status, 200, "the other token has its own budget");
      assert.equal((await fetch(`${app.url}/scim/v2/ServiceProviderConfig`)).status, 200, "discovery needs no token and is not limited");
    } finally {
      await app.close();
    }
  });

  it("does not count requests without a valid token against any token", async () => {
    const app = await startOpsApp({ rateLimits: { scimPerMinute: 2, loginPerMinute: UNMET } });
    try {
      for (let i = 0; i < 5; i++) assert.equal((await fetch(`${app.url}/scim/v2/Users`, { headers: bearer("rcs_wrong-token-value-000000") })).status, 401);
      assert.equal((await fetch(`${app.url}/scim/v2/Users`, { headers: bearer(app.tokens[0]) })).status, 200);
    } finally {
      await app.close();
    }
  });
});

describe("sign-in rate limit, per client IP", () => {
  const signInPaths = ["/login/acme", "/sso/3f1e/oidc/callback?code=x", "/api/v1/auth/login", "/console/login", "/setup/rcl_x", "/api/v1/setup-links/redeem"];

  it("counts every sign-in path together and answers 429 with Retry-After, as text or as JSON when asked", async () => {
    const app = await startOpsApp({ rateLimits: { scimPerMinute: UNMET, loginPerMinute: signInPaths.length } });
    try {
      for (const path of signInPaths) assert.notEqual((await fetch(`${app.url}${path}`)).status, 429, path);
      const text = await fetch(`${app.url}/login/acme`, { headers: { Accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
      assert.equal(text.status, 429);
      assert.match(text.headers.get("content-type")!, /^text\/plain/);
      const retryAfter = Number(text.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 60);
      assert.equal(await text.text(), `Too many sign-in attempts from your network. Please wait ${retryAfter} seconds and try again.`);
      const json = await fetch(`${app.url}/console/login`, { method: "POST", headers: { Accept: "application/json" } });
      assert.equal(json.status, 429);
      assert.deepEqual(Object.keys(await json.json()), ["error", "message"]);

      assert.equal((await fetch(`${app.url}/healthz`)).status, 200, "other paths are not limited");
      assert.notEqual((await fetch(`${app.url}/logins`)).status, 429, "a path that only starts like /login is not a sign-in path");
      assert.notEqual((await fetch(`${app.url}/api/v1/auth/me`)).status, 429, "reading who is logged in is not a sign-in");
      for (const portalPage of ["/setup", "/setup/steps/sso", "/setup/done"]) {
        assert.notEqual((await fetch(`${app.url}${portalPage}`, { redirect: "manual" })).status, 429, `the setup portal's ${portalPage} is not a sign-in`);
      }
      assert.equal((await fetch(`${app.url}/setup/rcl_another`, { redirect: "manual" })).status, 429, "redeeming a setup link is");
      assert.equal((await fetch(`${app.url}/scim/v2/Users`, { headers: bearer(app.tokens[0]) })).status, 200);
    } finally {
      await app.close();
    }
  });

  /** Two clients behind the proxy send different X-Forwarded-For; the first one uses up its budget. */
  async function secondClientAfterFirstIsLimited(trustProxy: TrustProxy): Promise<boolean> {
    const app = await startOpsApp({ rateLimits: { scimPerMinute: UNMET, loginPerMinute: 2 }, trustProxy });
    try {
      const from = (ip: string) => fetch(`${app.url}/login/acme`, { headers: { "X-Forwarded-For": ip } });
      for (let i = 0; i < 2; i++) assert.notEqual((await from("203.0.113.1")).status, 429);
      assert.equal((await from("203.0.113.1")).status, 429);
      return (await from("198.51.100.2")).status === 429;
    } finally {
      await app.close();
    }
  }

  it("with TRUST_PROXY naming the proxy, each client behind it has its own budget", async () => {
    assert.equal(await secondClientAfterFirstIsLimited("loopback"), false);
    assert.equal(await secondClientAfterFirstIsLimited(1), false);
  });

  it("without TRUST_PROXY, X-Forwarded-For is ignored: a client cannot dodge the limit by inventing addresses", async () => {
    assert.equal(await secondClientAfterFirstIsLimited(false), true);
  });
});

describe("operations configuration", () => {
  const load = (env: Record<string, string>) => loadConfig({ DATABASE_URL: "sqlite::memory:", ...env }).config;

  it("defaults: 1200 SCIM requests a minute per token, 30 sign-in requests per IP, no proxy trusted, no metrics token", () => {
    const config = load({});
    assert.deepEqual(config.rateLimits, { scimPerMinute: 1200, loginPerMinute: 30 });
    assert.equal(config.trustProxy, false);
    assert.equal(config.metricsToken, undefined);
    assert.equal(config.redis, undefined, "counted in memory unless REDIS_URL is set");
  });

  it("reads the variables", () => {
    const config = load({
      RATE_LIMIT_SCIM_PER_MINUTE: "600", RATE_LIMIT_LOGIN_PER_MINUTE: "10", METRICS_TOKEN: "0123456789abcdef", TRUST_PROXY: "2",
    });
    assert.deepEqual(config.rateLimits, { scimPerMinute: 600, loginPerMinute: 10 });
    assert.equal(config.metricsToken, "0123456789abcdef");
    assert.equal(config.trustProxy, 2);
    assert.equal(load({ TRUST_PROXY: "loopback, 10.0.0.0/8, fd00::1" }).trustProxy, "loopback, 10.0.0.0/8, fd00::1");
    assert.equal(load({ TRUST_PROXY: "false" }).trustProxy, false);
    assert.deepEqual(load({ REDIS_URL: "redis://:pw@redis.internal:6379/2" }).redis, { url: "redis://:pw@redis.internal:6379/2", keyPrefix: "rollcall:" });
    assert.deepEqual(load({ REDIS_URL: "rediss://redis.internal", REDIS_KEY_PREFIX: "staging:" }).redis, { url: "rediss://redis.internal", keyPrefix: "staging:" });
  });

  it("refuses bad values, naming the variable", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ RATE_LIMIT_SCIM_PER_MINUTE: "0" }, /RATE_LIMIT_SCIM_PER_MINUTE/],
      [{ RATE_LIMIT_LOGIN_PER_MINUTE: "lots" }, /RATE_LIMIT_LOGIN_PER_MINUTE/],
      [{ METRICS_TOKEN: "short" }, /METRICS_TOKEN must be at least 16 characters/],
      [{ TRUST_PROXY: "true" }, /TRUST_PROXY .*not true/],
      [{ TRUST_PROXY: "proxy.example.com" }, /TRUST_PROXY must be false, the number of proxies/],
      [{ REDIS_URL: "127.0.0.1:6379" }, /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
      [{ REDIS_URL: "http://redis.internal" }, /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
      [{ REDIS_URL: "redis://redis.internal", REDIS_KEY_PREFIX: "" }, /REDIS_KEY_PREFIX must not be empty/],
    ];
    for (const [env, message] of cases) assert.throws(() => load(env), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(env));
  });
});
