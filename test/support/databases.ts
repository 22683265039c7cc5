import { createHash, randomBytes } from "node:crypto";
import { after, before } from "node:test";
import { setTimeout } from "node:timers/promises";
import pg from "pg";
import { Database, openDatabase } from "../../src/db/database.js";
import { migrations } from "../../src/db/migrations/index.js";

/**
 * The databases every integration suite runs on: SQLite always, PostgreSQL when a server answers at
 * ROLLCALL_TEST_POSTGRES_URL (default 127.0.0.1:5432, trust auth, database `test`). Each suite gets its own fresh
 * PostgreSQL database, dropped afterwards, so suites can run in parallel. CI sets ROLLCALL_REQUIRE_POSTGRES=1 so
 * that an unreachable server fails the run instead of skipping.
 */
export interface DatabaseTarget {
  name: "sqlite" | "postgres";
  /** Set when the target cannot run here; the suite is skipped with this message. */
  skip?: string;
  /**
   * Creates a fresh database and returns its URL and a function that removes it. Empty, unless `migrated`: then
   * every migration has been applied already, as openDatabase would (on PostgreSQL a copy of a migrated template,
   * see migratedTemplate; SQLite is migrated when opened, which takes 50 ms there).
   */
  create(options?: { migrated?: boolean }): Promise<{ url: string; drop(): Promise<void> }>;
}

const adminUrl = process.env.ROLLCALL_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function postgresReachable(): Promise<string | null> {
  // Generous: on a busy 2-core machine a test process can be kept from its timers and sockets for seconds.
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (err) {
    return `PostgreSQL not reachable at ${adminUrl} (${(err as Error).message}); set ROLLCALL_TEST_POSTGRES_URL to run these tests on it`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const urlOf = (database: string) => {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

let reachability: Promise<string | null> | undefined;

/** Named after the migrations' code, so that a changed or new migration gets a template of its own. */
const TEMPLATE = `rollcall_template_${createHash("sha256").update(migrations.map(String).join("\n")).digest("hex").slice(0, 16)}`;
/** Any constant: the advisory lock under which one test process builds the template while the others wait. */
const TEMPLATE_LOCK = 7_301_552;
let template: Promise<void> | undefined;

/**
 * A migrated database that suites copy (CREATE DATABASE … TEMPLATE) instead of each running the migrations on an
 * empty one: a copy takes about 0.1 s, migrating 0.5 s of wall time and 0.4 s of CPU between the test process and
 * PostgreSQL, and about a hundred suites make one per run. The first test process to need it builds it under a
 * temporary name and renames it when done, so that a build that dies midway never leaves a half-migrated template.
 * CREATE DATABASE refuses a template anyone is connected to: only the builder ever connects, and is gone before the
 * rename. Templates of earlier migrations are left in place: another checkout's suites may be copying them.
 */
function migratedTemplate(): Promise<void> {
  template ??= admin(async (client) => {
    await client.query("SELECT pg_advisory_lock($1)", [TEMPLATE_LOCK]);
    try {
      if ((await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [TEMPLATE])).rowCount) return;
      const building = `${TEMPLATE}_building`;
      await client.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${building}`);
      await (await openDatabase({ url: urlOf(building) })).close();
      // The pool's sessions end a moment after it is closed; a rename while one is still there would be refused.
      while ((await client.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1", [building])).rowCount) await setTimeout(20);
      await client.query(`ALTER DATABASE ${building} RENAME TO ${TEMPLATE}`);
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [TEMPLATE_LOCK]);
    }
  });
  return template;
}

export async function databaseTargets(): Promise<DatabaseTarget[]> {
  reachability ??= postgresReachable();
  const unreachable = await reachability;
  if (unreachable && process.env.ROLLCALL_REQUIRE_POSTGRES === "1") throw new Error(unreachable);
  return [
    { name: "sqlite", create: async () => ({ url: "sqlite::memory:", drop: async () => undefined }) },
    {
      name: "postgres",
      skip: unreachable ?? undefined,
      create: async ({ migrated = false } = {}) => {
        const name = `rollcall_test_${randomBytes(6).toString("hex")}`;
        if (migrated) await migratedTemplate();
        await admin((c) => c.query(`CREATE DATABASE ${name}${migrated ? ` TEMPLATE ${TEMPLATE}` : ""}`));
        return { url: urlOf(name), drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined) };
      },
    },
  ];
}

/**
 * A fresh database of `target` for the enclosing suite: created and opened (migrated) before its tests, closed and
 * dropped after them. Call it inside `describe`; the function it returns gives the open database.
 */
export function freshDatabase(target: DatabaseTarget): () => Database {
  let db: Database | undefined;
  let drop: (() => Promise<void>) | undefined;
  before(async () => {
    const created = await target.create();
    drop = created.drop;
    db = await openDatabase({ url: created.url });
  });
  after(async () => {
    await db?.close();
    await drop?.();
  });
  return () => db!;
}
