/**
 * Lost updates and races between replicas (scim-in-the-wild §4): IdPs push in parallel, and behind a load balancer
 * the requests land on different server processes sharing one PostgreSQL. Every change must survive, every request
 * must succeed or fail cleanly (409, never 500 or a deadlock), and versions must count each write exactly once.
 *
 * On PostgreSQL the suite starts two real server processes on one fresh database; on SQLite it drives one in-process
 * app (transactions are queued in process there) through a listening harness with the same scenarios.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { databaseTargets } from "../support/databases.js";
import { Harness, startHarness } from "../support/harness.js";
import { ServerProcess, startServer, stopServer } from "../support/server-process.js";
import { USER_URN as USER, GROUP_URN as GROUP, PATCH_OP_URN as PATCH } from "../../src/scim/schemas.js";

const SCIM_JSON = "application/scim+json";

/** Generous: two cores, two tsx processes and 100 requests in flight; a request that hangs (deadlock) still fails. */
const REQUEST_TIMEOUT = 30_000;
const CASE_TIMEOUT = 45_000;

// ---------------------------------------------------------------------------------------------------------------
// A replica is a SCIM base URL plus token; on SQLite both "replicas" are the same in-process server.

interface Reply {
  status: number;
  body: Record<string, any>;
  etag: string | null;
  /** For assertion messages: what was sent where, and what came back. */
  describe: string;
}

interface Replica {
  name: string;
  request(method: string, path: string, body?: unknown): Promise<Reply>;
}

function replica(name: string, origin: string, token: string): Replica {
  return {
    name,
    async request(method, path, body) {
      const res = await fetch(`${origin}/scim/v2${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, Accept: SCIM_JSON, ...(body !== undefined ? { "Content-Type": SCIM_JSON } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT),
      });
      const text = await res.text();
      let parsed: Record<string, any> = {};
      try {
        parsed = text ? JSON.parse(text) : {};
      } catch {
        parsed = { unparsed: text };
      }
      return {
        status: res.status, body: parsed, etag: res.headers.get("etag"),
        describe: `${method} ${path} via ${name} → ${res.status} ${text.slice(0, 500)}`,
      };
    },
  };
}

/** What the test can read beside the HTTP API: the audit log, straight from the database. */
interface Backend {
  replicas: [Replica, Replica];
  auditRows(action: string): Promise<{ targetId: string | null; summary: Record<string, unknown> }[]>;
  /** Error lines the servers logged (a 500 is logged as "SCIM request failed"); asserted empty after each case. */
  errorLogs(): string[];
}

const versionOf = (etag: unknown) => {
  const match = /^W\/"(\d+)"$/.exec(String(etag));
  assert.ok(match, `not one of our ETags: ${String(etag)}`);
  return Number(match[1]);
};

function expectStatus(replies: Reply[], status: number) {
  const wrong = replies.filter((r) => r.status !== status);
  assert.equal(wrong.length, 0, `${wrong.length} of ${replies.length} requests did not answer ${status}:\n${wrong.slice(0, 10).map((r) => r.describe).join("\n")}`);
}

/** Sends every request at once, the i-th through replica i mod 2. */
const fanOut = <T>(replicas: Replica[], items: T[], send: (r: Replica, item: T, i: number) => Promise<Reply>) =>
  Promise.all(items.map((item, i) => send(replicas[i % replicas.length], item, i)));

const members = (group: Record<string, any>) => ((group.members ?? []) as { value: string }[]).map((m) => m.value).sort();

const inGroupFilter = (groupId: string, userId: string) =>
  `/Groups?filter=${encodeURIComponent(`id eq "${groupId}" and members[value eq "${userId}"]`)}&excludedAttributes=members`;

// ---------------------------------------------------------------------------------------------------------------
// The scenarios, run on both databases.

const USERS = 64;
const RENAMES = 16;

async function groupMembershipRace(backend: Backend, tag: string) {
  const [a, b] = backend.replicas;
  const created = await fanOut([a, b], Array.from({ length: USERS }, (_, i) => i),
    (r, i) => r.request("POST", "/Users", { schemas: [USER], userName: `member-${tag}-${i}@example.test` }));
  expectStatus(created, 201);
  const userIds = created.map((r) => r.body.id as string);

  const group = await a.request("POST", "/Groups", { schemas: [GROUP], displayName: `Race ${tag}` });
  expectStatus([group], 201);
  const groupId = group.body.id as string;
  assert.equal(versionOf(group.body.meta.version), 1);

  /** 64 one-member PATCHes of the given kind with an Okta-style rename after every fourth, all in flight at once. */
  async function storm(phase: string, memberOp: (userId: string, i: number) => object) {
    const names: string[] = [];
    const bodies: object[] = [];
    userIds.forEach((userId, i) => {
      bodies.push({ schemas: [PATCH], Operations: [memberOp(userId, i)] });
      if (i % (USERS / RENAMES) === USERS / RENAMES - 1) {
        const displayName = `Race ${tag} ${phase} ${names.length}`;
        names.push(displayName);
        bodies.push({ schemas: [PATCH], Operations: [{ op: "replace", value: { id: groupId, displayName } }] });
      }
    });
    const replies = await fanOut([a, b], bodies, (r, body) => r.request("PATCH", `/Groups/${groupId}`, body));
    expectStatus(replies, 204);
    // Each PATCH bumped the version exactly once, so the ETags handed out are the distinct versions 2..n+1 in some order.
    const versions = replies.map((r) => versionOf(r.etag)).sort((x, y) => x - y);
    return { names, count: replies.length, versions };
  }

  async function readBack(expectedMembers: string[], expectedVersion: number, names: string[]) {
    const reads = await Promise.all([a, b].map((r) => r.request("GET", `/Groups/${groupId}`)));
    expectStatus(reads, 200);
    for (const read of reads) {
      assert.deepEqual(members(read.body), [...expectedMembers].sort(), `members as ${read.describe.slice(0, 80)}`);
      assert.equal(versionOf(read.body.meta.version), expectedVersion);
      assert.ok(names.includes(read.body.displayName), `final displayName ${read.body.displayName} is one of those sent`);
    }
    assert.equal(reads[0].body.displayName, reads[1].body.displayName);
    const filtered = await fanOut([a, b], userIds, (r, userId) => r.request("GET", inGroupFilter(groupId, userId)));
    expectStatus(filtered, 200);
    const want = (userId: string) => (expectedMembers.includes(userId) ? 1 : 0);
    const wrong = filtered.filter((f, i) => f.body.totalResults !== want(userIds[i]));
    assert.equal(wrong.length, 0, `member filter totals:\n${wrong.slice(0, 5).map((f) => f.describe).join("\n")}`);
  }

  // Adds: Okta's shape, one member per PATCH.
  const adds = await storm("add", (userId) => ({ op: "add", path: "members", value: [{ value: userId, display: "x" }] }));
  assert.equal(adds.count, USERS + RENAMES);
  await readBack(userIds, 1 + adds.count, adds.names);
  assert.deepEqual(adds.versions, Array.from({ length: adds.count }, (_, i) => i + 2), "each PATCH answers the version it wrote");

  // Removes: half by value filter (Okta), half with a value list (Entra), each naming a different member.
  const removes = await storm("remove", (userId, i) => (i % 2
    ? { op: "remove", path: `members[value eq "${userId}"]` }
    : { op: "Remove", path: "members", value: [{ $ref: null, value: userId }] }));
  await readBack([], 1 + adds.count + removes.count, removes.names);
  assert.deepEqual(removes.versions, Array.from({ length: removes.count }, (_, i) => i + 2 + adds.count), "each PATCH answers the version it wrote");

  // One audit event per PATCH, each committed with its change.
  const events = (await backend.auditRows("group.updated")).filter((e) => e.targetId === groupId);
  assert.equal(events.length, adds.count + removes.count);
}

const PAIRS = 20;

async function duplicateCreateRace(backend: Backend, tag: string) {
  const [a, b] = backend.replicas;
  const userNames = Array.from({ length: PAIRS }, (_, i) => `twice-${tag}-${i}@example.test`);
  // One pair at a time, so that the two requests of a pair really meet; the casing differs, the name does not.
  for (const userName of userNames) {
    const pair = await Promise.all([
      a.request("POST", "/Users", { schemas: [USER], userName }),
      b.request("POST", "/Users", { schemas: [USER], userName: userName.toUpperCase() }),
    ]);
    const statuses = pair.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 409], pair.map((r) => r.describe).join("\n"));
    const lost = pair.find((r) => r.status === 409)!;
    assert.equal(lost.body.scimType, "uniqueness", lost.describe);
    assert.equal(lost.body.status, "409", lost.describe);
  }
  const found = await fanOut([a, b], [...userNames, ...userNames],
    (r, userName) => r.request("GET", `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`));
  expectStatus(found, 200);
  for (const f of found) assert.equal(f.body.totalResults, 1, f.describe);

  const events = await backend.auditRows("user.created");
  for (const userName of userNames) {
    const mine = events.filter((e) => String(e.summary.userName).toLowerCase() === userName);
    assert.equal(mine.length, 1, `user.created events for ${userName}`);
  }
}

const EMAILS = 32;

async function userPatchRace(backend: Backend, tag: string) {
  const [a, b] = backend.replicas;
  const user = await a.request("POST", "/Users", { schemas: [USER], userName: `patched-${tag}@example.test` });
  expectStatus([user], 201);
  const id = user.body.id as string;
  const emails = Array.from({ length: EMAILS }, (_, i) => `e${i}-${tag}@example.test`);
  // Every fourth PATCH also renames the display name, so concurrent writes touch both columns and values.
  const names: string[] = [];
  const bodies = emails.map((value, i) => {
    const operations: object[] = [{ op: "add", path: "emails", value: [{ value, type: i % 2 ? "work" : "home" }] }];
    if (i % 4 === 3) {
      names.push(`Patched ${tag} ${i}`);
      operations.push({ op: "replace", path: "displayName", value: names.at(-1) });
    }
    return { schemas: [PATCH], Operations: operations };
  });
  const replies = await fanOut([a, b], bodies, (r, body) => r.request("PATCH", `/Users/${id}`, body));
  expectStatus(replies, 200);

  const reads = await Promise.all([a, b].map((r) => r.request("GET", `/Users/${id}`)));
  expectStatus(reads, 200);
  for (const read of reads) {
    const got = ((read.body.emails ?? []) as { value: string }[]).map((e) => e.value).sort();
    assert.deepEqual(got, [...emails].sort(), "no email added by a concurrent PATCH is lost");
    assert.equal(versionOf(read.body.meta.version), 1 + EMAILS);
    assert.ok(names.includes(read.body.displayName), `final displayName ${read.body.displayName} is one of those sent`);
  }
  const events = (await backend.auditRows("user.updated")).filter((e) => e.targetId === id);
  assert.equal(events.length, EMAILS);
  // Each answer is the state its own write made: distinct versions 2..33, each with at least its own email.
  assert.deepEqual(replies.map((r) => versionOf(r.body.meta.version)).sort((x, y) => x - y), Array.from({ length: EMAILS }, (_, i) => i + 2),
    "each PATCH answers the version it wrote");
  replies.forEach((r, i) => assert.ok((r.body.emails as { value: string }[]).some((e) => e.value === emails[i]), r.describe));
}

const DELETES = 24;

/** A user deleted through one replica while another adds it to a group: the add skips it (unknown) or the delete removes it. */
async function deleteWhileAddingRace(backend: Backend, tag: string) {
  const [a, b] = backend.replicas;
  const group = await a.request("POST", "/Groups", { schemas: [GROUP], displayName: `Deleting ${tag}` });
  expectStatus([group], 201);
  const groupId = group.body.id as string;
  const failures: string[] = [];
  for (let i = 0; i < DELETES; i++) {
    const user = await a.request("POST", "/Users", { schemas: [USER], userName: `deleted-${tag}-${i}@example.test` });
    expectStatus([user], 201);
    const [deleted, added] = await Promise.all([
      a.request("DELETE", `/Users/${user.body.id}`),
      b.request("PATCH", `/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: "add", path: "members", value: [{ value: user.body.id }] }] }),
    ]);
    if (deleted.status !== 204) failures.push(deleted.describe);
    if (added.status !== 204) failures.push(added.describe);
  }
  assert.deepEqual(failures, [], `${failures.length} of ${2 * DELETES} requests failed`);
  const read = await b.request("GET", `/Groups/${groupId}`);
  expectStatus([read], 200);
  assert.deepEqual(members(read.body), []);
}

function scenarios(backend: () => Backend) {
  const tag = randomBytes(3).toString("hex");
  const noErrorsLogged = () => assert.deepEqual(backend().errorLogs(), []);
  it(`${USERS} concurrent member adds, then ${USERS} removes, with ${RENAMES} renames interleaved each time: nothing lost, one version per PATCH`,
    { timeout: CASE_TIMEOUT }, async () => {
      await groupMembershipRace(backend(), tag);
      noErrorsLogged();
    });
  it(`the same userName created twice at once (${PAIRS} pairs): one 201 and one 409 uniqueness per pair, one user, one audit event`,
    { timeout: CASE_TIMEOUT }, async () => {
      await duplicateCreateRace(backend(), tag);
      noErrorsLogged();
    });
  it(`${EMAILS} concurrent PATCHes of one user, each adding an email: all ${EMAILS} present, one version per PATCH`,
    { timeout: CASE_TIMEOUT }, async () => {
      await userPatchRace(backend(), tag);
      noErrorsLogged();
    });
  it(`a user deleted while another request adds it to a group (${DELETES} pairs): 204 both, never 500, the group ends empty`,
    { timeout: CASE_TIMEOUT }, async () => {
      await deleteWhileAddingRace(backend(), tag);
      noErrorsLogged();
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Two real server processes on one PostgreSQL database.

const targets = await databaseTargets();
const postgres = targets.find((t) => t.name === "postgres")!;
const sqlite = targets.find((t) => t.name === "sqlite")!;

describe("two replicas on one PostgreSQL database", { skip: postgres.skip }, () => {
  const token = `rcs_concurrency_${randomBytes(16).toString("hex")}`;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let servers: ServerProcess[] = [];
  let client: pg.Client | undefined;
  let backend: Backend;

  before(async () => {
    database = await postgres.create();
    const env = { DATABASE_URL: database.url, ROLLCALL_SECRET_KEY: randomBytes(32).toString("base64"), ROLLCALL_BOOTSTRAP_SCIM_TOKEN: token };
    const started = await Promise.allSettled([startServer(env), startServer(env)]);
    servers = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const failed = started.find((s) => s.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    backend = {
      replicas: [replica("replica-1", `http://127.0.0.1:${servers[0].port}`, token), replica("replica-2", `http://127.0.0.1:${servers[1].port}`, token)],
      auditRows: async (action) => (await client!.query("SELECT target_id, summary FROM audit_events WHERE action = $1", [action]))
        .rows.map((r: { target_id: string | null; summary: string }) => ({ targetId: r.target_id, summary: JSON.parse(r.summary) })),
      errorLogs: () => servers.flatMap((s) => s.errors),
    };
  }, { timeout: CASE_TIMEOUT });

  after(async () => {
    await client?.end().catch(() => undefined);
    await Promise.all(servers.map((s) => stopServer(s.child)));
    await database?.drop();
  }, { timeout: CASE_TIMEOUT });

  scenarios(() => backend);
});

describe("concurrent requests on one in-process app on SQLite", { skip: sqlite.skip }, () => {
  let h: Harness;
  let backend: Backend;
  before(async () => {
    h = await startHarness(sqlite);
    const address = h.server.address();
    assert.ok(address && typeof address === "object");
    const one = replica("in-process", `http://127.0.0.1:${address.port}`, h.orgA.token);
    backend = {
      replicas: [one, one],
      auditRows: async (action) => (await h.db.dataSource.query("SELECT target_id, summary FROM audit_events WHERE action = ? AND organization_id = ?",
        [action, h.orgA.organizationId]) as { target_id: string | null; summary: string }[])
        .map((r) => ({ targetId: r.target_id, summary: JSON.parse(r.summary) })),
      // The harness logs silently; a 500 still shows up as a failed status assertion.
      errorLogs: () => [],
    };
  });
  after(() => h?.close());

  scenarios(() => backend);
});
