/**
 * Webhook delivery by the workers of two real server processes on one PostgreSQL: each event reaches the endpoint
 * once when nothing goes wrong, and an event whose replica is SIGKILLed while delivering it still arrives (another
 * replica takes the delivery over once its lease has run out). PostgreSQL only: SQLite has one process.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Database, openDatabase } from "../../src/db/database.js";
import { consumeEvents } from "../../src/identity/events/outbox.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createUser } from "../../src/identity/users.js";
import { createWebhookEndpoint } from "../../src/identity/webhooks.js";
import { databaseTargets } from "../support/databases.js";
import { ServerProcess, startServer, stopServer } from "../support/server-process.js";
import { startWebhookReceiver, WebhookReceiver } from "../support/webhook-receiver.js";

const target = (await databaseTargets()).find((t) => t.name === "postgres")!;
const system = { type: "system" as const, id: null };

/** Polls the database (not the clock: the workers run on their own) until `done`; fails after a generous limit. */
async function until(what: string, done: () => Promise<boolean>, limitMs = 60_000) {
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("webhook delivery across replicas (postgres)", { skip: target.skip }, () => {
  let db: Database;
  let drop: () => Promise<void>;
  let receiver: WebhookReceiver;
  let env: Record<string, string>;
  let org: string;
  let secret: string;
  const replicas: ServerProcess[] = [];
  before(async () => {
    const created = await target.create({ migrated: true });
    drop = created.drop;
    db = await openDatabase({ url: created.url });
    const key = randomBytes(32);
    receiver = await startWebhookReceiver();
    org = (await createOrganization(db, { slug: "hooks", name: "Hooks" }, system)).id;
    ({ secret } = await createWebhookEndpoint(db, key, org, { url: receiver.url, eventTypes: ["user.created"] }, system, { allowPrivateUrls: true }));
    // The fan-out starts from here, whichever replica comes first.
    await consumeEvents(db, "webhooks", {}, async () => undefined);
    env = {
      DATABASE_URL: created.url, ROLLCALL_SECRET_KEY: key.toString("base64"), ROLLCALL_ALLOW_INSECURE_IDP: "1",
      WEBHOOK_TIMEOUT_SECONDS: "1",
    };
    replicas.push(await startServer(env), await startServer(env));
  });
  after(async () => {
    await Promise.all(replicas.map((r) => stopServer(r.child, "SIGKILL")));
    await receiver.close();
    await db.close();
    await drop();
  });

  const undelivered = async () => Number((await db.dataSource.query(
    "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status <> 'delivered'"))[0].n);

  it("two replicas deliver each event once", async () => {
    const users = [];
    for (let i = 0; i < 40; i++) users.push(await createUser(db, org, { userName: `u${i}@hooks.test` }, system));
    await until("40 deliveries are made", async () => Number((await db.dataSource.query(
      "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'delivered'"))[0].n) === 40 && await undelivered() === 0);
    const bodies = receiver.verified(secret);
    assert.equal(bodies.length, 40, "no event was delivered twice");
    assert.deepEqual(new Set(bodies.map((b) => (b.data as { id: string }).id)), new Set(users.map((u) => u.id)));
  });

  it("an event whose replica is SIGKILLed mid-delivery is delivered by another", async () => {
    await stopServer(replicas.pop()!.child);
    const before = receiver.received.length;
    receiver.mode = "hang";
    const user = await createUser(db, org, { userName: "killed-mid-delivery@hooks.test" }, system);
    await receiver.arrivals(before + 1);
    await stopServer(replicas.pop()!.child, "SIGKILL");
    receiver.mode = "ok";
    replicas.push(await startServer(env));
    await until("the delivery is made", async () => await undelivered() === 0);
    const arrived = receiver.verified(secret).slice(before).map((b) => (b.data as { id: string }).id);
    assert.ok(arrived.length >= 2 && arrived.every((id) => id === user.id), "the held attempt, then the one that was answered");
    const [row] = await db.dataSource.query("SELECT status, attempts FROM webhook_deliveries ORDER BY id DESC LIMIT 1");
    assert.equal(row.status, "delivered");
  });
});
