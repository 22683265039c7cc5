import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { randomBytes } from "node:crypto";
import { HTTPS_WITHOUT_TRUSTED_PROXY } from "../src/config.js";
import { databaseTargets } from "./support/databases.js";
import { runServerToExit as run, startServer as start, stopServer as stop } from "./support/server-process.js";

describe("server start-up", () => {
  const dir = mkdtempSync(join(tmpdir(), "rollcall-server-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("first start on an empty SQLite database prints the SCIM URL and a working token, once; SIGTERM exits cleanly", async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, "first", "db.sqlite")}`, BASE_URL: "https://id.example.test" };
    const first = await start(env);
    const token = /SCIM bearer token: (\S+)/.exec(first.stdout)?.[1];
    assert.ok(token?.startsWith("rcs_"), first.stdout);
    assert.match(first.stdout, /SCIM base URL: https:\/\/id\.example\.test\/scim\/v2/);
    const warnings = first.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).filter((e) => e.level === 40);
    assert.ok(warnings.some((e) => e.msg === HTTPS_WITHOUT_TRUSTED_PROXY), "an https BASE_URL without TRUST_PROXY is warned about at start");
    const ok = await fetch(`http://127.0.0.1:${first.port}/scim/v2/Users`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    const bad = await fetch(`http://127.0.0.1:${first.port}/scim/v2/Users`, { headers: { Authorization: "Bearer rcs_wrong-token-value-000000" } });
    assert.equal(bad.status, 401);
    assert.equal((await fetch(`http://127.0.0.1:${first.port}/healthz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${first.port}/readyz`)).status, 200);
    assert.equal(await stop(first.child), 0);

    const second = await start(env);
    assert.doesNotMatch(second.stdout, /SCIM bearer token/);
    const still = await fetch(`http://127.0.0.1:${second.port}/scim/v2/Users`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(still.status, 200);
    assert.equal(await stop(second.child), 0);
  });

  it("ROLLCALL_BOOTSTRAP_SCIM_TOKEN becomes the first token, is not printed, and is stored only hashed", async () => {
    const value = "unattended-bootstrap-token-0123456789";
    const db = join(dir, "boot", "db.sqlite");
    const { child, port, stdout } = await start({ DATABASE_URL: `sqlite:${db}`, ROLLCALL_BOOTSTRAP_SCIM_TOKEN: value });
    assert.ok(!stdout.includes(value));
    const res = await fetch(`http://127.0.0.1:${port}/scim/v2/Users`, { headers: { Authorization: `Bearer ${value}` } });
    assert.equal(res.status, 200);
    assert.equal(await stop(child), 0);
    for (const file of readdirSync(join(dir, "boot"))) {
      assert.ok(!readFileSync(join(dir, "boot", file)).includes(value), `the token must not be in ${file}`);
    }
  });

  it("starts on PostgreSQL with a shared secret key, applying migrations once for replicas started together", async (t) => {
    const postgres = (await databaseTargets()).find((d) => d.name === "postgres")!;
    if (postgres.skip) return t.skip(postgres.skip);
    const { url, drop } = await postgres.create();
    try {
      const env = { DATABASE_URL: url, ROLLCALL_SECRET_KEY: randomBytes(32).toString("base64") };
      const [a, b] = await Promise.all([start(env), start(env)]);
      const tokens = [a.stdout, b.stdout].map((out) => /SCIM bearer token: (\S+)/.exec(out)?.[1]).filter(Boolean);
      assert.equal(tokens.length, 1, "exactly one replica creates the default organization and prints its token");
      for (const replica of [a, b]) {
        const res = await fetch(`http://127.0.0.1:${replica.port}/scim/v2/Users`, { headers: { Authorization: `Bearer ${tokens[0]}` } });
        assert.equal(res.status, 200);
      }
      assert.deepEqual(await Promise.all([stop(a.child), stop(b.child)]), [0, 0]);
    } finally {
      await drop();
    }
  });

  it("invalid configuration stops the server with a message naming the variable", async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: "seventy" }, /PORT/],
      [{ DATABASE_URL: "mysql://x" }, /DATABASE_URL must be sqlite:<path> or postgres/],
      [{ BASE_URL: "not a url" }, /BASE_URL must be an absolute http\(s\) URL/],
      [{ LOG_LEVEL: "loud" }, /LOG_LEVEL/],
      [{ ROLLCALL_BOOTSTRAP_SCIM_TOKEN: "short" }, /at least 24 characters/],
      [{ ROLLCALL_SECRET_KEY: "c2hvcnQ=" }, /ROLLCALL_SECRET_KEY must be 32 bytes/],
      [{ DATABASE_URL: "postgres://127.0.0.1:1/none" }, /ROLLCALL_SECRET_KEY is required with PostgreSQL/],
    ];
    for (const [env, message] of cases) {
      const { code, stderr } = await run({ DATABASE_URL: `sqlite:${join(dir, "cfg.sqlite")}`, ...env });
      assert.equal(code, 2, JSON.stringify(env));
      assert.match(stderr, message);
    }
  });
});
