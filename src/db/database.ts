import "reflect-metadata";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import pg from "pg";
import { DataSource, EntityManager } from "typeorm";
import { entities } from "../../entities/index.js";
import { DEFAULT_STATEMENT_TIMEOUT_MS } from "../config.js";
import { migrations } from "./migrations/index.js";
import { foldCase } from "../identity/text.js";
import { FairQueue, FairQueueLimits } from "./fair-queue.js";
import { SCAN_WORKER_SOURCE } from "./scan-worker.js";
import { positional, sql } from "./sql.js";

export type Dialect = "sqlite" | "postgres";

/** The data source plus the two things every caller needs to know about it: its dialect and how to write safely. */
export interface Database {
  readonly dataSource: DataSource;
  readonly dialect: Dialect;
  /** Runs fn in one transaction: everything it writes commits together or not at all. */
  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T>;
  /** SQL that folds a string expression to lower case the same way on both databases. */
  fold(expression: string): string;
  /**
   * An expensive read for one organization (a filtered count or page): organizations take turns (fair-queue.ts),
   * and on an SQLite file it runs in a worker thread, off the event loop. Named parameters, as `sql()` takes them.
   */
  scan<T = Record<string, unknown>>(organizationId: string, text: string, params: Record<string, unknown>): Promise<T[]>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url: string;
  /**
   * PostgreSQL: the longest one statement may run (server-side statement_timeout) before it is cancelled; the
   * client gives up on an unanswered query a little later.
   */
  statementTimeoutMs?: number;
  /** Tests build a fresh schema from migrations; nothing ever uses `synchronize`. */
  runMigrations?: boolean;
  logging?: boolean;
}

export function dialectOf(url: string): Dialect {
  if (url.startsWith("sqlite:")) return "sqlite";
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return "postgres";
  throw new Error(`DATABASE_URL must start with sqlite: or postgres:// (got ${url.split(":")[0]}:…)`);
}

function sqliteDataSource(path: string, logging: boolean): DataSource {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  return new DataSource({
    type: "better-sqlite3",
    database: path,
    entities,
    migrations,
    logging,
    prepareDatabase: (db: { pragma(s: string): unknown; function(name: string, opts: object, fn: (v: unknown) => unknown): void }) => {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
      db.pragma("wal_autocheckpoint = 10000");
      // Statistics for the planner (SQLite's advice for long-lived connections); re-run hourly in openDatabase.
      db.pragma("optimize = 0x10002");
      // LIKE is case-sensitive on PostgreSQL; make SQLite agree so that caseExact filters mean the same on both.
      db.pragma("case_sensitive_like = ON");
      // SQLite's lower() folds ASCII only; this folds all of Unicode as the normalised columns do.
      db.function("rc_fold", { deterministic: true }, (v) => (typeof v === "string" ? foldCase(v) : v));
    },
  });
}

/** Connections per replica; a request waits at most ACQUIRE_TIMEOUT_MS for one. */
export const POOL_SIZE = 10;
/** Opening a connection: a server that does not answer by then is not answering. */
const CONNECT_TIMEOUT_MS = 3_000;
/**
 * Waiting for a free pooled connection, opening included. Longer than the connect limit: under a burst of writes to
 * one row (an IdP pushing 64 member adds to one group through two replicas) requests queue for seconds, healthily.
 */
const ACQUIRE_TIMEOUT_MS = 10_000;

/**
 * A client whose query that timed out on the client side closes its connection. pg's query_timeout only abandons
 * the query: with a server gone silent (a partition, not a refusal, so no cancel reaches it) the connection stays
 * busy waiting, and every later query on it would queue behind the lost one. Closed, it leaves the pool, which opens
 * a fresh one when next asked, so service comes back as soon as the network does.
 */
class SilenceSafeClient extends pg.Client {
  constructor(config: pg.ClientConfig) {
    // The pool hands each client its own options: the pool's acquire limit, not the connect limit.
    super({ ...config, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  }
}
const plainQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
Object.assign(SilenceSafeClient.prototype, {
  query(this: pg.Client & { connection: { stream: { destroy(): void } } }, ...args: unknown[]) {
    const result = plainQuery.apply(this, args);
    if (result instanceof Promise) {
      result.catch((err: Error) => { if (err?.message === "Query read timeout") this.connection.stream.destroy(); });
    }
    return result;
  },
});

/**
 * Every request's call is bounded: connecting (CONNECT_TIMEOUT_MS), waiting for a pooled connection
 * (ACQUIRE_TIMEOUT_MS), each statement on the server (statement_timeout) and on the client (query_timeout, for a
 * server that does not answer at all), and a transaction left idle (which would hold its locks). These failures
 * become 503 + Retry-After.
 */
const requestPool = (statementTimeoutMs: number) => ({
  max: POOL_SIZE,
  Client: SilenceSafeClient,
  connectionTimeoutMillis: ACQUIRE_TIMEOUT_MS,
  statement_timeout: statementTimeoutMs,
  query_timeout: statementTimeoutMs + 1_000,
  idle_in_transaction_session_timeout: 60_000,
  keepAlive: true,
});
/** Migrations: no statement limit (an index build on a large table may take minutes), nor on waiting for their lock. */
const MIGRATION_POOL = { max: 2, connectionTimeoutMillis: CONNECT_TIMEOUT_MS };

function postgresDataSource(url: string, logging: boolean, extra: Record<string, unknown>): DataSource {
  return new DataSource({ type: "postgres", url, entities, migrations, logging, extra });
}

/** Any constant: the key of the PostgreSQL advisory lock that lets one replica at a time run migrations. */
const MIGRATION_LOCK = 7_311_224;

/**
 * Replicas starting together on one PostgreSQL would race to create the same tables: the first takes an advisory
 * lock and migrates, the others wait for it and then find nothing left to do.
 */
async function migrate(dataSource: DataSource, dialect: Dialect, url: string): Promise<void> {
  if (dialect === "sqlite") return void await dataSource.runMigrations({ transaction: "each" });
  const migrator = postgresDataSource(url, false, MIGRATION_POOL);
  await migrator.initialize();
  const runner = migrator.createQueryRunner();
  try {
    await runner.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await migrator.runMigrations({ transaction: "each" });
  } finally {
    await runner.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
    await migrator.destroy();
  }
}

/**
 * Group commit for SQLite: transactions queued while one runs go together into the next BEGIN … COMMIT, each inside
 * its own SAVEPOINT, so that one failing rolls back alone. Every caller still hears back only after the COMMIT that
 * made its changes durable; the COMMIT (WAL append and checkpoint share) is paid once per batch, not per request.
 */
function groupCommit(dataSource: DataSource) {
  interface Job { fn: (em: EntityManager) => Promise<unknown>; resolve(value: unknown): void; reject(err: unknown): void }
  let pending: Job[] = [];
  let running = false;
  async function drain() {
    running = true;
    while (pending.length) {
      const batch = pending.splice(0, 64);
      const qr = dataSource.createQueryRunner();
      const outcomes: { ok: boolean; value: unknown }[] = [];
      try {
        await qr.startTransaction();
        for (let i = 0; i < batch.length; i++) {
          const job = batch[i];
          // Savepoints straight on the connection (sql()): TypeORM's nested transactions cost a query runner's
          // round of events each, twice per job.
          await sql(qr.manager, "SAVEPOINT rollcall_job");
          try {
            const value = await job.fn(qr.manager);
            await sql(qr.manager, "RELEASE rollcall_job");
            outcomes.push({ ok: true, value });
          } catch (err) {
            await sql(qr.manager, "ROLLBACK TO rollcall_job");
            await sql(qr.manager, "RELEASE rollcall_job");
            outcomes.push({ ok: false, value: err });
          }
          // Let requests that arrived meanwhile join this transaction (one event-loop turn, at most 64 a batch).
          if (i === batch.length - 1 && batch.length < 64) {
            await new Promise((resolve) => setImmediate(resolve));
            batch.push(...pending.splice(0, 64 - batch.length));
          }
        }
        await qr.commitTransaction();
      } catch (err) {
        if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
        for (const job of batch) job.reject(err);
        continue;
      }
      batch.forEach((job, i) => (outcomes[i].ok ? job.resolve(outcomes[i].value) : job.reject(outcomes[i].value)));
    }
    running = false;
  }
  return <T>(fn: (em: EntityManager) => Promise<T>) => new Promise<T>((resolve, reject) => {
    pending.push({ fn, resolve: resolve as (value: unknown) => void, reject });
    if (!running) void drain();
  });
}

/**
 * The SQLite scan worker (scan-worker.ts), started on first use and again if it ever dies. One thread: with the
 * event loop's, that is both cores of a small machine busy.
 */
function scanWorker(path: string) {
  let worker: Worker | null = null;
  const pending = new Map<number, { resolve(rows: unknown[]): void; reject(err: Error): void }>();
  let nextId = 1;
  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  const started = () => {
    if (worker) return worker;
    const w = new Worker(SCAN_WORKER_SOURCE, { eval: true, workerData: { path, driver: createRequire(import.meta.url).resolve("better-sqlite3") } });
    w.on("message", ({ id, rows, error }: { id: number; rows?: unknown[]; error?: { message: string; code?: string } }) => {
      const p = pending.get(id);
      pending.delete(id);
      if (!p) return;
      if (error) p.reject(Object.assign(new Error(error.message), { code: error.code }));
      else p.resolve(rows!);
    });
    w.on("error", (err) => failAll(err));
    w.on("exit", () => {
      worker = null;
      failAll(new Error("the SQLite scan worker stopped"));
    });
    // Idle, it must not keep the process alive.
    w.unref();
    return (worker = w);
  };
  return {
    all: (query: string, values: unknown[]) => new Promise<unknown[]>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      const w = started();
      w.ref();
      w.postMessage({ id, query, values });
    }).finally(() => { if (pending.size === 0) worker?.unref(); }),
    close: async () => { await worker?.terminate(); },
  };
}

/**
 * Turns for expensive reads: one at a time per organization, so that one organization's searches hold one database
 * connection (and core) at most per replica; PostgreSQL gives scans half the pool in all, leaving the rest to reads by
 * id and writes; SQLite has the one worker.
 */
const SCAN_LIMITS: Record<Dialect, FairQueueLimits> = {
  postgres: { total: POOL_SIZE / 2, perOrganization: 1, queuedPerOrganization: 16 },
  sqlite: { total: 1, perOrganization: 1, queuedPerOrganization: 16 },
};

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const dialect = dialectOf(options.url);
  const logging = options.logging ?? false;
  const dataSource = dialect === "sqlite"
    ? sqliteDataSource(options.url.slice("sqlite:".length) || ":memory:", logging)
    : postgresDataSource(options.url, logging, requestPool(options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS));
  await dataSource.initialize();
  if (options.runMigrations ?? true) await migrate(dataSource, dialect, options.url);
  const batched = dialect === "sqlite" ? groupCommit(dataSource) : null;
  const optimizer = dialect === "sqlite"
    ? setInterval(() => void dataSource.query("PRAGMA optimize").catch(() => undefined), 3_600_000).unref()
    : undefined;
  const file = dialect === "sqlite" ? options.url.slice("sqlite:".length) : "";
  // An in-memory database (tests) cannot be opened by another thread: its scans run inline, in turns all the same.
  const worker = file && file !== ":memory:" ? scanWorker(file) : null;
  const turns = new FairQueue(SCAN_LIMITS[dialect]);
  return {
    dataSource,
    dialect,
    transaction: (fn) => (batched ? batched(fn) : dataSource.transaction(fn)),
    fold: (expression) => (dialect === "sqlite" ? `rc_fold(${expression})` : `lower(${expression})`),
    scan: <T>(organizationId: string, text: string, params: Record<string, unknown>) => turns.run(organizationId, () => {
      const { query, values } = positional(dialect, text, params);
      return (worker ? worker.all(query, values) : dataSource.query(query, values)) as Promise<T[]>;
    }),
    close: async () => {
      clearInterval(optimizer);
      await worker?.close();
      await dataSource.destroy();
    },
  };
}

export type Readiness = "ready" | "migrations pending" | "database unreachable" | "database not answering";

/**
 * For /readyz: the database answers and every migration this build knows about is applied, decided within
 * `withinMs` whatever the database does (a load balancer's probe must not hang on a silent one).
 */
export async function readiness(db: Database, withinMs: number): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Readiness>((resolve) => { timer = setTimeout(() => resolve("database not answering"), withinMs); });
  const check = (async (): Promise<Readiness> => {
    await db.dataSource.query("SELECT 1");
    return (await db.dataSource.showMigrations()) ? "migrations pending" : "ready";
  })().catch((): Readiness => "database unreachable");
  try {
    return await Promise.race([check, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
