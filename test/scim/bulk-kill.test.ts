import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Database, openDatabase } from "../../src/db/database.js";
import { databaseTargets, DatabaseTarget } from "../support/databases.js";
import { ServerProcess, startServer, stopServer } from "../support/server-process.js";
import { USER_URN as USER, GROUP_URN as GROUP, PATCH_OP_URN as PATCH } from "../../src/scim/schemas.js";

/**
 * Each Bulk operation is its own transaction, so a server killed in the middle of a Bulk request leaves whole
 * operations or none: SIGKILL the real server process partway through, restart it on the same database, and check
 * that every change that exists has all of its rows and exactly its audit event, and that the client's retry works.
 */

const BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const USERS = 500;
/** Every this many users, a PATCH adds them to the group, naming them by bulkId. */
const BATCH = 10;
/** SIGKILL once this many users are committed: well past the start, well before the end. */
const KILL_AFTER = 30;

/** One group, then 500 users each with an email (a user_values row), and a group PATCH after every tenth. */
function bulkRequest() {
  const operations: unknown[] = [{ method: "POST", path: "/Groups", bulkId: "crew", data: { schemas: [GROUP], displayName: "Crew" } }];
  for (let i = 0; i < USERS; i++) {
    const userName = `kill${i}@example.test`;
    operations.push({ method: "POST", path: "/Users", bulkId: `u${i}`, data: { schemas: [USER], userName, emails: [{ value: userName, type: "work" }] } });
    if (i % BATCH === BATCH - 1) {
      const value = Array.from({ length: BATCH }, (_, k) => ({ value: `bulkId:u${i - k}` }));
      operations.push({ method: "PATCH", path: "/Groups/bulkId:crew", data: { schemas: [PATCH], Operations: [{ op: "add", path: "members", value }] } });
    }
  }
  return { schemas: [BULK_REQUEST], Operations: operations };
}

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

/** The invariants a half-applied operation would break; returns how many users exist. */
async function assertWholeOperations(db: Database): Promise<number> {
  const query = (sql: string) => db.dataSource.query(sql);
  const [{ n: users }] = await query("SELECT COUNT(*) AS n FROM users");
  const [{ n: created }] = await query("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'user.created'");
  assert.equal(Number(users), Number(created), "as many users as user.created events");
  assert.deepEqual(ids(await query(`SELECT u.id FROM users u LEFT JOIN audit_events a ON a.target_id = u.id AND a.action = 'user.created'
    GROUP BY u.id HAVING COUNT(a.id) <> 1`)), [], "users without exactly one user.created event");
  assert.deepEqual(ids(await query(`SELECT u.id FROM users u LEFT JOIN user_values v ON v.user_id = u.id
    GROUP BY u.id HAVING COUNT(v.user_id) <> 1`)), [], "users without their email row");
  assert.deepEqual(ids(await query(`SELECT a.id FROM audit_events a
    WHERE (a.target_type = 'user' AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.target_id))
       OR (a.target_type = 'group' AND NOT EXISTS (SELECT 1 FROM groups g WHERE g.id = a.target_id))`)), [], "audit events about nothing");
  assert.deepEqual(await query("SELECT m.user_id FROM group_members m LEFT JOIN users u ON u.id = m.user_id WHERE u.id IS NULL"), [],
    "members that are no user");

  // Every membership row came with the audit event that lists it, and every group write bumped the version once.
  const [group] = await query("SELECT id, version FROM groups");
  const events: { action: string; summary: string }[] = await query(`SELECT action, summary FROM audit_events WHERE target_id = '${group.id}'`);
  const audited = events.flatMap((e) => (JSON.parse(e.summary).added?.ids ?? []) as string[]).sort();
  const members = (await query(`SELECT user_id FROM group_members WHERE group_id = '${group.id}'`)).map((m: { user_id: string }) => m.user_id).sort();
  assert.deepEqual(members, audited, "members exactly as the audit log records them");
  assert.equal(Number(group.version), 1 + events.filter((e) => e.action === "group.updated").length, "one version per group.updated event");
  return Number(users);
}

async function postBulk(server: ServerProcess, token: string, body: unknown): Promise<Response> {
  return fetch(`http://127.0.0.1:${server.port}/scim/v2/Bulk`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/scim+json" },
    body: JSON.stringify(body),
  });
}

async function killMidBulk(target: DatabaseTarget) {
  const dir = mkdtempSync(join(tmpdir(), "rollcall-bulk-kill-"));
  const database = target.name === "sqlite" ? { url: `sqlite:${join(dir, "db.sqlite")}`, drop: async () => undefined } : await target.create();
  const token = `rcs_bulk_kill_${randomBytes(16).toString("hex")}`;
  const env = {
    DATABASE_URL: database.url, ROLLCALL_BOOTSTRAP_SCIM_TOKEN: token,
    // Required with PostgreSQL; harmless beside SQLite.
    ROLLCALL_SECRET_KEY: randomBytes(32).toString("base64"),
  };
  let server: ServerProcess | undefined;
  let reader: Database | undefined;
  try {
    server = await startServer(env);
    reader = await openDatabase({ url: database.url, runMigrations: false });
    const committedUsers = async () => Number((await reader!.dataSource.query("SELECT COUNT(*) AS n FROM users"))[0].n);

    let answered: Response | Error | undefined;
    const request = postBulk(server, token, bulkRequest()).then((r) => (answered = r), (e: Error) => (answered = e));
    const deadline = Date.now() + 60_000;
    while (await committedUsers() < KILL_AFTER) {
      assert.equal(answered, undefined, `the Bulk request ended before the kill: ${answered instanceof Response ? answered.status : answered}`);
      assert.ok(Date.now() < deadline, "the Bulk request made no progress");
      await sleep(5);
    }
    await stopServer(server.child, "SIGKILL");
    await request;
    assert.ok(answered instanceof Error, "the killed server never answered");

    const survivors = await assertWholeOperations(reader);
    assert.ok(survivors >= KILL_AFTER && survivors < USERS, `killed midway: ${survivors} of ${USERS} users exist`);

    // The restarted server serves what survived, and the IdP's retry of the same request completes the job.
    server = await startServer(env);
    const listed = await fetch(`http://127.0.0.1:${server.port}/scim/v2/Users?count=0`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal((await listed.json()).totalResults, survivors);
    const retry = await postBulk(server, token, bulkRequest());
    assert.equal(retry.status, 200);
    const results: { bulkId?: string; status: string }[] = (await retry.json()).Operations;
    const userResults = results.filter((r) => r.bulkId?.startsWith("u"));
    assert.equal(userResults.filter((r) => r.status === "409").length, survivors, "the survivors are taken");
    assert.equal(userResults.filter((r) => r.status === "201").length, USERS - survivors);
    assert.equal(await assertWholeOperations(reader), USERS);
  } finally {
    if (server) await stopServer(server.child);
    await reader?.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const target of await databaseTargets()) {
  describe(`Bulk killed midway leaves whole operations only (${target.name})`, { skip: target.skip }, () => {
    it(`SIGKILL during a ${USERS}-user Bulk, restart, retry: no half-applied operation, audit and rows agree`, { timeout: 180_000 },
      () => killMidBulk(target));
  });
}
