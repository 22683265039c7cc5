/**
 * The process under load, started by bench/scim.ts as a child so that the load generator never shares its event
 * loop. `BENCH_MODE=rollcall` serves the Rollcall app on DATABASE_URL (already migrated and seeded);
 * `BENCH_MODE=hello` serves an Express hello-world, the ceiling every ratio is measured against. Either way it
 * listens on 127.0.0.1 on a free port and prints `{"port":N}` on one line. It exits when its standard input closes
 * (the bench ended or died) or on SIGTERM, going through process.exit so that `--cpu-prof` writes its profile.
 * Lines on its standard input are commands (see timeStatements), each answered with one JSON line.
 * Replicas of one run (bench/soak.ts) share ROLLCALL_SECRET_KEY (base64), so that a cursor or session cookie one signed
 * is good on every other; with REDIS_URL the rate limits (RATE_LIMIT_SCIM_PER_MINUTE, RATE_LIMIT_LOGIN_PER_MINUTE)
 * are on and counted there, as src/run-server.ts does; without it nothing is rate-limited.
 */
import express from "express";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { Server } from "node:http";
import { AddressInfo } from "node:net";
import { createInterface } from "node:readline";

async function rollcall(): Promise<{ server: Server; close(): Promise<void> }> {
  const [{ createApp, listen }, { openDatabase }, { createLogger }, { connectRedis }] = await Promise.all([
    import("../src/app.js"), import("../src/db/database.js"), import("../src/logger.js"), import("../src/redis.js"),
  ]);
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is required");
  const db = await openDatabase({ url });
  if (process.env.BENCH_SQL_TIMING === "1" && db.dialect === "sqlite") timeStatements(db.dataSource.driver);
  const logger = createLogger(process.env.LOG_LEVEL ?? "silent");
  // A single process may sign its cursors and sessions with a key of its own.
  const secretKey = process.env.ROLLCALL_SECRET_KEY ? Buffer.from(process.env.ROLLCALL_SECRET_KEY, "base64") : randomBytes(32);
  const redis = process.env.REDIS_URL ? connectRedis(process.env.REDIS_URL, logger, process.env.REDIS_KEY_PREFIX) : undefined;
  await redis?.firstAttempt;
  const rateLimits = redis && {
    scimPerMinute: Number(process.env.RATE_LIMIT_SCIM_PER_MINUTE ?? 1200), loginPerMinute: Number(process.env.RATE_LIMIT_LOGIN_PER_MINUTE ?? 30),
  };
  const app = createApp({ db, baseUrl: "http://127.0.0.1", logger, secretKey, redis, rateLimits });
  const server = listen(app, 0, "127.0.0.1");
  return { server, close: () => { redis?.close(); return db.close(); } };
}

/**
 * `--sql-timing`: wraps better-sqlite3's Statement methods so that each SQL text's calls and time add up, BEGIN
 * and COMMIT included. The bench asks for the totals over its stdin ("sql-reset", "sql-stats") around a scenario.
 */
const sqlTimes = new Map<string, { calls: number; ns: bigint }>();

function timeStatements(driver: unknown) {
  const connection = (driver as { databaseConnection: { prepare(sql: string): object } }).databaseConnection;
  const proto = Object.getPrototypeOf(connection.prepare("SELECT 1")) as Record<string, unknown>;
  for (const method of ["run", "get", "all"]) {
    const original = proto[method] as (...args: unknown[]) => unknown;
    proto[method] = function (this: { source: string }, ...args: unknown[]) {
      const started = process.hrtime.bigint();
      try {
        return original.apply(this, args);
      } finally {
        // The clock stops first: naming the statement (two regular expressions over its text) is not its time.
        const ns = process.hrtime.bigint() - started;
        const key = this.source.replace(/\s+/g, " ").replace(/(\?, )+\?/g, "?…");
        const entry = sqlTimes.get(key) ?? { calls: 0, ns: 0n };
        entry.calls++;
        entry.ns += ns;
        sqlTimes.set(key, entry);
      }
    };
  }
}

function answer(command: string) {
  if (command === "sql-reset") sqlTimes.clear();
  const stats = command === "sql-stats"
    ? [...sqlTimes].map(([sql, e]) => ({ sql, calls: e.calls, ms: Number(e.ns) / 1e6 })).sort((a, b) => b.ms - a.ms)
    : undefined;
  process.stdout.write(JSON.stringify({ ok: command, stats }) + "\n");
}

function hello(): { server: Server; close(): Promise<void> } {
  const app = express();
  app.get("/", (_req, res) => void res.json({ hello: "world" }));
  return { server: app.listen(0, "127.0.0.1"), close: async () => undefined };
}

async function main() {
  const mode = process.env.BENCH_MODE ?? "rollcall";
  const { server, close } = mode === "hello" ? hello() : await rollcall();
  await once(server, "listening");
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    server.close(() => void close().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.stdin.on("end", stop).on("close", stop);
  createInterface({ input: process.stdin }).on("line", (line) => answer(line.trim()));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + "\n");
}

main().catch((err) => {
  console.error("bench server failed:", err);
  process.exit(1);
});
