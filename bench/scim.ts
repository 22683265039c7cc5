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
import autocannon from "autocannon";
import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { request } from "node:http";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { openDatabase } from "../src/db/database.js";
import { summariseProfile } from "./profile-summary.js";
import { oktaId, personName, seed, Seeded } from "./seed.js";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SCIM_JSON = "application/scim+json";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User";

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
  console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("*/")[0].replace(/^\/\*\*|^ \* ?/gm, ""));
  process.exit(0);
}

function positive(name: string, raw: string | undefined, fallback: number, integer = true): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!(n > 0) || (integer && !Number.isInteger(n))) {
    console.error(`--${name} must be a positive ${integer ? "integer" : "number"} (got ${raw})`);
    process.exit(2);
  }
  return n;
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

const log = (line: string) => console.log(`[bench] ${line}`);
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

// --------------------------------------------------------------------------------------------------------- database

interface Target { url: string; label: string; drop(): Promise<void> }

async function freshDatabase(): Promise<Target> {
  if (options.db === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "rollcall-bench-"));
    return { url: `sqlite:${join(dir, "bench.sqlite")}`, label: "SQLite (file, WAL)", drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (!/^postgres(ql)?:\/\//.test(options.db)) {
    console.error("--db must be sqlite or a postgres:// URL of a server where a database may be created");
    process.exit(2);
  }
  // As test/support/databases.ts does: a throw-away database beside the one named, dropped afterwards.
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: options.db });
    await client.connect();
    try { await client.query(sql); } finally { await client.end(); }
  };
  const name = `rollcall_bench_${randomBytes(6).toString("hex")}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(options.db);
  url.pathname = `/${name}`;
  return { url: url.toString(), label: `PostgreSQL (${url.host})`, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

// ---------------------------------------------------------------------------------------------------- child servers

interface Child {
  port: number;
  process: ChildProcess;
  /** Sends one command line to the server (see bench/server.ts) and resolves with its one-line JSON answer. */
  command<T>(line: string): Promise<T>;
  stop(): Promise<void>;
}

function startServer(mode: "hello" | "rollcall", env: Record<string, string>, nodeFlags: string[] = []): Promise<Child> {
  const child = spawn(process.execPath, [...nodeFlags, "--import", "tsx", join(ROOT, "bench", "server.ts")], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production", LOG_LEVEL: "silent", BENCH_MODE: mode, ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => waiting.shift()?.(line));
  const nextLine = () => new Promise<string>((resolve) => waiting.push(resolve));
  const stop = async () => {
    child.stdin!.end();
    child.kill("SIGTERM");
    await exited;
  };
  const command = async <T>(line: string): Promise<T> => {
    const answer = nextLine();
    child.stdin!.write(line + "\n");
    return JSON.parse(await answer) as T;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${mode} server did not start within 60 s`)), 60_000);
    child.once("exit", (code) => reject(new Error(`${mode} server exited with code ${code} before listening`)));
    void nextLine().then((line) => {
      clearTimeout(timer);
      resolve({ port: (JSON.parse(line) as { port: number }).port, process: child, command, stop });
    });
  });
}

/** User + system CPU seconds a process has used so far (Linux /proc), or null elsewhere. */
function cpuSeconds(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

// -------------------------------------------------------------------------------------------------------- scenarios

interface Req { method: string; path: string; body?: string; headers: Record<string, string> }

interface Scenario {
  key: string;
  name: string;
  server: "hello" | "rollcall";
  /** Status every response should have. */
  expect: number;
  /** Minimum ratio to the hello-world's req/s, when the issue sets one. */
  target?: number;
  next(): Req;
}

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];

function scenarios(seeded: Seeded): Scenario[] {
  const auth = { Authorization: `Bearer ${seeded.token}`, Accept: SCIM_JSON };
  const withBody = { ...auth, "Content-Type": SCIM_JSON };
  const runId = randomBytes(3).toString("hex");
  let created = 0;
  /** The body Okta's SCIM 2.0 connector POSTs for a new user (groups is always sent, empty). */
  const oktaUser = (password: boolean) => {
    const i = created++;
    const { given, family } = personName(i);
    const userName = `${given}.${family}.new-${runId}-${i}@example.com`.toLowerCase();
    return JSON.stringify({
      schemas: [USER_URN], userName, name: { givenName: given, familyName: family },
      emails: [{ primary: true, value: userName, type: "work" }], displayName: `${given} ${family}`, locale: "en-US",
      externalId: oktaId(), groups: [], ...(password ? { password: `Correct-Horse-${runId}-${i}!` } : {}), active: true,
    });
  };
  const addMember = (userId: string) => JSON.stringify({
    schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: userId }] }],
  });
  const outsideBig = seeded.users.slice(options.bigGroupSize);
  return [
    { key: "hello", name: "Express hello-world (ceiling)", server: "hello", expect: 200, next: () => ({ method: "GET", path: "/", headers: {} }) },
    {
      key: "healthz", name: "GET /healthz (helmet, pino-http; no DB)", server: "rollcall", expect: 200,
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

// ------------------------------------------------------------------------------------------------------ measurement

interface Measured {
  key: string;
  name: string;
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** Non-2xx responses plus connection errors and timeouts. */
  errors: number;
  statuses: Record<string, number>;
  serverCpu: number | null;
  generatorCpu: number;
  /** CPU used by everything else on the machine meanwhile: anything well above 0 makes the figures noisy. */
  otherCpu: number | null;
  ratio?: number;
  target?: number;
  /** With --sql-timing: time spent in SQLite per statement text over the measured run. */
  sql?: SqlStat[];
}

interface SqlStat { sql: string; calls: number; ms: number }

/** Per scenario: the statements that took the most time, per request, and their share of the app's CPU time. */
function sqlReport(results: Measured[]): string {
  const out: string[] = [];
  for (const r of results) {
    if (!r.sql || r.requests === 0) continue;
    const total = r.sql.reduce((n, s) => n + s.ms, 0);
    const cpuMs = r.serverCpu === null ? null : r.serverCpu * r.seconds * 1000;
    out.push(`${r.name}: ${fmt((total * 1000) / r.requests)} µs of SQLite per request` +
      (cpuMs ? ` (${fmt((100 * total) / cpuMs)}% of the app's CPU time)` : ""));
    for (const s of r.sql.slice(0, 8)) {
      out.push(`  ${fmt((s.ms * 1000) / r.requests).padStart(5)} µs/req  ${fmt(s.calls / r.requests, 2).padStart(5)} calls/req  ${s.sql.slice(0, 150)}`);
    }
  }
  return out.join("\n");
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function fire(port: number, scenario: Scenario, seconds: number, record?: (ms: number, status: number) => void) {
  const instance = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: options.connections,
    duration: seconds,
    timeout: 30,
    requests: [{ setupRequest: (request) => ({ ...request, ...scenario.next() }) }],
  });
  if (record) instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => record(ms, status));
  return instance;
}

/**
 * One request outside the measurement, on a connection of its own, so that a broken scenario stops the run with
 * the server's answer. Sent again after the warm-up, it also waits for the requests the warm-up left in flight.
 */
function check(port: number, scenario: Scenario): Promise<void> {
  const { method, path, headers, body } = scenario.next();
  return new Promise((resolve, reject) => {
    const length = body === undefined ? {} : { "Content-Length": String(Buffer.byteLength(body)) };
    const req = request({ host: "127.0.0.1", port, method, path, headers: { ...headers, ...length }, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk)).on("end", () => {
        if (res.statusCode === scenario.expect) resolve();
        else reject(new Error(`${scenario.name}: expected ${scenario.expect}, got ${res.statusCode}: ${text.slice(0, 500)}`));
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Busy CPU seconds of the whole machine so far (Linux /proc/stat), or null elsewhere. */
function machineBusySeconds(): number | null {
  try {
    const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = ticks;
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return null;
  }
}

async function measure(child: Child, scenario: Scenario): Promise<Measured> {
  await check(child.port, scenario);
  await fire(child.port, scenario, options.warmup);
  await check(child.port, scenario);
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const statuses: Record<string, number> = {};
  if (options.sqlTiming && scenario.server === "rollcall") await child.command("sql-reset");
  const serverBefore = cpuSeconds(child.process.pid);
  const machineBefore = machineBusySeconds();
  const generatorBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await fire(child.port, scenario, options.duration, (ms, status) => {
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = ms;
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const serverAfter = cpuSeconds(child.process.pid);
  const machineAfter = machineBusySeconds();
  const generator = process.cpuUsage(generatorBefore);
  const sorted = latencies.slice(0, count).sort();
  const sql = options.sqlTiming && scenario.server === "rollcall"
    ? (await child.command<{ stats: SqlStat[] }>("sql-stats")).stats
    : undefined;
  const serverCpu = serverBefore === null || serverAfter === null ? null : (serverAfter - serverBefore) / seconds;
  const generatorCpu = (generator.user + generator.system) / 1e6 / seconds;
  const machineCpu = machineBefore === null || machineAfter === null ? null : (machineAfter - machineBefore) / seconds;
  const non2xx = Object.entries(statuses).filter(([s]) => !s.startsWith("2")).reduce((n, [, c]) => n + c, 0);
  return {
    key: scenario.key,
    name: scenario.name,
    requests: count,
    seconds,
    rps: count / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors: non2xx + result.errors,
    statuses,
    serverCpu,
    generatorCpu,
    otherCpu: machineCpu === null || serverCpu === null ? null : Math.max(0, machineCpu - serverCpu - generatorCpu),
    target: scenario.target,
    sql,
  };
}

// ----------------------------------------------------------------------------------------------------------- report

function table(results: Measured[]): string {
  const rows = results.map((r) => [
    r.name, fmt(r.requests), fmt(r.rps), fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.errors),
    r.ratio === undefined ? "1.00×" : `${fmt(r.ratio, 2)}×`,
    r.serverCpu === null || r.requests === 0 ? "–" : fmt((r.serverCpu * r.seconds * 1e6) / r.requests),
    ...[r.serverCpu, r.generatorCpu, r.otherCpu].map((c) => (c === null ? "–" : `${fmt(c * 100)}%`)),
  ]);
  const head = ["scenario", "requests", "req/s", "p50 ms", "p99 ms", "errors", "× hello", "app µs/req", "app CPU", "load-gen CPU", "other CPU"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":")).join(" | ")} |`;
  return [line(head), rule, ...rows.map(line)].join("\n");
}

function targets(results: Measured[]): { name: string; target: number; ratio: number; pass: boolean }[] {
  return results.filter((r) => r.target !== undefined && r.ratio !== undefined).map((r) => ({
    name: r.name, target: r.target!, ratio: r.ratio!, pass: r.ratio! >= r.target! && r.errors === 0,
  }));
}

// ------------------------------------------------------------------------------------------------------------- main

async function main() {
  const startedAt = new Date();
  const target = await freshDatabase();
  const children: Child[] = [];
  let profileDir: string | undefined;
  const cleanup = async () => {
    await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
    await target.drop().catch((err) => log(`could not remove the benchmark database: ${err}`));
  };
  process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));
  try {
    log(`${target.label}; ${fmt(options.users)} users; ${options.connections} connections; ${options.warmup} s warm-up + ${options.duration} s per scenario`);
    log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? "?"}), Node ${process.version}`);

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
      const child = await startServer(mode, { DATABASE_URL: target.url, BENCH_SQL_TIMING: options.sqlTiming ? "1" : "0" }, nodeFlags);
      children.push(child);
      for (const scenario of list) {
        log(`${scenario.name} …`);
        const r = await measure(child, scenario);
        results.push(r);
        log(`  ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, ${fmt(r.errors)} errors`);
      }
      await child.stop();
      children.splice(children.indexOf(child), 1);
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
  } finally {
    await cleanup();
  }
}

main().then(() => process.exit(0), (err) => {
  console.error("benchmark failed:", err);
  process.exit(1);
});
