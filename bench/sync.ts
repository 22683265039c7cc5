/**
 * Initial sync shaped like Okta's import + push: `npm run bench:sync` (see docs/benchmarks.md).
 *
 * An empty organization (only its SCIM token), the app in a child process (bench/server.ts), and N concurrent
 * clients, each on one keep-alive connection, as Okta's provisioning workers are:
 *   1. users: for each user, the import probe `GET /Users?filter=userName eq "…"&startIndex=1&count=100` (empty), then
 *      `POST /Users` with the body Okta's SCIM 2.0 connector sends;
 *   2. groups: for each group, the probe `GET /Groups?filter=displayName eq "…"&startIndex=1&count=100`, `POST /Groups`
 *      with `members: []`, then `PATCH` adding its members `--batch` at a time (`op: add, path: members`, value and
 *      display per member, as Okta pushes them).
 * Every user ends in exactly one group. The Express hello-world ceiling is measured first in the same run with the same
 * number of connections; the overall req/s is also given as a ratio to it. Progress is printed every 10% of each
 * phase; at the end the database is counted to check that every user and membership arrived.
 *
 * Flags: --users N (100000) --quick (10,000 users) --group-size N (100; groups = users / group-size)
 *        --batch N (100: members per PATCH) --clients N (8) --db sqlite|postgres://user@host:5432/admin-db
 *        --hello S (5: seconds of hello-world) --sql-timing (SQLite: time per SQL statement in each phase)
 */
import { Agent } from "node:http";
import { parseArgs } from "node:util";
import { openDatabase } from "../src/db/database.js";
import {
  fmt, GROUP_URN, Latencies, log, machineLine, markdownTable, Measured, measureHello, PATCH_OP, peakRssMiB, percentile,
  positive, printHelp, Req, SCIM_JSON, send, SqlStat, sqlReport, startServer,
  onFreshDatabase,
} from "./common.js";
import { oktaUserBody, personName, seedOrganization } from "./seed.js";

const { values: flags } = parseArgs({
  options: {
    users: { type: "string" },
    quick: { type: "boolean", default: false },
    "group-size": { type: "string" },
    batch: { type: "string" },
    clients: { type: "string" },
    hello: { type: "string" },
    db: { type: "string", default: "sqlite" },
    "sql-timing": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (flags.help) {
  printHelp(import.meta.url);
  process.exit(0);
}
const users = positive("users", flags.users, flags.quick ? 10_000 : 100_000);
const groupSize = positive("group-size", flags["group-size"], 100);
const options = {
  users,
  groupSize,
  groups: Math.ceil(users / groupSize),
  batch: positive("batch", flags.batch, 100),
  clients: positive("clients", flags.clients, 8),
  hello: positive("hello", flags.hello, 5, false),
  db: flags.db!,
  sqlTiming: flags["sql-timing"]!,
};

type Kind = "GET /Users?filter=userName eq" | "POST /Users" | "GET /Groups?filter=displayName eq" | "POST /Groups" | "PATCH /Groups add members";
const KINDS: Kind[] = ["GET /Users?filter=userName eq", "POST /Users", "GET /Groups?filter=displayName eq", "POST /Groups", "PATCH /Groups add members"];

async function main() {
  const startedAt = new Date();
  await onFreshDatabase(options.db, async (target, track) => {
    log(`${target.label}; ${fmt(options.users)} users, ${fmt(options.groups)} groups of ${options.groupSize}, PATCH batches of ${options.batch}; ${options.clients} clients`);
    log(`machine: ${machineLine()}`);
    const db = await openDatabase({ url: target.url });
    const { token, organizationId } = await seedOrganization(db);
    await db.close();

    log(`Express hello-world ceiling, ${options.clients} connections, ${options.hello} s …`);
    const hello = await measureHello({ connections: options.clients, duration: options.hello, warmup: 1 });
    log(`  ${fmt(hello.rps)} req/s`);

    const app = track(await startServer("rollcall", { DATABASE_URL: target.url, BENCH_SQL_TIMING: options.sqlTiming ? "1" : "0" }));
    const port = app.port;
    const auth = { Authorization: `Bearer ${token}`, Accept: SCIM_JSON };
    const withBody = { ...auth, "Content-Type": SCIM_JSON };
    const latencies = new Map<Kind, Latencies>(KINDS.map((k) => [k, new Latencies()]));
    const errors = new Map<Kind, number>(KINDS.map((k) => [k, 0]));
    const firstErrors: string[] = [];
    const agents = Array.from({ length: options.clients }, () => new Agent({ keepAlive: true, maxSockets: 1 }));

    const call = async (client: number, kind: Kind, req: Req, expect: number): Promise<string> => {
      const res = await send(port, req, agents[client]);
      latencies.get(kind)!.add(res.ms);
      if (res.status !== expect) {
        errors.set(kind, errors.get(kind)! + 1);
        if (firstErrors.length < 5) firstErrors.push(`${kind}: ${res.status} ${res.text.slice(0, 300)}`);
      }
      return res.text;
    };

    /** Runs `count` jobs on the clients, each taking the next job when it finishes one; prints every 10%. */
    const phase = async (label: string, count: number, job: (client: number, i: number) => Promise<void>) => {
      let next = 0;
      let done = 0;
      let reported = 0;
      const started = Date.now();
      await Promise.all(agents.map(async (_agent, client) => {
        while (next < count) {
          const i = next++;
          await job(client, i);
          done++;
          const tenth = Math.floor((done * 10) / count);
          if (tenth > reported) {
            reported = tenth;
            const s = (Date.now() - started) / 1000;
            log(`${label}: ${fmt(done)}/${fmt(count)} (${tenth * 10}%) in ${fmt(s, 1)} s, ${fmt(done / s)}/s, app RSS peak ${fmt(peakRssMiB(app.process.pid) ?? NaN)} MiB`);
          }
        }
      }));
      return (Date.now() - started) / 1000;
    };

    const ids: string[] = new Array(options.users);
    const userName = (i: number) => {
      const { given, family } = personName(i);
      return `${given}.${family}.${i}@example.com`.toLowerCase();
    };
    const filterPath = (resource: string, attribute: string, value: string) =>
      `/scim/v2/${resource}?filter=${encodeURIComponent(`${attribute} eq "${value}"`)}&startIndex=1&count=100`;

    const started = Date.now();
    const userSeconds = await phase("users", options.users, async (client, i) => {
      const name = userName(i);
      await call(client, "GET /Users?filter=userName eq", { method: "GET", path: filterPath("Users", "userName", name), headers: auth }, 200);
      const text = await call(client, "POST /Users", { method: "POST", path: "/scim/v2/Users", body: oktaUserBody(i, name), headers: withBody }, 201);
      try { ids[i] = (JSON.parse(text) as { id: string }).id; } catch { /* counted as an error above */ }
    });
    const sqlStats: Measured[] = [];
    const takeSqlStats = async (name: string, requests: number) => {
      if (!options.sqlTiming) return;
      const { stats } = await app.command<{ stats: SqlStat[] }>("sql-stats");
      await app.command("sql-reset");
      sqlStats.push({ key: name, name, requests, sql: stats, serverCpu: null } as Measured);
    };
    await takeSqlStats("users phase (per user: probe + POST)", options.users);
    const groupSeconds = await phase("groups", options.groups, async (client, g) => {
      const displayName = `Team ${g + 1}`;
      await call(client, "GET /Groups?filter=displayName eq", { method: "GET", path: filterPath("Groups", "displayName", displayName), headers: auth }, 200);
      const text = await call(client, "POST /Groups", {
        method: "POST", path: "/scim/v2/Groups", headers: withBody,
        body: JSON.stringify({ schemas: [GROUP_URN], displayName, members: [] }),
      }, 201);
      let groupId: string;
      try { groupId = (JSON.parse(text) as { id: string }).id; } catch { return; }
      const members = [];
      for (let i = g * options.groupSize; i < Math.min(options.users, (g + 1) * options.groupSize); i++) {
        if (ids[i]) members.push({ value: ids[i], display: userName(i) });
      }
      for (let from = 0; from < members.length; from += options.batch) {
        await call(client, "PATCH /Groups add members", {
          method: "PATCH", path: `/scim/v2/Groups/${groupId}`, headers: withBody,
          body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: members.slice(from, from + options.batch) }] }),
        }, 204);
      }
    });
    const totalSeconds = (Date.now() - started) / 1000;
    await takeSqlStats("groups phase (per group: probe + POST + PATCH)", options.groups);
    const peakRss = peakRssMiB(app.process.pid);
    await app.stop();
    for (const agent of agents) agent.destroy();

    const check = await openDatabase({ url: target.url });
    const p = check.dialect === "sqlite" ? "?" : "$1";
    const count = async (table: string) =>
      Number((await check.dataSource.query(`SELECT COUNT(*) AS n FROM ${table} WHERE organization_id = ${p}`, [organizationId]) as { n: number | string }[])[0].n);
    const [userRows, groupRows, memberRows] = [await count("users"), await count("groups"), await count("group_members")];
    await check.close();

    const requests = KINDS.reduce((n, k) => n + latencies.get(k)!.count, 0);
    const totalErrors = KINDS.reduce((n, k) => n + errors.get(k)!, 0);
    const rps = requests / totalSeconds;
    console.log("");
    console.log(`Rollcall initial sync (Okta-shaped) — ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC, ${machineLine()}, ${target.label}`);
    console.log(`${fmt(options.users)} users, ${fmt(options.groups)} groups × ${options.groupSize} members in PATCHes of ${options.batch}, ${options.clients} clients`);
    console.log("");
    const rows = KINDS.map((k) => {
      const sorted = latencies.get(k)!.sorted();
      return [k, fmt(sorted.length), fmt(percentile(sorted, 50), 2), fmt(percentile(sorted, 99), 2), fmt(sorted[sorted.length - 1] ?? NaN, 1), fmt(errors.get(k)!)];
    });
    console.log(markdownTable(["request", "count", "p50 ms", "p99 ms", "max ms", "errors"], rows));
    console.log("");
    console.log(markdownTable(["figure", "value"], [
      ["total time", `${fmt(totalSeconds, 1)} s (users ${fmt(userSeconds, 1)} s, groups ${fmt(groupSeconds, 1)} s)`],
      ["requests", `${fmt(requests)} (${fmt(totalErrors)} errors)`],
      ["requests/s", fmt(rps)],
      ["Express hello-world, same connections", `${fmt(hello.rps)} req/s`],
      ["requests/s ÷ hello-world", `${fmt(rps / hello.rps, 3)}×`],
      ["users created/s (probe + POST)", fmt(options.users / userSeconds)],
      ["memberships pushed/s (group phase)", fmt(options.users / groupSeconds)],
      ["peak RSS of the app process", peakRss === null ? "–" : `${fmt(peakRss)} MiB`],
      ["in the database after", `${fmt(userRows)} users, ${fmt(groupRows)} groups, ${fmt(memberRows)} memberships`],
    ]));
    if (sqlStats.length) console.log(`\nTime in SQLite by statement (--sql-timing):\n${sqlReport(sqlStats)}`);
    // Issue 14's target, for the full size (100,000 users and 1,000 groups).
    const pass = totalSeconds <= 60 && totalErrors === 0;
    console.log(`\nTarget (100,000 users, 1,000 groups; this run: ${fmt(options.users)} users):\n  ${pass ? "PASS" : "MISS"}  initial sync in ${fmt(totalSeconds, 1)} s (target ≤ 60 s, no errors)`);
    if (firstErrors.length) console.log(`\nFirst errors:\n  ${firstErrors.join("\n  ")}`);
    if (userRows !== options.users || groupRows !== options.groups || memberRows !== options.users) {
      console.log("\nMISMATCH: the database does not hold every user, group and membership pushed.");
      process.exitCode = 1;
    }
  });
}

main().then(() => process.exit(process.exitCode ?? 0), (err) => {
  console.error("benchmark failed:", err);
  process.exit(1);
});
