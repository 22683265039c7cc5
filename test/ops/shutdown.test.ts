import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { openDatabase } from "../../src/db/database.js";
import { USER_URN } from "../../src/scim/schemas.js";
import { startServer, stopServer } from "../support/server-process.js";

/** About a second of work here: long enough to be in flight at SIGTERM, well inside the server's 10 s grace. */
const USERS = 300;

/** GET /healthz through `agent` (false: a fresh connection); resolves with the status, rejects if refused or reset. */
function healthz(port: number, agent: Agent | false): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/healthz", agent }, (res) => {
      res.resume();
      res.once("end", () => resolve(res.statusCode!));
    });
    req.once("error", reject);
    req.end();
  });
}

describe("graceful shutdown of the real server", () => {
  it(`SIGTERM during a ${USERS}-operation Bulk: no new connections or requests, the Bulk completes with 200, the process exits 0`, { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "rollcall-shutdown-"));
    const url = `sqlite:${join(dir, "db.sqlite")}`;
    const token = `rcs_shutdown_${randomBytes(16).toString("hex")}`;
    const server = await startServer({ DATABASE_URL: url, ROLLCALL_BOOTSTRAP_SCIM_TOKEN: token });
    const reader = await openDatabase({ url, runMigrations: false });
    const keptAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const committed = async () => Number((await reader.dataSource.query("SELECT COUNT(*) AS n FROM users"))[0].n);
      const operations = Array.from({ length: USERS }, (_, i) => ({
        method: "POST", path: "/Users", bulkId: `u${i}`, data: { schemas: [USER_URN], userName: `shutdown${i}@example.test` },
      }));
      let answered = false;
      const bulk = fetch(`http://127.0.0.1:${server.port}/scim/v2/Bulk`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/scim+json" },
        body: JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: operations }),
      }).finally(() => (answered = true));
      // Meanwhile a client sends request after request on one kept-alive connection, as an IdP's sync does.
      let keptAliveServed = 0;
      const keptAliveClient = (async () => {
        for (;;) {
          try {
            assert.equal(await healthz(server.port, keptAlive), 200);
            keptAliveServed++;
          } catch {
            return;
          }
        }
      })();

      const deadline = Date.now() + 30_000;
      while (await committed() < 10) {
        assert.ok(Date.now() < deadline, "the Bulk request made no progress");
        await sleep(5);
      }
      assert.ok(keptAliveServed > 0);
      const exited = stopServer(server.child);
      while (await healthz(server.port, false).then(() => true, () => false)) {
        assert.ok(Date.now() < deadline, "the server kept accepting connections after SIGTERM");
        await sleep(5);
      }
      assert.equal(answered, false, "the Bulk was still running when the server stopped accepting; make it larger if this fails");

      const res = await bulk;
      assert.equal(res.status, 200);
      const results: { status: string }[] = (await res.json()).Operations;
      assert.equal(results.length, USERS);
      assert.deepEqual([...new Set(results.map((r) => r.status))], ["201"]);
      await keptAliveClient;
      // Exit code 1 would be the 10 s deadline: the Bulk's kept-alive connection must be closed once answered, since
      // its keep-alive timeout (65 s) would hold server.close() back past the deadline.
      assert.equal(await exited, 0, "exits by itself, not by the 10 s deadline");
      assert.equal(await committed(), USERS);
      assert.deepEqual(server.errors, []);
    } finally {
      keptAlive.destroy();
      await stopServer(server.child);
      await reader.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
