/**
 * What every bench/ program shares: flags, a throw-away database, the app (or the hello-world) in a child process,
 * autocannon scenarios measured per response, the results table, and the app process's CPU and peak RSS.
 * Used by bench/scim.ts (`npm run bench`), bench/sync.ts (`npm run bench:sync`), bench/scale.ts
 * (`npm run bench:scale`), bench/soak.ts (`npm run bench:soak`) and the others.
 */
import autocannon from "autocannon";
import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, IncomingHttpHeaders, request } from "node:http";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { programArgs } from "../test/support/server-process.js";
import { PATCH_OP_URN as PATCH_OP, USER_URN, GROUP_URN } from "../src/scim/schemas.js";
export { PATCH_OP, USER_URN, GROUP_URN };

/**
 * The checkout's root. The benches run compiled (`npm run bench:build` into build-bench/, as `npm start` runs the app
 * compiled: through tsx the app process held 50 MiB more, 177 against 127 MiB idle), so it is looked for upwards.
 */
export const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package-lock.json"))) dir = dirname(dir);
  return dir;
})();
export const SCIM_JSON = "application/scim+json";

export const log = (line: string) => console.log(`[bench] ${line}`);
export const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];

/** Prints a program's header comment (its usage) for --help. */
export function printHelp(moduleUrl: string): void {
  console.log(readFileSync(fileURLToPath(moduleUrl), "utf8").split("*/")[0].replace(/^\/\*\*|^ \* ?/gm, ""));
}

export function positive(name: string, raw: string | undefined, fallback: number, integer = true): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!(n > 0) || (integer && !Number.isInteger(n))) {
    console.error(`--${name} must be a positive ${integer ? "integer" : "number"} (got ${raw})`);
    process.exit(2);
  }
  return n;
}

export function machineLine(): string {
  return `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? "?"}), Node ${process.version}`;
}

// --------------------------------------------------------------------------------------------------------- database

export interface Target { url: string; label: string; drop(): Promise<void> }

/** `sqlite`: a file in a fresh temp dir. `postgres://…`: a throw-away database beside the one named, dropped after. */
export async function freshDatabase(db: string): Promise<Target> {
  if (db === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "rollcall-bench-"));
    return { url: `sqlite:${join(dir, "bench.sqlite")}`, label: "SQLite (file, WAL)", drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (!/^postgres(ql)?:\/\//.test(db)) {
    console.error("--db must be sqlite or a postgres:// URL of a server where a database may be created");
    process.exit(2);
  }
  // As test/support/databases.ts does.
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: db });
    await client.connect();
    try { await client.query(sql); } finally { await client.end(); }
  };
  const name = `rollcall_bench_${randomBytes(6).toString("hex")}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(db);
  url.pathname = `/${name}`;
  return { url: url.toString(), label: `PostgreSQL (${url.host})`, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * Runs a benchmark on a fresh database: the children passed to `track` are stopped and the database is dropped at
 * the end, when the run fails, and on Ctrl-C.
 */
export async function onFreshDatabase(db: string, run: (target: Target, track: (child: Child) => Child) => Promise<void>): Promise<void> {
  const target = await freshDatabase(db);
  const children: Child[] = [];
  const cleanup = async () => {
    await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
    await target.drop().catch((err) => log(`could not remove the benchmark database: ${err}`));
  };
  process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));
  try {
    await run(target, (child) => {
      children.push(child);
      return child;
    });
  } finally {
    await cleanup();
  }
}

// ---------------------------------------------------------------------------------------------------- child servers

export interface Child {
  port: number;
  process: ChildProcess;
  /** Sends one command line to the server (see bench/server.ts) and resolves with its one-line JSON answer. */
  command<T>(line: string): Promise<T>;
  stop(): Promise<void>;
}

export function startServer(mode: "hello" | "rollcall", env: Record<string, string>, nodeFlags: string[] = []): Promise<Child> {
  // bench/server compiled beside this file, or its source through tsx when a bench is run from source.
  const child = spawn(process.execPath, [...nodeFlags, ...programArgs("bench/server")], {
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
export function cpuSeconds(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/** A memory figure of a process in MiB from Linux /proc/<pid>/status, or null elsewhere. */
function statusMiB(pid: number | undefined, field: "VmHWM" | "VmRSS"): number | null {
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null;
  }
}

/** Peak resident set size of a process so far in MiB (Linux VmHWM), or null elsewhere. */
export const peakRssMiB = (pid: number | undefined) => statusMiB(pid, "VmHWM");
/** Resident set size of a process now in MiB (Linux VmRSS), or null elsewhere. */
export const rssMiB = (pid: number | undefined) => statusMiB(pid, "VmRSS");

/** Busy CPU seconds of the whole machine so far (Linux /proc/stat), or null elsewhere. */
export function machineBusySeconds(): number | null {
  try {
    const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = ticks;
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------------------------------------- single requests

export interface Req { method: string; path: string; body?: string; headers: Record<string, string> }
export interface Res { status: number; text: string; ms: number; headers: IncomingHttpHeaders }

/**
 * One request on the given keep-alive agent (or a connection of its own), timed from send to the last byte. With
 * `timeoutMs`, a request whose socket stays idle that long fails (so that a long run always ends).
 */
export function send(port: number, { method, path, headers, body }: Req, agent: Agent | false = false, timeoutMs?: number): Promise<Res> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const length = body === undefined ? {} : { "Content-Length": String(Buffer.byteLength(body)) };
    const req = request({ host: "127.0.0.1", port, method, path, headers: { ...headers, ...length }, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk)).on("end", () => {
        resolve({ status: res.statusCode ?? 0, text, ms: Number(process.hrtime.bigint() - started) / 1e6, headers: res.headers });
      });
    });
    req.on("error", reject);
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.end(body);
  });
}

// -------------------------------------------------------------------------------------------------------- scenarios

export interface Scenario {
  key: string;
  name: string;
  server: "hello" | "rollcall";
  /** Status every response should have. */
  expect: number;
  /** Minimum ratio to the hello-world's req/s, when the issue sets one. */
  target?: number;
  next(): Req;
}

export const helloScenario: Scenario = {
  key: "hello", name: "Express hello-world (ceiling)", server: "hello", expect: 200, next: () => ({ method: "GET", path: "/", headers: {} }),
};

export interface SqlStat { sql: string; calls: number; ms: number }

export interface Measured {
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

export interface RunOptions { connections: number; duration: number; warmup: number; sqlTiming?: boolean }

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Appends latencies to a growable Float64Array. */
export class Latencies {
  private values = new Float64Array(1 << 12);
  count = 0;
  add(ms: number) {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }
  sorted(): Float64Array { return this.values.slice(0, this.count).sort(); }
}

function fire(port: number, scenario: Scenario, connections: number, seconds: number, record?: (ms: number, status: number) => void) {
  const instance = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
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
export async function check(port: number, scenario: Scenario): Promise<void> {
  const res = await send(port, scenario.next());
  if (res.status !== scenario.expect) throw new Error(`${scenario.name}: expected ${scenario.expect}, got ${res.status}: ${res.text.slice(0, 500)}`);
}

/** Warm-up, then `duration` seconds of `connections` autocannon connections; latencies are recorded per response. */
export async function measure(child: Child, scenario: Scenario, options: RunOptions): Promise<Measured> {
  await check(child.port, scenario);
  await fire(child.port, scenario, options.connections, options.warmup);
  await check(child.port, scenario);
  const latencies = new Latencies();
  const statuses: Record<string, number> = {};
  const sqlTiming = options.sqlTiming && scenario.server === "rollcall";
  if (sqlTiming) await child.command("sql-reset");
  const serverBefore = cpuSeconds(child.process.pid);
  const machineBefore = machineBusySeconds();
  const generatorBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await fire(child.port, scenario, options.connections, options.duration, (ms, status) => {
    latencies.add(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const serverAfter = cpuSeconds(child.process.pid);
  const machineAfter = machineBusySeconds();
  const generator = process.cpuUsage(generatorBefore);
  const sorted = latencies.sorted();
  const sql = sqlTiming ? (await child.command<{ stats: SqlStat[] }>("sql-stats")).stats : undefined;
  const serverCpu = serverBefore === null || serverAfter === null ? null : (serverAfter - serverBefore) / seconds;
  const generatorCpu = (generator.user + generator.system) / 1e6 / seconds;
  const machineCpu = machineBefore === null || machineAfter === null ? null : (machineAfter - machineBefore) / seconds;
  const non2xx = Object.entries(statuses).filter(([s]) => !s.startsWith("2")).reduce((n, [, c]) => n + c, 0);
  return {
    key: scenario.key,
    name: scenario.name,
    requests: latencies.count,
    seconds,
    rps: latencies.count / seconds,
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

/**
 * For scenarios too slow for a timed run (a request longer than the duration is never counted by autocannon):
 * `count` requests one after another, timed one by one.
 */
export async function measureSequential(child: Child, scenario: Scenario, count: number): Promise<Measured> {
  const latencies = new Latencies();
  const statuses: Record<string, number> = {};
  const serverBefore = cpuSeconds(child.process.pid);
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const res = await send(child.port, scenario.next());
    latencies.add(res.ms);
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const serverAfter = cpuSeconds(child.process.pid);
  const sorted = latencies.sorted();
  return {
    key: scenario.key, name: `${scenario.name} [${count} sequential]`, requests: count, seconds, rps: count / seconds,
    p50: percentile(sorted, 50), p99: percentile(sorted, 99),
    errors: Object.entries(statuses).filter(([s]) => Number(s) !== scenario.expect).reduce((n, [, c]) => n + c, 0),
    statuses, serverCpu: serverBefore === null || serverAfter === null ? null : (serverAfter - serverBefore) / seconds,
    generatorCpu: 0, otherCpu: null, target: scenario.target,
  };
}

/** The hello-world ceiling in a child process of its own, with the given connections. */
export async function measureHello(options: RunOptions): Promise<Measured> {
  const child = await startServer("hello", {});
  try {
    return await measure(child, helloScenario, options);
  } finally {
    await child.stop();
  }
}

// ----------------------------------------------------------------------------------------------------------- report

/** A Markdown table; the first column left-aligned, the others right-aligned. */
export function markdownTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":")).join(" | ")} |`;
  return [line(head), rule, ...rows.map(line)].join("\n");
}

export function table(results: Measured[]): string {
  const rows = results.map((r) => [
    r.name, fmt(r.requests), fmt(r.rps), fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.errors),
    r.ratio === undefined ? "1.00×" : `${fmt(r.ratio, 2)}×`,
    r.serverCpu === null || r.requests === 0 ? "–" : fmt((r.serverCpu * r.seconds * 1e6) / r.requests),
    ...[r.serverCpu, r.generatorCpu, r.otherCpu].map((c) => (c === null ? "–" : `${fmt(c * 100)}%`)),
  ]);
  return markdownTable(["scenario", "requests", "req/s", "p50 ms", "p99 ms", "errors", "× hello", "app µs/req", "app CPU", "load-gen CPU", "other CPU"], rows);
}

/** Per scenario: the statements that took the most time, per request, and their share of the app's CPU time. */
export function sqlReport(results: Measured[]): string {
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
