/**
 * Rate limits across replicas on the real Redis (REDIS_URL): the budget holds in total, and Redis going away — a
 * partition, a stopped server, or one that was never there — degrades to per-replica counts with one warning,
 * never to a 500 or a hang, and sharing resumes by itself once Redis answers again.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { once } from "node:events";
import { AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { Database, openDatabase } from "../../src/db/database.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createScimToken } from "../../src/identity/scim-tokens.js";
import { RateLimits } from "../../src/rate-limit.js";
import { connectRedis, SharedRedis } from "../../src/redis.js";
import { RunningApp, startAppOn } from "../support/app-server.js";
import { keysUnder, RedisProxy, redisUnreachable, TEST_REDIS_URL, uniquePrefix } from "../support/redis.js";
import { startServer, stopServer } from "../support/server-process.js";
import { bearer } from "./app.js";

const unreachable = await redisUnreachable();
/** Long enough for any timeout of ours to have fired many times over: a request still unanswered then is hung. */
const HANG = 10_000;
const UNMET = 10_000;

/** A logger that keeps its lines, to count warnings. */
function recordingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, count: (level: number, msg: RegExp) => lines.filter((l) => l.level === level && msg.test(l.msg)).length };
}
const WARN = 40;
const INFO = 30;

/** Waits for a state the client reaches by itself (a reconnection), checking every 50 ms, for at most 20 s. */
async function until(condition: () => boolean, what: string) {
  for (const deadline = Date.now() + 20_000; !condition();) {
    if (Date.now() > deadline) throw new Error(`still not ${what} after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("rate limits shared through Redis", { skip: unreachable ?? undefined }, () => {
  let db: Database;
  let token: string;
  let tokenId: string;
  const running: { close(): unknown }[] = [];

  before(async () => {
    db = await openDatabase({ url: "sqlite::memory:" });
    const system = { type: "system" as const, id: null };
    const org = await createOrganization(db, { slug: "shared", name: "Shared" }, system);
    const created = await createScimToken(db, org.id, { name: "idp" }, system);
    token = created.token;
    tokenId = created.info.id;
  });
  after(async () => {
    for (const r of running.reverse()) await r.close();
    await db.close();
  });

  const redisAt = (url: string, prefix: string, logger = pino({ level: "silent" })) => {
    const redis = connectRedis(url, logger, prefix);
    running.push(redis);
    return redis;
  };
  /** A replica: the real app on the shared database, trusting the loopback proxy for X-Forwarded-For. */
  async function replica(redis: SharedRedis, rateLimits: RateLimits): Promise<RunningApp> {
    const app = await startAppOn(db, { redis, rateLimits, trustProxy: "loopback" });
    running.push(app);
    return app;
  }
  const signIn = (app: RunningApp, ip: string) =>
    fetch(`${app.origin}/login/acme`, { headers: { "X-Forwarded-For": ip }, signal: AbortSignal.timeout(HANG) }).then((r) => r.status);
  const scim = (app: RunningApp) =>
    fetch(`${app.origin}/scim/v2/Users`, { headers: bearer(token), signal: AbortSignal.timeout(HANG) }).then((r) => r.status);
  /** Which of the requests were refused. */
  const limited = (statuses: number[]) => statuses.map((s) => s === 429);

  it("two replicas on one Redis, 10 a minute: 6 requests to each, and the 11th and 12th are refused (sign-in per IP, SCIM per token)", async () => {
    const prefix = uniquePrefix();
    const [redisA, redisB] = [redisAt(TEST_REDIS_URL, prefix), redisAt(TEST_REDIS_URL, prefix)];
    await Promise.all([redisA.firstAttempt, redisB.firstAttempt]);
    const [a, b] = await Promise.all([replica(redisA, { scimPerMinute: 10, loginPerMinute: 10 }), replica(redisB, { scimPerMinute: 10, loginPerMinute: 10 })]);

    const signIns: number[] = [];
    for (let i = 0; i < 12; i++) signIns.push(await signIn(i % 2 ? b : a, "203.0.113.7"));
    assert.deepEqual(limited(signIns), [...Array(10).fill(false), true, true], `statuses: ${signIns}`);
    assert.equal(await signIn(b, "198.51.100.8"), 404, "another client has its own budget (unknown login path: 404)");

    const scimStatuses: number[] = [];
    for (let i = 0; i < 12; i++) scimStatuses.push(await scim(i % 2 ? b : a));
    assert.deepEqual(scimStatuses, [...Array(10).fill(200), 429, 429]);

    assert.deepEqual((await keysUnder(prefix)).sort(),
      [`${prefix}rate-limit:login:198.51.100.8`, `${prefix}rate-limit:login:203.0.113.7`, `${prefix}rate-limit:scim:${tokenId}`]);
  });

  it("Redis partitioned away, then back, then stopped: every request answers, limits go per replica with one warning an outage, and sharing resumes by itself",
    { timeout: 60_000 }, async () => {
      const prefix = uniquePrefix();
      const proxy = await RedisProxy.start();
      running.push(proxy);
      const log = recordingLogger();
      const direct = redisAt(TEST_REDIS_URL, prefix);
      const proxied = redisAt(proxy.url, prefix, log.logger);
      await Promise.all([direct.firstAttempt, proxied.firstAttempt]);
      const limits = { scimPerMinute: UNMET, loginPerMinute: 4 };
      const [a, b] = await Promise.all([replica(direct, limits), replica(proxied, limits)]);
      const unreachableWarnings = () => log.count(WARN, /^Redis is unreachable/);

      // Both connected, and then, before the proxied replica has sent Redis anything, a partition: its Redis neither
      // refuses nor answers. Each replica now has a budget of its own.
      assert.ok(proxied.available());
      proxy.stopForwarding();
      const local = async (ip: string) => {
        const statuses: number[] = [];
        for (const app of [b, b, b, b, b, a, a, a, a, a]) statuses.push(await signIn(app, ip));
        assert.ok(statuses.every((s) => s === 404 || s === 429), `answered, never 500: ${statuses}`);
        assert.deepEqual(limited(statuses), [false, false, false, false, true, false, false, false, false, true], `statuses: ${statuses}`);
      };
      await local("203.0.113.2");
      assert.equal(await scim(b), 200, "SCIM answers too");
      assert.equal(unreachableWarnings(), 1, "one warning, not one per request");

      // Back: the client redials by itself, and the count is shared again: 2 + 2 use the budget of 4, on either replica.
      proxy.resumeForwarding();
      await until(() => proxied.available(), "reconnected");
      const statuses: number[] = [];
      for (const app of [a, b, a, b, b, a]) statuses.push(await signIn(app, "203.0.113.3"));
      assert.deepEqual(limited(statuses), [false, false, false, false, true, true], `statuses: ${statuses}`);
      assert.equal(log.count(INFO, /^Redis answers again/), 1);

      // Stopped: connections reset and refused.
      await proxy.close();
      await local("203.0.113.4");
      assert.equal(unreachableWarnings(), 2, "one more warning, for the second outage");
    });

  it("Redis unreachable at start-up: the replica starts and limits per replica, with one warning", async () => {
    const closed = createServer().listen(0, "127.0.0.1");
    await once(closed, "listening");
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const log = recordingLogger();
    const redis = redisAt(`redis://127.0.0.1:${port}`, uniquePrefix(), log.logger);
    await redis.firstAttempt;
    const app = await replica(redis, { scimPerMinute: UNMET, loginPerMinute: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push(await signIn(app, "203.0.113.5"));
    assert.deepEqual(statuses, [404, 404, 429, 429]);
    assert.equal(log.count(WARN, /^Redis is unreachable/), 1);
  });

  it("the real server reads REDIS_URL and REDIS_KEY_PREFIX: it shares one sign-in budget with another replica", { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "rollcall-redis-"));
    const prefix = uniquePrefix();
    const server = await startServer({
      DATABASE_URL: `sqlite:${join(dir, "db.sqlite")}`, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT_LOGIN_PER_MINUTE: "2", TRUST_PROXY: "loopback",
    });
    try {
      assert.match(server.stdout, /Redis connected: rate limits are shared across replicas/, "connected before it listens");
      const redis = redisAt(TEST_REDIS_URL, prefix);
      await redis.firstAttempt;
      const other = await replica(redis, { scimPerMinute: UNMET, loginPerMinute: 2 });
      const spawned = { origin: `http://127.0.0.1:${server.port}` } as RunningApp;
      assert.deepEqual(limited([await signIn(spawned, "203.0.113.6"), await signIn(other, "203.0.113.6"), await signIn(spawned, "203.0.113.6")]),
        [false, false, true]);
      assert.deepEqual(await keysUnder(prefix), [`${prefix}rate-limit:login:203.0.113.6`]);
      assert.equal(await stopServer(server.child), 0);
      assert.deepEqual(server.errors, []);
    } finally {
      await stopServer(server.child);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
