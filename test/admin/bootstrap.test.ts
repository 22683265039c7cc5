import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openDatabase } from "../../src/db/database.js";
import { BOOTSTRAP_OPERATOR_EMAIL, bootstrapOperator, verifyAdminPassword } from "../../src/identity/admins.js";
import { databaseTargets } from "../support/databases.js";
import { startServer, stopServer } from "../support/server-process.js";

for (const target of await databaseTargets()) {
  describe(`first operator (${target.name})`, { skip: target.skip }, () => {
    it("is created once, by one of several replicas starting together, with a password that logs in", async () => {
      const { url, drop } = await target.create();
      const db = await openDatabase({ url });
      try {
        const outcomes = await Promise.all([bootstrapOperator(db), bootstrapOperator(db), bootstrapOperator(db)]);
        const created = outcomes.filter((o) => o !== null);
        assert.equal(created.length, 1);
        const [{ account, password }] = created;
        assert.deepEqual([account.email, account.role, account.organizationId], [BOOTSTRAP_OPERATOR_EMAIL, "operator", null]);
        assert.equal(account.mustChangePassword, true, "a one-time password: the console asks for a new one");
        assert.ok(password.length >= 24);
        assert.equal((await verifyAdminPassword(db, BOOTSTRAP_OPERATOR_EMAIL, password))?.id, account.id);
        assert.equal(await bootstrapOperator(db), null, "never again once an admin account exists");
      } finally {
        await db.close();
        await drop();
      }
    });
  });
}

describe("admin password check", () => {
  it("does the same scrypt work for an unknown email as for a wrong password, from the first call on", async () => {
    const [sqlite] = await databaseTargets();
    const { url } = await sqlite.create();
    const db = await openDatabase({ url });
    try {
      await bootstrapOperator(db);
      // The work done, as this process's CPU time (scrypt runs on libuv's threads, which count in it), not the wall
      // clock, which a busy machine stretches for one call and not the other.
      const median = async (email: string) => {
        const cpu: number[] = [];
        for (let i = 0; i < 3; i++) {
          const started = process.cpuUsage();
          assert.equal(await verifyAdminPassword(db, email, "a wrong password"), null);
          const used = process.cpuUsage(started);
          cpu.push((used.user + used.system) / 1000);
        }
        return cpu.sort((a, b) => a - b)[1];
      };
      const unknown = await median("nobody@example.test");
      const known = await median(BOOTSTRAP_OPERATOR_EMAIL);
      // Without the decoy an unknown email costs about a millisecond of CPU, against tens for scrypt.
      assert.ok(unknown > known / 3 && known > unknown / 3, `unknown ${unknown.toFixed(1)} ms, known ${known.toFixed(1)} ms of CPU`);
    } finally {
      await db.close();
    }
  });
});

describe("server first start", () => {
  const dir = mkdtempSync(join(tmpdir(), "rollcall-operator-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints the operator's one-time password once; it logs in to the admin API and is stored only as a digest", async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, "db.sqlite")}`, BASE_URL: "https://id.example.test" };
    const first = await startServer(env);
    try {
      assert.match(first.stdout, /Rollcall created the operator account admin@localhost\./);
      const password = /Password: (\S+)/.exec(first.stdout)![1];
      const login = await fetch(`http://127.0.0.1:${first.port}/api/v1/auth/login`, {
        method: "POST", headers: { "content-type": "application/json", origin: "https://id.example.test" },
        body: JSON.stringify({ email: "admin@localhost", password }),
      });
      assert.equal(login.status, 200);
      assert.equal((await login.json()).kind, "operator");
      for (const file of readdirSync(dir)) assert.ok(!readFileSync(join(dir, file)).includes(password), `not in ${file}`);
    } finally {
      assert.equal(await stopServer(first.child), 0);
    }
    const second = await startServer(env);
    assert.doesNotMatch(second.stdout, /operator account|Password:/);
    assert.equal(await stopServer(second.child), 0);
  });
});
