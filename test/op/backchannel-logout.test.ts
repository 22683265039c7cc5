import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { pino } from "pino";
import { Database, openDatabase } from "../../src/db/database.js";
import { sql } from "../../src/db/sql.js";
import { createOpClient } from "../../src/identity/op-clients.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createScimToken } from "../../src/identity/scim-tokens.js";
import { backchannelLogoutPass, LogoutSenderDeps } from "../../src/apps/op/backchannel-logout.js";
import { SigningKeys } from "../../src/apps/op/keys.js";
import { RunningApp, startAppOn } from "../support/app-server.js";
import { databaseTargets } from "../support/databases.js";

/**
 * OIDC Back-Channel Logout from the lifecycle outbox: a SCIM deactivation or deletion reaches every app open to the
 * user's organization as a logout token, which an app (a real HTTP receiver here) validates per §2.6 of the spec;
 * an app that fails is retried on the backoff schedule, timed by the clock the test passes.
 */
const system = { type: "system" as const, id: null };
const key = randomBytes(32);
const SCIM = "application/scim+json";

for (const target of await databaseTargets()) {
  describe(`back-channel logout (${target.name})`, { skip: target.skip }, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let app: RunningApp;
    let receiver: Server;
    let receiverUrl: string;
    let deps: LogoutSenderDeps;
    let scimToken: string;
    let clientId: string;
    /** The logout tokens posted to the receiver, per path; the next `failing` posts are answered 500. */
    const received: { path: string; token: string }[] = [];
    let failing = 0;

    before(async () => {
      const created = await target.create({ migrated: true });
      drop = created.drop;
      db = await openDatabase({ url: created.url });
      app = await startAppOn(db, { secretKey: key });
      receiver = createServer((req, res) => {
        let body = "";
        req.on("data", (chunk) => { body += chunk; });
        req.on("end", () => {
          received.push({ path: req.url!, token: new URLSearchParams(body).get("logout_token") ?? "" });
          res.statusCode = failing > 0 ? (failing--, 500) : 200;
          res.setHeader("cache-control", "no-store");
          res.end();
        });
      });
      receiver.listen(0, "127.0.0.1");
      await once(receiver, "listening");
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
      const acme = await createOrganization(db, { slug: "acme", name: "Acme" }, system);
      const globex = await createOrganization(db, { slug: "globex", name: "Globex" }, system);
      scimToken = (await createScimToken(db, acme.id, { name: "idp" }, system)).token;
      clientId = (await createOpClient(db, { name: "Reports", redirectUris: ["https://reports.example/cb"], backchannelLogoutUri: `${receiverUrl}/reports` }, system)).client.clientId;
      await createOpClient(db, { name: "Globex only", redirectUris: ["https://g.example/cb"], organizationIds: [globex.id], backchannelLogoutUri: `${receiverUrl}/globex` }, system);
      await createOpClient(db, { name: "No logout URI", redirectUris: ["https://n.example/cb"] }, system);
      deps = { db, baseUrl: app.origin, keys: new SigningKeys(db, key), logger: pino({ level: "silent" }), allowInsecureIdp: true };
      // The consumer starts after the newest event: from here on.
      await backchannelLogoutPass(deps);
    });
    after(async () => {
      await app?.close();
      receiver?.closeAllConnections();
      receiver?.close();
      await db?.close();
      await drop?.();
    });

    const scim = (method: string, path: string, body?: unknown) => fetch(`${app.origin}/scim/v2${path}`, {
      method, headers: { authorization: `Bearer ${scimToken}`, "content-type": SCIM }, body: body ? JSON.stringify(body) : undefined,
    });
    const patchActive = (id: string, value: boolean) => scim("PATCH", `/Users/${id}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value }],
    });
    async function newUser(userName: string): Promise<string> {
      const res = await scim("POST", "/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName, active: true });
      assert.equal(res.status, 201);
      return (await res.json()).id;
    }

    /**
     * A pass once the outbox shows the change's events. On PostgreSQL the outbox hands out an event only when every
     * transaction older than it has ended, in the whole cluster: another suite's open transaction on this shared server
     * holds it back for a moment (docs/decisions.md). Waits for that, up to 30 s, and no longer than it takes.
     */
    async function passOnceQueued(now?: Date) {
      for (let tries = 0; ; tries++) {
        const pass = await backchannelLogoutPass(deps, now);
        if (pass.queued > 0 || tries >= 120) return pass;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }

    /** Validates a logout token the way §2.6 asks a relying party to. */
    async function validLogoutToken(token: string) {
      const jwks = createRemoteJWKSet(new URL(`${app.origin}/oidc/jwks`));
      const { payload } = await jwtVerify(token, jwks, { issuer: app.origin, audience: clientId, typ: "logout+jwt", maxTokenAge: "2m" });
      assert.ok(payload.sub || payload.sid, "sub or sid");
      assert.deepEqual(payload.events, { "http://schemas.openid.net/event/backchannel-logout": {} });
      assert.equal(payload.nonce, undefined, "a nonce is prohibited");
      assert.ok(payload.jti);
      return payload;
    }

    it("a SCIM deactivation reaches the app open to the organization, once, with a valid logout token", async () => {
      const userId = await newUser("ada@acme.test");
      assert.equal((await patchActive(userId, false)).status, 200);
      const before = received.length;
      const pass = await passOnceQueued();
      assert.deepEqual(pass, { queued: 1, delivered: 1, failed: 0 });
      const got = received.slice(before);
      assert.deepEqual(got.map((r) => r.path), ["/reports"], "not the app of another organization");
      const payload = await validLogoutToken(got[0].token);
      assert.equal(payload.sub, userId);
      assert.equal(decodeProtectedHeader(got[0].token).alg, "RS256");
      assert.deepEqual(await backchannelLogoutPass(deps), { queued: 0, delivered: 0, failed: 0 }, "sent once");
    });

    it("an app that fails is retried after the backoff, and the token is delivered when it recovers", async () => {
      const userId = await newUser("bob@acme.test");
      assert.equal((await scim("DELETE", `/Users/${userId}`)).status, 204);
      failing = 2;
      const start = new Date();
      assert.deepEqual(await passOnceQueued(start), { queued: 1, delivered: 0, failed: 1 });
      assert.deepEqual(await backchannelLogoutPass(deps, new Date(start.getTime() + 5_000)), { queued: 0, delivered: 0, failed: 0 }, "not due before 10 s");
      assert.deepEqual(await backchannelLogoutPass(deps, new Date(start.getTime() + 11_000)), { queued: 0, delivered: 0, failed: 1 });
      assert.deepEqual(await backchannelLogoutPass(deps, new Date(start.getTime() + 11_000 + 19_000)), { queued: 0, delivered: 0, failed: 0 }, "then 20 s");
      assert.deepEqual(await backchannelLogoutPass(deps, new Date(start.getTime() + 11_000 + 21_000)), { queued: 0, delivered: 1, failed: 0 });
      assert.equal((await validLogoutToken(received.at(-1)!.token)).sub, userId);
      const [row] = await sql<{ attempts: number; delivered_at: string | null; last_error: string | null }>(db.dataSource.manager,
        "SELECT attempts, delivered_at, last_error FROM op_logout_deliveries WHERE user_id = :userId", { userId });
      assert.equal(Number(row.attempts), 3);
      assert.ok(row.delivered_at);
      assert.equal(row.last_error, null);
    });

    it("a reactivation owes no logout", async () => {
      const userId = await newUser("cy@acme.test");
      await patchActive(userId, false);
      assert.equal((await passOnceQueued()).queued, 1);
      await patchActive(userId, true);
      // The reactivation's own event, once visible, moves the cursor past it without owing anything.
      const marker = await newUser("marker@acme.test");
      await patchActive(marker, false);
      assert.deepEqual(await passOnceQueued(), { queued: 1, delivered: 1, failed: 0 }, "only the marker's deactivation");
    });
  });
}
