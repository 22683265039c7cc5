import "reflect-metadata";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DataSource, EntityManager } from "typeorm";
import { entities } from "../../entities/index.js";
import { migrations } from "./migrations/index.js";
import { foldCase } from "../identity/text.js";

export type Dialect = "sqlite" | "postgres";

/** The data source plus the two things every caller needs to know about it: its dialect and how to write safely. */
export interface Database {
  readonly dataSource: DataSource;
  readonly dialect: Dialect;
  /** Runs fn in one transaction: everything it writes commits together or not at all. */
  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T>;
  /** SQL that folds a string expression to lower case the same way on both databases. */
  fold(expression: string): string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url: string;
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
      // LIKE is case-sensitive on PostgreSQL; make SQLite agree so that caseExact filters mean the same on both.
      db.pragma("case_sensitive_like = ON");
      // SQLite's lower() folds ASCII only; this folds all of Unicode as the normalised columns do.
      db.function("rc_fold", { deterministic: true }, (v) => (typeof v === "string" ? foldCase(v) : v));
    },
  });
}

function postgresDataSource(url: string, logging: boolean): DataSource {
  return new DataSource({ type: "postgres", url, entities, migrations, logging, extra: { max: 10 } });
}

/**
 * better-sqlite3 gives TypeORM a single connection, so two async transactions would interleave on it. SQLite has one
 * writer anyway: queue the transactions in process. PostgreSQL uses a pool and row locks instead.
 */
function serialise(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** Any constant: the key of the PostgreSQL advisory lock that lets one replica at a time run migrations. */
const MIGRATION_LOCK = 7_311_224;

/**
 * Replicas starting together on one PostgreSQL would race to create the same tables: the first takes an advisory
 * lock and migrates, the others wait for it and then find nothing left to do.
 */
async function migrate(dataSource: DataSource, dialect: Dialect): Promise<void> {
  if (dialect === "sqlite") return void await dataSource.runMigrations({ transaction: "each" });
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await dataSource.runMigrations({ transaction: "each" });
  } finally {
    await runner.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const dialect = dialectOf(options.url);
  const logging = options.logging ?? false;
  const dataSource = dialect === "sqlite"
    ? sqliteDataSource(options.url.slice("sqlite:".length) || ":memory:", logging)
    : postgresDataSource(options.url, logging);
  await dataSource.initialize();
  if (options.runMigrations ?? true) await migrate(dataSource, dialect);
  const queue = dialect === "sqlite" ? serialise() : null;
  return {
    dataSource,
    dialect,
    transaction: (fn) => (queue ? queue(() => dataSource.transaction(fn)) : dataSource.transaction(fn)),
    fold: (expression) => (dialect === "sqlite" ? `rc_fold(${expression})` : `lower(${expression})`),
    close: () => dataSource.destroy(),
  };
}

/** True when every migration this build knows about has been applied (used by /readyz). */
export async function migrationsApplied(db: Database): Promise<boolean> {
  return !(await db.dataSource.showMigrations());
}
