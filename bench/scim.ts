/**
 * SCIM load benchmark: `npm run bench` (see docs/benchmarks.md).
 *
 * Seeds a fresh database (SQLite in a temp dir by default, or a throw-away PostgreSQL database with
 * `--db postgres://…`) with 100,000 users, one group of 10,000 members and 1,000 groups of 100, then starts the
 * app in a child process (bench/server.ts) and drives it with autocannon from this process: one scenario at a time,
 * a fixed number of connections, a short warm-up and then a fixed duration. An Express hello-world, also in its own
 * process, is measured first in the same run with the same connections; every ratio is to it.
 *
 * Flags: --duration S (10) --warmup S (1) --connections N (16) --users N (100000) --quick (2 s, 20,000 users)
 *        --db sqlite|postgres://user@host:5432/admin-db --only key,key (hello always runs)
 *        --profile (CPU profile of the app process, summarised) --sql-timing (time in SQLite per statement; SQLite only)
 * Scenario keys: hello healthz spc get filter list create create-password patch-big patch-small
 */
import { mkdtempSync, readdirSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openDatabase } from "../src/db/database.js";
import {
  fmt, helloScenario, log, machineLine, measure, Measured, PATCH_OP, pick, positive, printHelp, Scenario, SCIM_JSON,
  onFreshDatabase, sqlReport, startServer, table,
} from "./common.js";
import { summariseProfile } from "./profile-summary.js";
import { oktaUserBody, personName, seed, Seeded } from "./seed.js";

// ---------------------------------------------------------------------------------------------------------- options

const { values: flags } = parseArgs({
  options: {
    duration: { type: "string" },
    warmup: { type: "string" },
    connections: { type: "string" },
    users: { type: "string" },
    quick: { type: "boolean", default: false },
    db: { type: "string", default: "sqlite" },
    only: { type: "string" },
    profile: { type: "boolean", default: false },
    "sql-timing": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (flags.help) {
  printHelp(import.meta.url);
  process.exit(0);
}

const options = {
  duration: positive("duration", flags.duration, flags.quick ? 2 : 10, false),
  warmup: positive("warmup", flags.warmup, flags.quick ? 0.5 : 1, false),
  connections: positive("connections", flags.connections, 16),
  users: positive("users", flags.users, flags.quick ? 20_000 : 100_000),
  bigGroupSize: 10_000,
  smallGroups: 1_000,
  smallGroupSize: 100,
  db: flags.db!,
  only: flags.only?.split(",").map((s) => s.trim()).filter(Boolean),
  profile: flags.profile!,
  sqlTiming: flags["sql-timing"]!,
};
const SCENARIO_KEYS = ["hello", "healthz", "spc", "get", "filter", "list", "create", "create-password", "patch-big", "patch-small"];
const unknownKeys = options.only?.filter((key) => !SCENARIO_KEYS.includes(key)) ?? [];
if (unknownKeys.length) {
  console.error(`--only: no scenario ${unknownKeys.join(", ")} (keys: ${SCENARIO_KEYS.join(" ")})`);
  process.exit(2);
}
if (options.users < options.bigGroupSize + options.smallGroupSize) {
  console.error(`--users must be at least ${options.bigGroupSize + options.smallGroupSize}`);
  process.exit(2);
}

// -------------------------------------------------------------------------------------------------------- scenarios

function scenarios(seeded: Seeded): Scenario[] {
  const auth = { Authorization: `Bearer ${seeded.token}`, Accept: SCIM_JSON };
  const withBody = { ...auth, "Content-Type": SCIM_JSON };
  const runId = randomBytes(3).toString("hex");
  let created = 0;
  const oktaUser = (password: boolean) => {
    const i = created++;
    const { given, family } = personName(i);
    const userName = `${given}.${family}.new-${runId}-${i}@example.com`.toLowerCase();
    return oktaUserBody(i, userName, password ? `Correct-Horse-${runId}-${i}!` : undefined);
  };
  const addMember = (userId: string) => JSON.stringify({
    schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: userId }] }],
  });
  const outsideBig = seeded.users.slice(options.bigGroupSize);
  return [
    helloScenario,
    {
      key: "healthz", name: "GET /healthz (helmet, request log; no DB)", server: "rollcall", expect: 200,
      next: () => ({ method: "GET", path: "/healthz", headers: {} }),
    },
    {
      key: "spc", name: "GET /ServiceProviderConfig (SCIM router; no token, no DB)", server: "rollcall", expect: 200,
      next: () => ({ method: "GET", path: "/scim/v2/ServiceProviderConfig", headers: { Accept: SCIM_JSON } }),
    },
    {
      key: "get", name: "GET /Users/{id}", server: "rollcall", expect: 200, target: 0.5,
      next: () => ({ method: "GET", path: `/scim/v2/Users/${pick(seeded.users).id}`, headers: auth }),
    },
    {
      key: "filter", name: 'GET /Users?filter=userName eq "…"', server: "rollcall", expect: 200, target: 0.45,
      next: () => ({ method: "GET", path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${pick(seeded.users).userName}"`)}`, headers: auth }),
    },
    {
      key: "list", name: "GET /Users?startIndex=…&count=100", server: "rollcall", expect: 200,
      next: () => ({ method: "GET", path: `/scim/v2/Users?startIndex=${1 + Math.floor(Math.random() * (options.users - 100))}&count=100`, headers: auth }),
    },
    {
      key: "create", name: "POST /Users (Okta body, no password)", server: "rollcall", expect: 201, target: 0.3,
      next: () => ({ method: "POST", path: "/scim/v2/Users", body: oktaUser(false), headers: withBody }),
    },
    {
      key: "create-password", name: "POST /Users with password (1 scrypt)", server: "rollcall", expect: 201,
      next: () => ({ method: "POST", path: "/scim/v2/Users", body: oktaUser(true), headers: withBody }),
    },
    {
      key: "patch-big", name: `PATCH /Groups add 1 member (${fmt(options.bigGroupSize)}-member group)`, server: "rollcall", expect: 204, target: 0.3,
      next: () => ({ method: "PATCH", path: `/scim/v2/Groups/${seeded.bigGroupId}`, body: addMember(pick(outsideBig).id), headers: withBody }),
    },
    {
      key: "patch-small", name: `PATCH /Groups add 1 member (${options.smallGroupSize}-member groups)`, server: "rollcall", expect: 204, target: 0.3,
      next: () => ({ method: "PATCH", path: `/scim/v2/Groups/${pick(seeded.smallGroupIds)}`, body: addMember(pick(seeded.users).id), headers: withBody }),
    },
  ];
}
// ----------------------------------------------------------------------------------------------------------- report

function targets(results: Measured[]): { name: string; target: number; ratio: number; pass: boolean }[] {
  return results.filter((r) => r.target !== undefined && r.ratio !== undefined).map((r) => ({
    name: r.name, target: r.target!, ratio: r.ratio!, pass: r.ratio! >= r.target! && r.errors === 0,
  }));
}
// ------------------------------------------------------------------------------------------------------------- main

async function main() {
  const startedAt = new Date();
  let profileDir: string | undefined;
  await onFreshDatabase(options.db, async (target, track) => {
    log(`${target.label}; ${fmt(options.users)} users; ${options.connections} connections; ${options.warmup} s warm-up + ${options.duration} s per scenario`);
    log(`machine: ${machineLine()}`);

    const seedStart = Date.now();
    const db = await openDatabase({ url: target.url });
    const seeded = await seed(db, { ...options, progress: (line) => log(`seeding: ${line} (${fmt((Date.now() - seedStart) / 1000, 1)} s)`) });
    await db.close();
    const seedSeconds = (Date.now() - seedStart) / 1000;
    log(`seeded in ${fmt(seedSeconds, 1)} s (bulk SQL; not a figure of the app's speed)`);

    const all = scenarios(seeded);
    const chosen = all.filter((s) => s.key === "hello" || !options.only || options.only.includes(s.key));
    const results: Measured[] = [];
    for (const mode of ["hello", "rollcall"] as const) {
      const list = chosen.filter((s) => s.server === mode);
      if (list.length === 0) continue;
      const nodeFlags: string[] = [];
      if (mode === "rollcall" && options.profile) {
        profileDir = mkdtempSync(join(tmpdir(), "rollcall-profile-"));
        nodeFlags.push("--cpu-prof", `--cpu-prof-dir=${profileDir}`);
      }
      const child = track(await startServer(mode, { DATABASE_URL: target.url, BENCH_SQL_TIMING: options.sqlTiming ? "1" : "0" }, nodeFlags));
      for (const scenario of list) {
        log(`${scenario.name} …`);
        const r = await measure(child, scenario, options);
        results.push(r);
        log(`  ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, ${fmt(r.errors)} errors`);
      }
      await child.stop();
    }

    const hello = results.find((r) => r.key === "hello")!;
    for (const r of results) if (r !== hello) r.ratio = r.rps / hello.rps;

    // How far the member adds moved the groups: the 100-member groups should still be about 100.
    const after = await openDatabase({ url: target.url });
    const sizes = await after.dataSource.query(
      `SELECT group_id, COUNT(*) AS n FROM group_members WHERE organization_id = $1 GROUP BY group_id`.replace("$1", after.dialect === "sqlite" ? "?" : "$1"),
      [seeded.organizationId]) as { group_id: string; n: number | string }[];
    await after.close();
    const big = Number(sizes.find((s) => s.group_id === seeded.bigGroupId)?.n ?? 0);
    const small = sizes.filter((s) => s.group_id !== seeded.bigGroupId).map((s) => Number(s.n));

    const checks = targets(results);
    console.log("");
    console.log(`Rollcall SCIM benchmark — ${startedAt.toISOString().slice(0, 10)}, ${availableParallelism()} cores, Node ${process.version}, ${target.label}`);
    console.log(`${fmt(options.users)} users seeded in ${fmt(seedSeconds, 1)} s; ${options.connections} connections; ${options.duration} s per scenario after ${options.warmup} s warm-up`);
    console.log("");
    console.log(table(results));
    console.log("app µs/req: CPU time of the app process per request (steadier than req/s when the machine is shared).");
    console.log("CPU columns: % of one core over the scenario; other CPU is everything else on the machine meanwhile.");
    const disturbed = results.filter((r) => (r.otherCpu ?? 0) > 0.2);
    if (options.db !== "sqlite") {
      console.log("With PostgreSQL on this machine, other CPU includes the database server's own processes.");
    } else if (disturbed.length) {
      console.log(`WARNING: other processes used > 20% of a core during ${disturbed.map((r) => r.key).join(", ")}: those req/s are low; rerun on a quiet machine.`);
    }
    console.log("");
    console.log(`Group sizes after the run: big group ${fmt(options.bigGroupSize)} → ${fmt(big)}; ${fmt(small.length)} small groups ${options.smallGroupSize} → max ${fmt(Math.max(0, ...small))}`);
    console.log("");
    console.log("Targets (ratio to the hello-world in this run, no errors):");
    for (const c of checks) console.log(`  ${c.pass ? "PASS" : "MISS"}  ${c.name}: ${fmt(c.ratio, 2)}× (target ≥ ${fmt(c.target, 2)}×)`);

    if (options.sqlTiming) {
      console.log("");
      console.log("Time in SQLite by statement (--sql-timing):");
      console.log(sqlReport(results));
    }

    if (profileDir) {
      const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
      if (file) {
        console.log("");
        console.log(`CPU profile of the app process: ${join(profileDir, file)}`);
        console.log(summariseProfile(join(profileDir, file), 25));
      }
    }

    console.log("");
    console.log("JSON:");
    console.log(JSON.stringify({
      date: startedAt.toISOString(), cores: availableParallelism(), cpu: cpus()[0]?.model.trim(), node: process.version,
      database: target.label, users: options.users, connections: options.connections, duration: options.duration,
      warmup: options.warmup, seedSeconds: Number(seedSeconds.toFixed(1)),
      groupSizesAfter: { big, smallMax: Math.max(0, ...small) },
      results: results.map(({ sql: _sql, ...r }) => ({ ...r, rps: Math.round(r.rps), p50: Number(r.p50.toFixed(2)), p99: Number(r.p99.toFixed(2)),
        ratio: r.ratio === undefined ? undefined : Number(r.ratio.toFixed(3)), seconds: Number(r.seconds.toFixed(2)),
        serverCpu: r.serverCpu === null ? null : Number(r.serverCpu.toFixed(2)), generatorCpu: Number(r.generatorCpu.toFixed(2)),
        otherCpu: r.otherCpu === null ? null : Number(r.otherCpu.toFixed(2)) })),
      targets: checks,
    }));
  });
}

main().then(() => process.exit(0), (err) => {
  console.error("benchmark failed:", err);
  process.exit(1);
});
