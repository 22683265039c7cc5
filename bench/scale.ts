/**
 * Latencies that must not grow with size: `npm run bench:scale` (see docs/benchmarks.md).
 *
 * Seeds a fresh database with bulk SQL (bench/seed.ts; progress every 10%): 1,000,000 users (one work email and an
 * Okta-style externalId each), one group of 100,000 members and 1,000 groups of 100. Then, against the app in a
 * child process (bench/server.ts), one scenario at a time with autocannon (default 1 connection, so p50/p99 are the
 * service time of one request, not queueing), after the Express hello-world ceiling with the same connections:
 *
 *   groups  — PATCH add one member, PATCH remove one member (`members[value eq "…"]`, as Okta sends it), and
 *             GET /Groups/{id}?excludedAttributes=members, on the 100,000-member group and on the 100-member ones;
 *   filters — `userName eq`, `externalId eq`, `emails[type eq "work"].value eq`, `name.familyName sw`,
 *             `meta.lastModified gt` with index paging (startIndex=1, and deep: a random startIndex) and with cursor
 *             paging (the page after a first page, for thresholds spread over the whole table), count=100.
 *
 * Flags: --users N (1000000) --big-group N (100000) --quick (100,000 users, 10,000-member group, 1 s per scenario)
 *        --connections N (1) --duration S (3) --warmup S (0.5) --db sqlite|postgres://user@host:5432/admin-db
 *        --only groups|filters --sql-timing (SQLite: time per SQL statement, per request; shows the statement that
 *        grows)
 * A scenario that answers fewer than 5 requests in its duration is measured again as 5 sequential requests.
 */
import { parseArgs } from "node:util";
import { openDatabase } from "../src/db/database.js";
import {
  fmt, helloScenario, log, machineLine, measure, Measured, PATCH_OP, pick, positive, printHelp, Scenario, SCIM_JSON,
  measureSequential, peakRssMiB, send, SqlStat, sqlReport, startServer, table,
  onFreshDatabase,
} from "./common.js";
import { seed, Seeded } from "./seed.js";

const { values: flags } = parseArgs({
  options: {
    users: { type: "string" },
    "big-group": { type: "string" },
    quick: { type: "boolean", default: false },
    connections: { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    db: { type: "string", default: "sqlite" },
    only: { type: "string" },
    "sql-timing": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (flags.help) {
  printHelp(import.meta.url);
  process.exit(0);
}
const options = {
  users: positive("users", flags.users, flags.quick ? 100_000 : 1_000_000),
  bigGroupSize: positive("big-group", flags["big-group"], flags.quick ? 10_000 : 100_000),
  smallGroups: 1_000,
  smallGroupSize: 100,
  connections: positive("connections", flags.connections, 1),
  duration: positive("duration", flags.duration, flags.quick ? 1 : 3, false),
  warmup: positive("warmup", flags.warmup, 0.5, false),
  db: flags.db!,
  only: flags.only,
  sqlTiming: flags["sql-timing"]!,
};
if (options.users < options.bigGroupSize * 2 || options.users < options.smallGroups * options.smallGroupSize) {
  console.error("--users must be at least twice --big-group and at least 100,000 (1,000 groups of 100)");
  process.exit(2);
}

function groupScenarios(seeded: Seeded, auth: Record<string, string>): Scenario[] {
  const withBody = { ...auth, "Content-Type": SCIM_JSON };
  // Users 0 … bigGroupSize-1 are the big group's members; the small groups hold users 0 … 99,999 in runs of 100, so
  // an added user is never in the big group and almost never already in the small one (an add is idempotent anyway).
  const outside = seeded.users.slice(options.bigGroupSize);
  const patch = (groupId: string, op: object): ReturnType<Scenario["next"]> => ({
    method: "PATCH", path: `/scim/v2/Groups/${groupId}`, headers: withBody, body: JSON.stringify({ schemas: [PATCH_OP], Operations: [op] }),
  });
  const add = (groupId: string) => patch(groupId, { op: "add", path: "members", value: [{ value: pick(outside).id }] });
  // Each remove names a member not removed before: the n-th goes through the members in order.
  let bigRemoved = 0;
  let smallRemoved = 0;
  const remove = (groupId: string, userId: string) => patch(groupId, { op: "remove", path: `members[value eq "${userId}"]` });
  const get = (groupId: string) => ({ method: "GET", path: `/scim/v2/Groups/${groupId}?excludedAttributes=members`, headers: auth });
  const big = fmt(options.bigGroupSize);
  const small = fmt(options.smallGroupSize);
  return [
    { key: "add-big", name: `PATCH add 1 member, ${big}-member group`, server: "rollcall", expect: 204, next: () => add(seeded.bigGroupId) },
    { key: "add-small", name: `PATCH add 1 member, ${small}-member groups`, server: "rollcall", expect: 204, next: () => add(pick(seeded.smallGroupIds)) },
    {
      key: "remove-big", name: `PATCH remove 1 member, ${big}-member group`, server: "rollcall", expect: 204,
      next: () => remove(seeded.bigGroupId, seeded.users[bigRemoved++ % options.bigGroupSize].id),
    },
    {
      key: "remove-small", name: `PATCH remove 1 member, ${small}-member groups`, server: "rollcall", expect: 204,
      next: () => {
        const n = smallRemoved++;
        const g = n % options.smallGroups;
        const member = Math.floor(n / options.smallGroups) % options.smallGroupSize;
        return remove(seeded.smallGroupIds[g], seeded.users[g * options.smallGroupSize + member].id);
      },
    },
    { key: "get-big", name: `GET group excludedAttributes=members, ${big}-member`, server: "rollcall", expect: 200, next: () => get(seeded.bigGroupId) },
    { key: "get-small", name: `GET group excludedAttributes=members, ${small}-member`, server: "rollcall", expect: 200, next: () => get(pick(seeded.smallGroupIds)) },
  ];
}

/** Seeded users were created one second apart, ending about now (bench/seed.ts): the i-th user's lastModified. */
function lastModifiedOf(i: number): string {
  return new Date(seedT0 + i * 1000).toISOString();
}
let seedT0 = 0;

async function filterScenarios(seeded: Seeded, auth: Record<string, string>, port: number): Promise<Scenario[]> {
  const users = (filter: string, paging: string) => ({ method: "GET", path: `/scim/v2/Users?filter=${encodeURIComponent(filter)}&${paging}`, headers: auth });
  const n = options.users;
  // Thresholds over the middle of the table: each matches between a quarter and three quarters of the users.
  const threshold = () => lastModifiedOf(Math.floor(n / 4 + Math.random() * (n / 2)));
  const half = lastModifiedOf(Math.floor(n / 2));
  // Cursor paging: the second page for 50 thresholds spread over the table (a cursor is bound to its filter).
  const cursors: { filter: string; cursor: string }[] = [];
  for (let k = 0; k < 50; k++) {
    const filter = `meta.lastModified gt "${lastModifiedOf(Math.floor(((k + 0.5) / 50) * (n - 200)))}"`;
    const res = await send(port, users(filter, "cursor=&count=100"));
    const next = (JSON.parse(res.text) as { nextCursor?: string }).nextCursor;
    if (res.status !== 200 || !next) throw new Error(`cursor paging: expected a nextCursor, got ${res.status}: ${res.text.slice(0, 300)}`);
    cursors.push({ filter, cursor: next });
  }
  const families = [...new Set(seeded.users.slice(0, 1000).map((u) => u.userName.split(".")[1]))];
  return [
    { key: "userName", name: 'userName eq "…"', server: "rollcall", expect: 200, next: () => users(`userName eq "${pick(seeded.users).userName}"`, "startIndex=1&count=100") },
    { key: "externalId", name: 'externalId eq "…"', server: "rollcall", expect: 200, next: () => users(`externalId eq "${pick(seeded.users).externalId}"`, "startIndex=1&count=100") },
    {
      key: "email", name: 'emails[type eq "work"].value eq "…"', server: "rollcall", expect: 200,
      next: () => users(`emails[type eq "work"].value eq "${pick(seeded.users).userName}"`, "startIndex=1&count=100"),
    },
    {
      key: "familyName", name: `name.familyName sw "…" (1/${families.length} of users match), count=100`, server: "rollcall", expect: 200,
      next: () => users(`name.familyName sw "${pick(families).slice(0, 4)}"`, "startIndex=1&count=100"),
    },
    {
      key: "lastModified-first", name: "meta.lastModified gt (half match), startIndex=1, count=100", server: "rollcall", expect: 200,
      next: () => users(`meta.lastModified gt "${half}"`, "startIndex=1&count=100"),
    },
    {
      key: "lastModified-deep", name: "meta.lastModified gt (¼–¾ match), random startIndex, count=100", server: "rollcall", expect: 200,
      next: () => users(`meta.lastModified gt "${threshold()}"`, `startIndex=${1 + Math.floor(Math.random() * (n / 4 - 100))}&count=100`),
    },
    {
      key: "lastModified-cursor", name: "meta.lastModified gt, cursor paging (next page), count=100", server: "rollcall", expect: 200,
      next: () => {
        const { filter, cursor } = pick(cursors);
        return users(filter, `cursor=${encodeURIComponent(cursor)}&count=100`);
      },
    },
  ];
}

/** The scale targets: latency of the indexed prefix filter and of incremental-sync paging, and the app's peak memory. */
function scaleTargets(results: Measured[], peakRss: number | null) {
  const latency = (key: string, percentile: "p50" | "p99", limitMs: number, name: string) => {
    const r = results.find((m) => m.key === key);
    return r ? [{ name, measured: `${fmt(r[percentile], 2)} ms ${percentile}`, target: `≤ ${limitMs} ms`, pass: r[percentile] <= limitMs && r.errors === 0 }] : [];
  };
  return [
    ...latency("familyName", "p50", 20, "name.familyName sw, count=100"),
    ...latency("lastModified-cursor", "p99", 20, "meta.lastModified gt, cursor paging"),
    ...(options.only ? [] : [{ name: "peak RSS of the app process", measured: peakRss === null ? "unknown" : `${fmt(peakRss)} MiB`, target: "≤ 300 MiB", pass: peakRss !== null && peakRss <= 300 }]),
  ];
}

async function main() {
  const startedAt = new Date();
  await onFreshDatabase(options.db, async (target, track) => {
    log(`${target.label}; ${fmt(options.users)} users, one ${fmt(options.bigGroupSize)}-member group, 1,000 × 100; ${options.connections} connection(s), ${options.warmup} s + ${options.duration} s per scenario`);
    log(`machine: ${machineLine()}`);
    const seedStart = Date.now();
    seedT0 = seedStart - options.users * 1000;
    const db = await openDatabase({ url: target.url });
    const seeded = await seed(db, { ...options, progress: (line) => log(`seeding: ${line} (${fmt((Date.now() - seedStart) / 1000, 1)} s)`) });
    await db.close();
    const seedSeconds = (Date.now() - seedStart) / 1000;
    log(`seeded in ${fmt(seedSeconds, 1)} s (bulk SQL; not a figure of the app's speed)`);

    const run = { connections: options.connections, duration: options.duration, warmup: options.warmup, sqlTiming: options.sqlTiming };
    const results: Measured[] = [];
    const hello = await (async () => {
      const child = await startServer("hello", {});
      try { return await measure(child, helloScenario, run); } finally { await child.stop(); }
    })();
    results.push(hello);
    log(`hello-world: ${fmt(hello.rps)} req/s`);

    const app = track(await startServer("rollcall", { DATABASE_URL: target.url, BENCH_SQL_TIMING: options.sqlTiming ? "1" : "0" }));
    const auth = { Authorization: `Bearer ${seeded.token}`, Accept: SCIM_JSON };
    const list: Scenario[] = [];
    if (options.only !== "filters") list.push(...groupScenarios(seeded, auth));
    if (options.only !== "groups") list.push(...(await filterScenarios(seeded, auth, app.port)));
    for (const scenario of list) {
      log(`${scenario.name} …`);
      let r = await measure(app, scenario, run);
      if (r.requests < 5) {
        const sql = r.sql;
        if (options.sqlTiming) await app.command("sql-reset");
        r = await measureSequential(app, scenario, 5);
        r.sql = options.sqlTiming ? (await app.command<{ stats: SqlStat[] }>("sql-stats")).stats : sql;
      }
      r.ratio = r.rps / hello.rps;
      results.push(r);
      log(`  p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, ${fmt(r.rps)} req/s, ${fmt(r.errors)} errors`);
    }
    const peakRss = peakRssMiB(app.process.pid);
    await app.stop();
    const checks = scaleTargets(results, peakRss);

    console.log("");
    console.log(`Rollcall scale benchmark — ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC, ${machineLine()}, ${target.label}`);
    console.log(`${fmt(options.users)} users, one ${fmt(options.bigGroupSize)}-member group, 1,000 groups of 100, seeded in ${fmt(seedSeconds, 1)} s; ` +
      `${options.connections} connection(s), ${options.duration} s per scenario after ${options.warmup} s warm-up`);
    console.log("");
    console.log(table(results));
    console.log("× hello: req/s over the hello-world's with the same connections. app µs/req: CPU time of the app process per request.");
    console.log(`Peak RSS of the app process: ${peakRss === null ? "unknown" : `${fmt(peakRss)} MiB`}`);
    if (options.sqlTiming) {
      console.log("");
      console.log("Time in SQLite by statement (--sql-timing):");
      console.log(sqlReport(results));
    }
    console.log("");
    console.log(`Targets (issue 14, meant at 1,000,000 users; this run: ${fmt(options.users)}):`);
    for (const c of checks) console.log(`  ${c.pass ? "PASS" : "MISS"}  ${c.name}: ${c.measured} (target ${c.target})`);
  });
}

main().then(() => process.exit(0), (err) => {
  console.error("benchmark failed:", err);
  process.exit(1);
});
