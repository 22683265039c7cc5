import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import supertest from "supertest";
import { listAuditEvents } from "../../src/identity/audit.js";
import { IdentityError } from "../../src/identity/errors.js";
import { createScimToken } from "../../src/identity/scim-tokens.js";
import { createUser, setUserActive, updateUser } from "../../src/identity/users.js";
import { createWebhookEndpoint } from "../../src/identity/webhooks.js";
import { RETRY_SCHEDULE_MS, WebhookWorker } from "../../src/apps/webhooks/worker.js";
import { AdminHarness, api, startAdminHarness, system } from "../support/admin.js";
import { databaseTargets } from "../support/databases.js";
import { eventsSettled } from "../support/events.js";
import { SCIM_JSON } from "../support/harness.js";
import { startWebhookReceiver, WebhookReceiver } from "../support/webhook-receiver.js";

const scim = { type: "scim_token" as const, id: "idp" };
const HOUR = 3_600_000;

for (const target of await databaseTargets()) {
  describe(`webhooks and the events API (${target.name})`, { skip: target.skip }, () => {
    let h: AdminHarness;
    let receiver: WebhookReceiver;
    let clock = Date.now();
    let worker: WebhookWorker;
    before(async () => {
      h = await startAdminHarness(target, { allowInsecureIdp: true });
      receiver = await startWebhookReceiver();
      worker = new WebhookWorker({
        db: h.db, secretKey: h.secretKey, logger: pino({ level: "silent" }), timeoutMs: 300, allowPrivateUrls: true, now: () => new Date(clock),
      });
      await worker.runOnce(); // the fan-out consumer starts here: later events are delivered
    });
    after(async () => {
      await receiver.close();
      await h.close();
    });

    /**
     * Worker passes until `expected` attempts were made (then one more pass must make none beyond them): on PostgreSQL
     * an event is read once every older transaction on the server has ended, which another suite's may delay.
     */
    const passes = async (expected: number) => {
      let made = 0;
      for (let i = 0; i < 600 && made < expected; i++) {
        made += await worker.runOnce();
        if (made < expected) await new Promise((r) => setTimeout(r, 50));
      }
      return made;
    };

    const createEndpoint = async (org: string, body: object, token = h.adminA.token) => {
      const res = await h.as(token).post(api(`/organizations/${org}/webhooks`), body).expect(201);
      return res.body as { id: string; secret: string };
    };
    const deliveries = async (org: string, endpointId: string) =>
      (await h.as(h.operator.token).get(api(`/organizations/${org}/webhooks/${endpointId}/deliveries`)).expect(200)).body.items as
        Array<{ id: number; status: string; attempts: number; responseStatus: number | null; lastError: string | null; nextAttemptAt: string | null; eventType: string }>;

    it("fails, times out and recovers: retried with backoff on the injected clock, signed, the same webhook-id each time", async () => {
      const endpoint = await createEndpoint(h.orgA, { url: receiver.url, eventTypes: ["user.created", "user.updated", "user.deactivated"] });
      assert.match(endpoint.secret, /^whsec_/);
      receiver.mode = "fail";
      const user = await createUser(h.db, h.orgA, { userName: "ada@a.test" }, scim);
      await updateUser(h.db, h.orgA, user.id, (u) => ({ ...u, displayName: "Ada" }), scim);
      await setUserActive(h.db, h.orgA, user.id, false, scim);
      await createUser(h.db, h.orgB, { userName: "not-for-a@b.test" }, scim);

      assert.equal(await passes(1), 1, "one attempt: the user's later events wait for the first");
      let [first] = (await deliveries(h.orgA, endpoint.id)).slice(-1);
      assert.equal(first.status, "pending");
      assert.equal(first.responseStatus, 500);
      const wait = Date.parse(first.nextAttemptAt!) - clock;
      assert.ok(wait >= RETRY_SCHEDULE_MS[0] * 0.8 - 1000 && wait <= RETRY_SCHEDULE_MS[0] * 1.2 + 1000, `first retry in ~5 s, got ${wait} ms`);
      assert.equal(await worker.runOnce(), 0, "nothing is due before the backoff has passed");

      receiver.mode = "hang";
      clock += 10_000;
      assert.equal(await passes(1), 1);
      [first] = (await deliveries(h.orgA, endpoint.id)).slice(-1);
      assert.equal(first.attempts, 2);
      assert.match(first.lastError!, /no answer within 0.3 s/);
      receiver.release();

      receiver.mode = "ok";
      clock += 2 * 60_000;
      assert.equal(await passes(3), 3, "the first is delivered, then the user's next two in turn");
      const bodies = receiver.verified(endpoint.secret);
      assert.deepEqual(bodies.map((b) => b.type), ["user.created", "user.created", "user.created", "user.updated", "user.deactivated"]);
      assert.equal(new Set(bodies.slice(0, 3).map((b) => b.id)).size, 1, "retries carry the same webhook-id");
      assert.equal(receiver.received[0].headers["webhook-id"], bodies[0].id);
      assert.equal(bodies[4].data.active, false);
      assert.ok(bodies.every((b) => (b.data as { id: string }).id === user.id), "another organization's user never reaches this endpoint");
      assert.ok((await deliveries(h.orgA, endpoint.id)).every((d) => d.status === "delivered"));
      assert.throws(() => receiver.verified("whsec_" + Buffer.alloc(32).toString("base64")), /signature/i, "a wrong secret does not verify");

      const resent = await h.as(h.adminA.token).post(api(`/organizations/${h.orgA}/webhooks/${endpoint.id}/deliveries/${first.id}/resend`)).expect(201);
      assert.equal(resent.body.status, "pending");
      assert.equal(await passes(1), 1);
      assert.equal(receiver.verified(endpoint.secret).at(-1)!.id, bodies[0].id, "a resend is the same event, the same webhook-id");
      await h.as(h.adminA.token).delete(api(`/organizations/${h.orgA}/webhooks/${endpoint.id}`)).expect(204);
    });

    it("an endpoint that fails for about 3 days, or answers 410, is disabled with an audit event", async () => {
      receiver.mode = "fail";
      const endpoint = await createEndpoint(h.orgA, { url: receiver.url, eventTypes: ["user.created"] });
      await createUser(h.db, h.orgA, { userName: "doomed@a.test" }, scim);
      let attempts = 0;
      const started = clock;
      for (let i = 0; i <= RETRY_SCHEDULE_MS.length; i++) {
        attempts += await passes(1);
        clock += 25 * HOUR;
      }
      assert.equal(attempts, RETRY_SCHEDULE_MS.length + 1);
      const [delivery] = await deliveries(h.orgA, endpoint.id);
      assert.equal(delivery.status, "failed");
      const sum = RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
      assert.ok(sum > 60 * HOUR && sum < 80 * HOUR, "about 3 days of retries");
      assert.ok(clock - started > sum);
      const shown = (await h.as(h.adminA.token).get(api(`/organizations/${h.orgA}/webhooks/${endpoint.id}`)).expect(200)).body;
      assert.equal(shown.enabled, false);
      assert.match(shown.disabledReason, /11 failed attempts/);
      const audit = await listAuditEvents(h.db.dataSource.manager, h.orgA, { action: "webhook_endpoint.disabled", targetId: endpoint.id });
      assert.equal(audit.length, 1);

      receiver.mode = "gone";
      const gone = await createEndpoint(h.orgA, { url: receiver.url, eventTypes: ["user.created"] });
      await createUser(h.db, h.orgA, { userName: "gone@a.test" }, scim);
      assert.equal(await passes(1), 1);
      const goneShown = (await h.as(h.adminA.token).get(api(`/organizations/${h.orgA}/webhooks/${gone.id}`)).expect(200)).body;
      assert.equal(goneShown.enabled, false);
      assert.match(goneShown.disabledReason, /410/);
    });

    it("endpoints are tenant-scoped, refuse private addresses unless allowed, and instance-wide ones are the operator's", async () => {
      const endpoint = await createEndpoint(h.orgA, { url: receiver.url });
      await h.as(h.adminB.token).get(api(`/organizations/${h.orgA}/webhooks/${endpoint.id}`)).expect(404);
      await h.as(h.adminB.token).get(api(`/organizations/${h.orgB}/webhooks/${endpoint.id}`)).expect(404);
      await h.as(h.adminB.token).get(api(`/organizations/${h.orgB}/webhooks/${endpoint.id}/deliveries`)).expect(404);
      await h.as(h.adminA.token).get(api("/webhooks")).expect(403);
      const instance = await createEndpoint("", { url: receiver.url }, h.operator.token).catch(() => null);
      assert.equal(instance, null, "no organization route without an organization");
      const wide = await h.as(h.operator.token).post(api("/webhooks"), { url: receiver.url, eventTypes: ["user.created"] }).expect(201);
      assert.equal(wide.body.organizationId, null);
      await h.as(h.operator.token).get(api(`/organizations/${h.orgA}/webhooks/${wide.body.id}`)).expect(404);
      await h.as(h.adminA.token).post(api(`/organizations/${h.orgA}/webhooks`), { url: receiver.url, eventTypes: ["user.exploded"] }).expect(400);
      await assert.rejects(createWebhookEndpoint(h.db, h.secretKey, h.orgA, { url: receiver.url }, system, { allowPrivateUrls: false }),
        (err: IdentityError) => /https/.test(err.message));
      await assert.rejects(createWebhookEndpoint(h.db, h.secretKey, h.orgA, { url: "https://127.0.0.1/hook" }, system, { allowPrivateUrls: false }),
        (err: IdentityError) => /private or loopback/.test(err.message));
      await h.as(h.operator.token).delete(api(`/webhooks/${wide.body.id}`)).expect(204);
      await h.as(h.adminA.token).delete(api(`/organizations/${h.orgA}/webhooks/${endpoint.id}`)).expect(204);
    });

    it("SCIM deactivation appears as user.deactivated in the events API, cursor-paged and tenant-scoped", async () => {
      const { token } = await createScimToken(h.db, h.orgA, { name: "idp" }, system);
      const scimClient = supertest(h.server);
      const created = await scimClient.post("/scim/v2/Users").set("Authorization", `Bearer ${token}`).set("Content-Type", SCIM_JSON)
        .set("X-Request-Id", "req-create-1").send({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "grace@a.test" }).expect(201);
      await scimClient.patch(`/scim/v2/Users/${created.body.id}`).set("Authorization", `Bearer ${token}`).set("Content-Type", SCIM_JSON)
        .set("X-Request-Id", "req-deactivate-1")
        .send({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] }).expect(200);

      await eventsSettled(h.db);
      const feed = (query: string, token2 = h.adminA.token, path = `/organizations/${h.orgA}/events`) => h.as(token2).get(api(`${path}?${query}`));
      const deactivated = (await feed("types=user.deactivated&limit=500").expect(200)).body;
      const event = deactivated.items.find((e: { data: { id: string } }) => e.data.id === created.body.id);
      assert.ok(event, "the SCIM deactivation is in the feed");
      assert.equal(event.data.userName, "grace@a.test");
      assert.equal(event.data.active, false);
      assert.equal(event.requestId, "req-deactivate-1");
      assert.equal(event.actor.type, "scim_token");
      assert.deepEqual(event.data.change.changes.active, { from: true, to: false });

      const firstPage = (await feed("limit=2").expect(200)).body;
      assert.equal(firstPage.items.length, 2);
      assert.equal(firstPage.hasMore, true);
      const secondPage = (await feed(`limit=2&after=${firstPage.cursor}`).expect(200)).body;
      assert.notEqual(secondPage.items[0].id, firstPage.items[1].id);
      const all = (await feed("limit=500").expect(200)).body.items as Array<{ id: string; organizationId: string }>;
      assert.deepEqual(all.slice(2, 4).map((e) => e.id), secondPage.items.map((e: { id: string }) => e.id));
      assert.ok(all.every((e) => e.organizationId === h.orgA));

      await feed("limit=5", h.adminB.token).expect(404);
      const bOwn = (await feed("limit=500", h.adminB.token, "/events").expect(200)).body.items as Array<{ organizationId: string }>;
      assert.ok(bOwn.length > 0 && bOwn.every((e) => e.organizationId === h.orgB), "/events is the caller's organization's feed");
      const everything = (await feed("limit=500&types=user.created", h.operator.token, "/events").expect(200)).body.items as Array<{ organizationId: string }>;
      assert.deepEqual(new Set(everything.map((e) => e.organizationId)), new Set([h.orgA, h.orgB]), "an operator reads every organization's");
      await feed("types=user.exploded").expect(400);
      await feed("after=garbage").expect(400);
    });

    it("events and finished deliveries past retention are pruned; pending ones stay", async () => {
      const count = async (table: string) => Number((await h.db.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
      assert.ok(await count("events") > 0 && await count("webhook_deliveries") > 0);
      await worker.prune(30);
      assert.ok(await count("events") > 0, "nothing is 30 days old yet");
      clock += 31 * 24 * HOUR;
      await worker.prune(30);
      assert.equal(await count("events"), 0);
      assert.equal(Number((await h.db.dataSource.query("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status <> 'pending'"))[0].n), 0);
      assert.deepEqual((await h.as(h.adminA.token).get(api(`/organizations/${h.orgA}/events`)).expect(200)).body.items, []);
    });
  });
}
