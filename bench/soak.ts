/**
 * Soak of several replicas on one PostgreSQL database (issue 13): `npm run bench:soak [-- --minutes 10]`
 *
 * Starts --replicas (4) Rollcall processes (bench/server.ts) on one fresh PostgreSQL database, all with the same
 * ROLLCALL_SECRET_KEY and, unless `--redis none`, the same Redis counting the rate limits (set far above the load, so
 * every request is counted in Redis and none refused). The database is seeded with an organization (2,000 users, a
 * group of 1,000 and 20 groups of 50), its SCIM token, an organization admin with a password and an API token.
 *
 * --clients (8) clients then run a mixed load for --minutes or --requests requests, whichever comes first; each
 * request goes to the next replica in turn, so consecutive writes on one user land on different replicas:
 *   SCIM (the organization's token): POST /Users, PUT /Users/{id}, PATCH /Users/{id} active false, PATCH /Groups/{id}
 *   adding or removing one member, GET /Users/{id};
 *   admin password login (POST /api/v1/auth/login), then GET /api/v1/auth/me with its cookie on another replica;
 *   admin reads with the API token: users, groups and a user's audit events.
 * Each client writes only users it created, so the final state of each is known; groups are shared by all clients.
 * Every request has a 30 s timeout, so the run always ends.
 *
 * Reported: RSS per replica (at start, peak, at the end), count, p50/p99 and statuses per route, throughput, and a
 * consistency check against the database: every acknowledged create, PUT, deactivation and member add/remove is there
 * with exactly one audit event (user.created, user.updated, user.deactivated, group.updated per PATCH,
 * admin_account.signed_in per login). Exits 1 on any 5xx, unexpected status or inconsistency.
 *
 * Flags: --minutes M (10) --requests N (300 per second of --minutes) --clients N (8) --replicas N (4)
 *        --db postgres://user@host:5432/admin-db (postgres://postgres@127.0.0.1:5432/test)
 *        --redis redis://host:6379|none (redis://127.0.0.1:6379)
 */
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { Agent } from "node:http";
import { parseArgs } from "node:util";
import { openDatabase } from "../src/db/database.js";
import { createAdminAccount } from "../src/identity/admins.js";
import { createApiToken } from "../src/identity/api-tokens.js";
import {
  Child, fmt, Latencies, log, machineLine, markdownTable, onFreshDatabase, PATCH_OP, peakRssMiB, percentile, pick,
  positive, printHelp, Req, rssMiB, SCIM_JSON, send, startServer, USER_URN,
} from "./common.js";
import { seed } from "./seed.js";

const { values: flags } = parseArgs({
  options: {
    minutes: { type: "string" },
    requests: { type: "string" },
    clients: { type: "string" },
    replicas: { type: "string" },
    db: { type: "string", default: "postgres://postgres@127.0.0.1:5432/test" },
    redis: { type: "string", default: "redis://127.0.0.1:6379" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (flags.help) {
  printHelp(import.meta.url);
  process.exit(0);
}
const minutes = positive("minutes", flags.minutes, 10, false);
const options = {
  minutes,
  maxRequests: positive("requests", flags.requests, Math.round(300 * 60 * minutes)),
  clients: positive("clients", flags.clients, 8),
  replicas: positive("replicas", flags.replicas, 4),
  db: flags.db!,
  redis: flags.redis === "none" ? null : flags.redis!,
};
if (!/^postgres(ql)?:\/\//.test(options.db)) {
  console.error("--db must be a postgres:// URL: replicas share one database only on PostgreSQL");
  process.exit(2);
}

const REQUEST_TIMEOUT_MS = 30_000;
const ORIGIN = "http://127.0.0.1"; // bench/server.ts's BASE_URL: the admin API's same-origin check for the login post
const ADMIN_EMAIL = "soak-admin@example.com";
const ADMIN_PASSWORD = randomBytes(18).toString("base64url");

/** Each route the load sends, with the status it must answer. */
const ROUTES = {
  createUser: { name: "POST /scim/v2/Users", expect: 201 },
  putUser: { name: "PUT /scim/v2/Users/{id}", expect: 200 },
  deactivate: { name: "PATCH /scim/v2/Users/{id} active false", expect: 200 },
  addMember: { name: "PATCH /scim/v2/Groups/{id} add member", expect: 204 },
  removeMember: { name: "PATCH /scim/v2/Groups/{id} remove member", expect: 204 },
  getUser: { name: "GET /scim/v2/Users/{id}", expect: 200 },
  login: { name: "POST /api/v1/auth/login", expect: 200 },
  me: { name: "GET /api/v1/auth/me (cookie, other replica)", expect: 200 },
  adminUsers: { name: "GET /api/v1/organizations/{id}/users", expect: 200 },
  adminGroups: { name: "GET /api/v1/organizations/{id}/groups", expect: 200 },
  adminAudit: { name: "GET /api/v1/organizations/{id}/audit-events?userId", expect: 200 },
} as const;
type Route = keyof typeof ROUTES;

/** How often each operation is picked (a login is followed by its /auth/me). */
const MIX: [Operation, number][] = [
  ["createUser", 12], ["putUser", 10], ["deactivate", 3], ["addMember", 20], ["removeMember", 10], ["getUser", 10],
  ["login", 3], ["adminUsers", 10], ["adminGroups", 8], ["adminAudit", 10],
];
type Operation = Exclude<Route, "me">;

interface OwnUser { id: string; userName: string; active: boolean; title: string | null; puts: number; deactivations: number }

/** What one client's acknowledged writes leave in the database. */
interface ClientState {
  users: OwnUser[];
  /** `${groupId} ${userId}` pairs this client added and has not removed since. */
  members: Set<string>;
  /** Users and pairs a write on which failed: their final state is unknown, so the check leaves them out. */
  uncertain: Set<string>;
}

async function main() {
  const startedAt = new Date();
  const uptimeBefore = execFileSync("uptime", { encoding: "utf8" }).trim();
  await onFreshDatabase(options.db, async (target, track) => {
    log(`${target.label}; ${options.replicas} replicas, ${options.clients} clients, ${fmt(options.minutes, 1)} min or ${fmt(options.maxRequests)} requests; Redis: ${options.redis ?? "none"}`);
    log(`machine: ${machineLine()}; ${uptimeBefore}`);
    const db = await openDatabase({ url: target.url });
    const seeded = await seed(db, {
      users: 2_000, bigGroupSize: 1_000, smallGroups: 20, smallGroupSize: 50, progress: (line) => log(`seeding: ${line}`),
    });
    const system = { type: "system" as const, id: null };
    const admin = await createAdminAccount(db, { email: ADMIN_EMAIL, name: "Soak admin", password: ADMIN_PASSWORD, organizationId: seeded.organizationId }, system);
    const { token: apiToken } = await createApiToken(db, admin.id, { name: "soak" }, system);
    await db.close();
    const org = seeded.organizationId;
    const groupIds = [seeded.bigGroupId, ...seeded.smallGroupIds];

    const env: Record<string, string> = { DATABASE_URL: target.url, ROLLCALL_SECRET_KEY: randomBytes(32).toString("base64") };
    if (options.redis) {
      Object.assign(env, {
        REDIS_URL: options.redis, REDIS_KEY_PREFIX: `rollcall-soak-${randomBytes(4).toString("hex")}:`,
        RATE_LIMIT_SCIM_PER_MINUTE: "10000000", RATE_LIMIT_LOGIN_PER_MINUTE: "10000000",
      });
    }
    const replicas: Child[] = [];
    for (let i = 0; i < options.replicas; i++) replicas.push(track(await startServer("rollcall", env)));
    const pids = replicas.map((r) => r.process.pid);
    const rssAtStart = pids.map(rssMiB);
    log(`replicas on ports ${replicas.map((r) => r.port).join(", ")}; RSS ${rssAtStart.map((m) => fmt(m ?? NaN)).join(", ")} MiB`);

    const scim = { Authorization: `Bearer ${seeded.token}`, Accept: SCIM_JSON };
    const scimBody = { ...scim, "Content-Type": SCIM_JSON };
    const api = { Authorization: `Bearer ${apiToken}`, Accept: "application/json" };
    const latencies = new Map<Route, Latencies>(Object.keys(ROUTES).map((r) => [r as Route, new Latencies()]));
    const statuses = new Map<Route, Record<string, number>>(Object.keys(ROUTES).map((r) => [r as Route, {}]));
    const unexpected: string[] = [];
    const groupPatches = new Map<string, number>(groupIds.map((g) => [g, 0]));
    const uncertainGroups = new Set<string>();
    let logins = 0;
    let uncertainLogins = false;
    let sent = 0;
    let nextReplica = 0;
    const deadline = Date.now() + options.minutes * 60_000;
    const agents = Array.from({ length: options.clients }, () => replicas.map(() => new Agent({ keepAlive: true, maxSockets: 1 })));

    /** Sends one request to the next replica in turn (or the one given); true when it got the status expected. */
    const call = async (client: number, route: Route, req: Req, replica = nextReplica++ % replicas.length) => {
      sent++;
      const { expect } = ROUTES[route];
      const counts = statuses.get(route)!;
      try {
        const res = await send(replicas[replica].port, req, agents[client][replica], REQUEST_TIMEOUT_MS);
        latencies.get(route)!.add(res.ms);
        counts[res.status] = (counts[res.status] ?? 0) + 1;
        if (res.status !== expect && unexpected.length < 20) unexpected.push(`${ROUTES[route].name} on replica ${replica + 1}: ${res.status} ${res.text.slice(0, 300)}`);
        return { ok: res.status === expect, res, replica };
      } catch (err) {
        counts.network = (counts.network ?? 0) + 1;
        if (unexpected.length < 20) unexpected.push(`${ROUTES[route].name} on replica ${replica + 1}: ${(err as Error).message}`);
        return { ok: false, res: null, replica };
      }
    };

    const userBody = (user: OwnUser, title: string | null) => JSON.stringify({
      schemas: [USER_URN], userName: user.userName, name: { givenName: "Soak", familyName: user.userName.split("@")[0] },
      emails: [{ primary: true, value: user.userName, type: "work" }], displayName: `Soak ${user.userName}`,
      ...(title ? { title } : {}), active: true,
    });
    const groupPatch = (groupId: string, operation: object): Req => ({
      method: "PATCH", path: `/scim/v2/Groups/${groupId}`, headers: scimBody, body: JSON.stringify({ schemas: [PATCH_OP], Operations: [operation] }),
    });
    const countPatch = (groupId: string, ok: boolean) => {
      if (ok) groupPatches.set(groupId, groupPatches.get(groupId)! + 1);
      else uncertainGroups.add(groupId);
    };

    const operations: Record<Operation, (client: number, state: ClientState) => Promise<void>> = {
      async createUser(client, state) {
        const userName = `soak-${client}-${state.users.length}@example.com`;
        const user: OwnUser = { id: "", userName, active: true, title: null, puts: 0, deactivations: 0 };
        const { ok, res } = await call(client, "createUser", { method: "POST", path: "/scim/v2/Users", headers: scimBody, body: userBody(user, null) });
        if (ok) state.users.push({ ...user, id: (JSON.parse(res!.text) as { id: string }).id });
      },
      async putUser(client, state) {
        const user = pick(state.users.filter((u) => u.active));
        const title = `Title ${user.puts + 1}`;
        const { ok } = await call(client, "putUser", { method: "PUT", path: `/scim/v2/Users/${user.id}`, headers: scimBody, body: userBody(user, title) });
        if (ok) Object.assign(user, { title, puts: user.puts + 1 });
        else state.uncertain.add(user.id);
      },
      async deactivate(client, state) {
        const user = pick(state.users.filter((u) => u.active));
        const { ok } = await call(client, "deactivate", {
          method: "PATCH", path: `/scim/v2/Users/${user.id}`, headers: scimBody,
          body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] }),
        });
        if (ok) Object.assign(user, { active: false, deactivations: user.deactivations + 1 });
        else state.uncertain.add(user.id);
      },
      async addMember(client, state) {
        const user = pick(state.users);
        const groupId = pick(groupIds);
        const pair = `${groupId} ${user.id}`;
        if (state.members.has(pair)) return operations.removeMember(client, state);
        const { ok } = await call(client, "addMember", groupPatch(groupId, { op: "add", path: "members", value: [{ value: user.id, display: user.userName }] }));
        countPatch(groupId, ok);
        if (ok) state.members.add(pair);
        else state.uncertain.add(pair);
      },
      async removeMember(client, state) {
        if (state.members.size === 0) return operations.addMember(client, state);
        const pair = pick([...state.members]);
        const [groupId, userId] = pair.split(" ");
        const { ok } = await call(client, "removeMember", groupPatch(groupId, { op: "remove", path: `members[value eq "${userId}"]` }));
        countPatch(groupId, ok);
        state.members.delete(pair);
        if (!ok) state.uncertain.add(pair);
      },
      async getUser(client, state) {
        await call(client, "getUser", { method: "GET", path: `/scim/v2/Users/${pick(state.users).id}`, headers: scim });
      },
      async login(client) {
        const { ok, res, replica } = await call(client, "login", {
          method: "POST", path: "/api/v1/auth/login", headers: { "Content-Type": "application/json", Origin: ORIGIN },
          body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
        });
        if (!ok) {
          uncertainLogins = true;
          return;
        }
        logins++;
        const cookie = (res!.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");
        await call(client, "me", { method: "GET", path: "/api/v1/auth/me", headers: { Cookie: cookie } }, (replica + 1) % replicas.length);
      },
      async adminUsers(client) {
        const offset = Math.floor(Math.random() * 2_000);
        await call(client, "adminUsers", { method: "GET", path: `/api/v1/organizations/${org}/users?offset=${offset}&limit=50`, headers: api });
      },
      async adminGroups(client) {
        await call(client, "adminGroups", { method: "GET", path: `/api/v1/organizations/${org}/groups?limit=50`, headers: api });
      },
      async adminAudit(client, state) {
        await call(client, "adminAudit", { method: "GET", path: `/api/v1/organizations/${org}/audit-events?userId=${pick(state.users).id}&limit=50`, headers: api });
      },
    };
    const totalWeight = MIX.reduce((n, [, w]) => n + w, 0);
    const nextOperation = (state: ClientState): Operation => {
      // Until a client has a few active users of its own, it creates them.
      if (state.users.filter((u) => u.active).length < 3) return "createUser";
      let r = Math.random() * totalWeight;
      for (const [operation, weight] of MIX) if ((r -= weight) < 0) return operation;
      return "createUser";
    };

    // RSS of each replica every 2 s; a progress line every minute.
    const rssPeak = [...rssAtStart];
    const sampler = setInterval(() => pids.forEach((pid, i) => (rssPeak[i] = Math.max(rssPeak[i] ?? 0, rssMiB(pid) ?? 0))), 2_000);
    const loadStarted = Date.now();
    let lastSent = 0;
    const progress = setInterval(() => {
      const s = (Date.now() - loadStarted) / 1000;
      const errors = [...statuses].reduce((n, [route, c]) => n + Object.entries(c).filter(([st]) => st !== String(ROUTES[route].expect)).reduce((m, [, k]) => m + k, 0), 0);
      log(`${fmt(s / 60, 1)} min: ${fmt(sent)} requests (${fmt((sent - lastSent) / 60)}/s this minute), ${fmt(errors)} unexpected; RSS ${pids.map((p) => fmt(rssMiB(p) ?? NaN)).join(", ")} MiB`);
      lastSent = sent;
    }, 60_000);

    const states: ClientState[] = Array.from({ length: options.clients }, () => ({ users: [], members: new Set(), uncertain: new Set() }));
    await Promise.all(states.map(async (state, client) => {
      while (Date.now() < deadline && sent < options.maxRequests) await operations[nextOperation(state)](client, state);
    }));
    const loadSeconds = (Date.now() - loadStarted) / 1000;
    clearInterval(sampler);
    clearInterval(progress);
    const rssAtEnd = pids.map(rssMiB);
    const hwm = pids.map(peakRssMiB);
    for (const [i, peak] of hwm.entries()) rssPeak[i] = Math.max(rssPeak[i] ?? 0, peak ?? 0);
    const uptimeAfter = execFileSync("uptime", { encoding: "utf8" }).trim();
    await Promise.all(replicas.map((r) => r.stop()));
    for (const agent of agents.flat()) agent.destroy();

    // ------------------------------------------------------------------------------------------- consistency check
    const check = await openDatabase({ url: target.url, runMigrations: false });
    const q = <T>(text: string, params: unknown[]) => check.dataSource.query(text, params) as Promise<T[]>;
    const users = states.flatMap((s) => s.users);
    const ids = users.map((u) => u.id);
    const rows = new Map((await q<{ id: string; active: boolean; title: string | null }>(
      "SELECT id, active, title FROM users WHERE organization_id = $1 AND id = ANY($2)", [org, ids])).map((r) => [r.id, r]));
    const audit = new Map<string, number>();
    for (const r of await q<{ target_id: string; action: string; n: string }>(
      "SELECT target_id, action, COUNT(*) AS n FROM audit_events WHERE organization_id = $1 GROUP BY target_id, action", [org])) {
      audit.set(`${r.target_id} ${r.action}`, Number(r.n));
    }
    const members = new Set((await q<{ group_id: string; user_id: string }>(
      "SELECT group_id, user_id FROM group_members WHERE organization_id = $1 AND user_id = ANY($2)", [org, ids])).map((r) => `${r.group_id} ${r.user_id}`));
    await check.close();

    const mismatches: string[] = [];
    const expectEqual = (what: string, got: unknown, want: unknown) => {
      if (got !== want) mismatches.push(`${what}: ${String(got)} in the database, ${String(want)} acknowledged`);
    };
    const auditCount = (target: string, action: string) => audit.get(`${target} ${action}`) ?? 0;
    let checkedUsers = 0;
    for (const [client, state] of states.entries()) {
      for (const u of state.users) {
        const row = rows.get(u.id);
        if (!row) {
          mismatches.push(`user ${u.userName} (${u.id}) was created (201) but is not in the database`);
          continue;
        }
        expectEqual(`user.created events of ${u.userName}`, auditCount(u.id, "user.created"), 1);
        if (state.uncertain.has(u.id)) continue;
        checkedUsers++;
        expectEqual(`active of ${u.userName}`, row.active, u.active);
        expectEqual(`title of ${u.userName}`, row.title, u.title);
        expectEqual(`user.updated events of ${u.userName}`, auditCount(u.id, "user.updated"), u.puts);
        expectEqual(`user.deactivated events of ${u.userName}`, auditCount(u.id, "user.deactivated"), u.deactivations);
      }
      for (const pair of state.members) {
        if (!state.uncertain.has(pair) && !members.has(pair)) mismatches.push(`membership ${pair} (client ${client}) acknowledged but missing`);
      }
      const ownIds = new Set(state.users.map((u) => u.id));
      for (const pair of members) {
        if (ownIds.has(pair.split(" ")[1]) && !state.members.has(pair) && !state.uncertain.has(pair)) mismatches.push(`membership ${pair} removed (204) but still there`);
      }
    }
    for (const [groupId, n] of groupPatches) {
      if (!uncertainGroups.has(groupId)) expectEqual(`group.updated events of group ${groupId}`, auditCount(groupId, "group.updated"), n);
    }
    if (!uncertainLogins) expectEqual("admin_account.signed_in events", auditCount(admin.id, "admin_account.signed_in"), logins);

    // ------------------------------------------------------------------------------------------------------ report
    const requests = [...latencies.values()].reduce((n, l) => n + l.count, 0);
    const routeRows = (Object.keys(ROUTES) as Route[]).map((route) => {
      const sorted = latencies.get(route)!.sorted();
      const counts = statuses.get(route)!;
      const other = Object.entries(counts).filter(([s]) => s !== String(ROUTES[route].expect)).map(([s, n]) => `${s}: ${fmt(n)}`).join(", ");
      return [ROUTES[route].name, fmt(sorted.length), fmt(percentile(sorted, 50), 2), fmt(percentile(sorted, 99), 2),
        fmt(sorted[sorted.length - 1] ?? NaN, 1), `${ROUTES[route].expect}: ${fmt(counts[ROUTES[route].expect] ?? 0)}${other ? `; ${other}` : ""}`];
    });
    const all = [...statuses.values()].flatMap((c) => Object.entries(c));
    const serverErrors = all.filter(([s]) => s.startsWith("5")).reduce((n, [, c]) => n + c, 0);
    const failures = [...statuses].reduce((n, [route, c]) => n + Object.entries(c).filter(([s]) => s !== String(ROUTES[route].expect)).reduce((m, [, k]) => m + k, 0), 0);
    const memberAdds = states.reduce((n, s) => n + s.members.size, 0);
    const stoppedBy = sent >= options.maxRequests ? `the request bound (${fmt(options.maxRequests)})` : `the time bound (${fmt(options.minutes, 1)} min)`;

    console.log("");
    console.log(`Rollcall soak — ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC, ${machineLine()}, ${target.label}, Redis ${options.redis ?? "none"}`);
    console.log(`${options.replicas} replicas, ${options.clients} clients, ${fmt(loadSeconds, 1)} s of load, stopped by ${stoppedBy}`);
    console.log(`before: ${uptimeBefore}`);
    console.log(`after:  ${uptimeAfter}`);
    console.log("");
    console.log(markdownTable(["route", "count", "p50 ms", "p99 ms", "max ms", "statuses"], routeRows));
    console.log("");
    console.log(markdownTable(["replica", "RSS at start MiB", "peak MiB", "at end MiB"], replicas.map((_, i) => [
      String(i + 1), fmt(rssAtStart[i] ?? NaN), fmt(rssPeak[i] ?? NaN), fmt(rssAtEnd[i] ?? NaN),
    ])));
    console.log("");
    console.log(markdownTable(["figure", "value"], [
      ["requests", `${fmt(requests)} in ${fmt(loadSeconds, 1)} s: ${fmt(requests / loadSeconds)} req/s`],
      ["unexpected statuses", `${fmt(failures)} (5xx: ${fmt(serverErrors)})`],
      ["users created", `${fmt(users.length)} (${fmt(users.filter((u) => !u.active).length)} deactivated since)`],
      ["memberships left by the load", fmt(memberAdds)],
      ["logins", fmt(logins)],
      ["consistency", mismatches.length === 0
        ? `every acknowledged write is in the database with its audit events (${fmt(checkedUsers)} users, ${fmt(memberAdds)} memberships, ${groupPatches.size} groups' PATCH counts, ${fmt(logins)} logins)`
        : `${fmt(mismatches.length)} MISMATCHES`],
    ]));
    if (unexpected.length) console.log(`\nFirst unexpected answers:\n  ${unexpected.join("\n  ")}`);
    if (mismatches.length) console.log(`\nMismatches (first 20):\n  ${mismatches.slice(0, 20).join("\n  ")}`);
    if (failures > 0 || mismatches.length > 0) process.exitCode = 1;
  });
}

main().then(() => process.exit(process.exitCode ?? 0), (err) => {
  console.error("soak failed:", err);
  process.exit(1);
});
