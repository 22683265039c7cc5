import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startServer, stopServer } from "../support/server-process.js";
import { bearer } from "./app.js";

describe("the real server takes the operations settings from its environment", () => {
  it("RATE_LIMIT_SCIM_PER_MINUTE, RATE_LIMIT_LOGIN_PER_MINUTE, TRUST_PROXY and METRICS_TOKEN reach the app", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rollcall-ops-"));
    const token = "ops-bootstrap-token-0123456789abcdef";
    const metricsToken = "ops-metrics-token-0123456789";
    const server = await startServer({
      DATABASE_URL: `sqlite:${join(dir, "db.sqlite")}`, ROLLCALL_BOOTSTRAP_SCIM_TOKEN: token,
      RATE_LIMIT_SCIM_PER_MINUTE: "2", RATE_LIMIT_LOGIN_PER_MINUTE: "1", TRUST_PROXY: "loopback", METRICS_TOKEN: metricsToken,
    });
    const base = `http://127.0.0.1:${server.port}`;
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${base}/scim/v2/Users`, { headers: bearer(token) })).status);
      assert.deepEqual(statuses, [200, 200, 429]);

      const limited = (ip: string) => fetch(`${base}/login/acme`, { headers: { "X-Forwarded-For": ip } }).then((r) => r.status === 429);
      assert.deepEqual([await limited("203.0.113.1"), await limited("203.0.113.1"), await limited("203.0.113.2")], [false, true, false],
        "one sign-in request a minute per client behind the trusted proxy");

      assert.equal((await fetch(`${base}/metrics`)).status, 401, "even from loopback, once a token is set");
      const metrics = await fetch(`${base}/metrics`, { headers: bearer(metricsToken) });
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /^scim_operations_total\{idp="generic",operation="Users\.list",status="429"\} 1$/m);
      assert.equal(await stopServer(server.child), 0);
      assert.deepEqual(server.errors, []);
    } finally {
      await stopServer(server.child);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps an idle connection open longer than a proxy in front keeps its own (60 s), not Node's 5 s", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rollcall-ops-"));
    const server = await startServer({ DATABASE_URL: `sqlite:${join(dir, "db.sqlite")}` });
    try {
      // The server announces its idle timeout to keep-alive clients; node:http's Agent and proxies go by it.
      const keepAlive = await new Promise<string | string[] | undefined>((resolve, reject) => {
        get({ host: "127.0.0.1", port: server.port, path: "/healthz", headers: { Connection: "keep-alive" } }, (res) => {
          res.resume().on("end", () => resolve(res.headers["keep-alive"]));
        }).on("error", reject);
      });
      assert.equal(keepAlive, "timeout=65");
      assert.equal(await stopServer(server.child), 0);
    } finally {
      await stopServer(server.child);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
