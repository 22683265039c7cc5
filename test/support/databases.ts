import { randomBytes } from "node:crypto";
import { after, before } from "node:test";
import pg from "pg";
import { Database, openDatabase } from "../../src/db/database.js";

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
  /** Creates a fresh, empty database and returns its URL and a function that removes it. */
  create(): Promise<{ url: string; drop(): Promise<void> }>;
}

const adminUrl = process.env.ROLLCALL_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function postgresReachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
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

let reachability: Promise<string | null> | undefined;

export async function databaseTargets(): Promise<DatabaseTarget[]> {
  reachability ??= postgresReachable();
  const unreachable = await reachability;
  if (unreachable && process.env.ROLLCALL_REQUIRE_POSTGRES === "1") throw new Error(unreachable);
  return [
    { name: "sqlite", create: async () => ({ url: "sqlite::memory:", drop: async () => undefined }) },
    {
      name: "postgres",
      skip: unreachable ?? undefined,
      create: async () => {
        const name = `rollcall_test_${randomBytes(6).toString("hex")}`;
        await admin((c) => c.query(`CREATE DATABASE ${name}`));
        const url = new URL(adminUrl);
        url.pathname = `/${name}`;
        return { url: url.toString(), drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined) };
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
