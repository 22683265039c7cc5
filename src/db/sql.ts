import { EntityManager, EntityTarget, ObjectLiteral, QueryFailedError } from "typeorm";

/**
 * Runs hand-written SQL with TypeORM's named parameters (`:name`, `(:...list)`) on either database. Used where the
 * query builder cannot express what we need (compiled SCIM filters, ORDER BY expressions, upserts in bulk) and on
 * every hot path, because it is the cheapest way to the database: see sqliteStatement.
 */
export async function sql<T = Record<string, unknown>>(em: EntityManager, text: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const postgres = em.connection.driver.options.type === "postgres";
  const { query, values } = positional(postgres ? "postgres" : "sqlite", text, params);
  if (postgres) return em.query(query, values);
  const statement = sqliteStatement(em, query);
  try {
    return (statement.reader ? statement.all(...values) : (statement.run(...values), [])) as T[];
  } catch (err) {
    // The same error TypeORM raises, so that uniquely() and isDatabaseUnavailable() read one shape on both paths.
    throw new QueryFailedError(query, values, err as Error);
  }
}

interface SqliteStatement { reader: boolean; all(...values: unknown[]): unknown[]; run(...values: unknown[]): unknown }
interface SqliteConnection { prepare(query: string): SqliteStatement }

/** Prepared statements per connection; beyond this many texts the cache starts over (texts are few: numbers are bound). */
const STATEMENT_CACHE_SIZE = 1_000;
const statementCaches = new WeakMap<SqliteConnection, Map<string, SqliteStatement>>();

/**
 * The prepared better-sqlite3 statement for a query, kept for the connection's life. TypeORM's own path costs
 * 20–50 µs of JavaScript per statement (a query runner made and released, broadcaster events, an async statement
 * cache of 100), more than SQLite takes to run a lookup by key. Its SQLite driver holds a single connection, which
 * every EntityManager uses, in a transaction or not; so running on it directly is what TypeORM itself would do.
 */
function sqliteStatement(em: EntityManager, query: string): SqliteStatement {
  const connection = (em.connection.driver as unknown as { databaseConnection: SqliteConnection }).databaseConnection;
  let cache = statementCaches.get(connection);
  if (!cache) statementCaches.set(connection, (cache = new Map()));
  let statement = cache.get(query);
  if (!statement) {
    if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
    try {
      statement = connection.prepare(query);
    } catch (err) {
      throw new QueryFailedError(query, [], err as Error);
    }
    cache.set(query, statement);
  }
  return statement;
}

/** A query text split at its named parameters, so that each call only binds values. */
interface CompiledQuery { pieces: string[]; names: { key: string; spread: boolean }[] }
const compiledQueries = new Map<string, CompiledQuery>();
const PARAMETER = /:(\.\.\.)?([A-Za-z0-9_]+)/g;

function compile(text: string): CompiledQuery {
  let compiled = compiledQueries.get(text);
  if (compiled) return compiled;
  const pieces: string[] = [];
  const names: CompiledQuery["names"] = [];
  let last = 0;
  for (const match of text.matchAll(PARAMETER)) {
    pieces.push(text.slice(last, match.index));
    names.push({ key: match[2], spread: Boolean(match[1]) });
    last = match.index + match[0].length;
  }
  pieces.push(text.slice(last));
  compiled = { pieces, names };
  // Texts are written in the code or compiled from a bounded grammar; the bound only guards against a leak.
  if (compiledQueries.size >= STATEMENT_CACHE_SIZE) compiledQueries.clear();
  compiledQueries.set(text, compiled);
  return compiled;
}

/**
 * Named parameters → the driver's positional ones (`$n` or `?`), booleans as 1/0 on SQLite. Not TypeORM's
 * escapeQueryWithParameters: on SQLite it writes numbers into the SQL text, so every LIMIT, OFFSET or version makes
 * a new statement to prepare and evicts a cached one. A `:name` with no such parameter stays as written (a `::cast`
 * or a time like 12:00 in a literal).
 */
export function positional(dialect: "sqlite" | "postgres", text: string, params: Record<string, unknown>): { query: string; values: unknown[] } {
  const postgres = dialect === "postgres";
  const { pieces, names } = compile(text);
  const values: unknown[] = [];
  const bind = (v: unknown) => {
    values.push(!postgres && typeof v === "boolean" ? Number(v) : v);
    return postgres ? `$${values.length}` : "?";
  };
  let query = pieces[0];
  names.forEach(({ key, spread }, i) => {
    const placeholder = !Object.prototype.hasOwnProperty.call(params, key) ? `:${spread ? "..." : ""}${key}`
      : spread ? (params[key] as unknown[]).map(bind).join(", ") : bind(params[key]);
    query += placeholder + pieces[i + 1];
  });
  return { query, values };
}

/**
 * A correlated subquery that gathers rows into one JSON array of arrays (`columns` in order, rows in `orderBy` when
 * the order matters), so that a resource and its child rows come back in one statement. On an SQLite file each
 * statement outside a transaction takes and releases the WAL read locks (about 11 µs here), more than a lookup by
 * key costs.
 */
export function jsonRows(em: EntityManager, columns: string[], from: string, orderBy?: string): string {
  const order = orderBy ? ` ORDER BY ${orderBy}` : "";
  return em.connection.driver.options.type === "postgres"
    ? `(SELECT COALESCE(json_agg(json_build_array(${columns.join(", ")})${order}), '[]'::json) FROM ${from})`
    : `(SELECT json_group_array(json_array(${columns.join(", ")})${order}) FROM ${from})`;
}

/**
 * `column` for a condition SQLite is to check on the rows it reads rather than seek with an index (a unary plus;
 * PostgreSQL, which keeps statistics, gets the column as is). For `organization_id = ? AND id IN (…100 ids)`:
 * without statistics (the app never runs ANALYZE) SQLite guesses an equality on an index's first column finds about
 * ten rows, takes the organization's index over 100 primary-key lookups, and reads every row of the organization:
 * 21 ms a statement at 100,000 users, twice in each member PATCH of an initial sync.
 */
export const checkedOnRows = (em: EntityManager, column: string): string =>
  (em.connection.driver.options.type === "postgres" ? column : `+${column}`);

/** A jsonRows column as read: SQLite returns its text, pg parses json itself. */
export const parsedRows = (value: unknown): unknown[][] => (typeof value === "string" ? JSON.parse(value) : (value as unknown[][]) ?? []);

/** Splits long id lists so that no statement exceeds a driver's bound-parameter limit. */
export function chunks<T>(items: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Reads a row's version and, on PostgreSQL, locks the row until the transaction ends, so that two replicas
 * patching one resource take turns instead of overwriting each other. SQLite transactions are already serialised.
 */
export async function lockVersion(em: EntityManager, table: "users" | "groups", organizationId: string, id: string): Promise<number | null> {
  const forUpdate = em.connection.driver.options.type === "postgres" ? " FOR UPDATE" : "";
  const rows = await sql<{ version: number }>(em,
    `SELECT version FROM ${table} WHERE id = :id AND organization_id = :organizationId${forUpdate}`, { id, organizationId });
  return rows.length ? Number(rows[0].version) : null;
}

const selectLists = new Map<unknown, string>();

/** `"column" AS "property"` for every column of an entity, so that rows from sql() have the entity's shape. */
export function selectColumns(em: EntityManager, entity: EntityTarget<ObjectLiteral>): string {
  let list = selectLists.get(entity);
  if (!list) {
    list = em.connection.getMetadata(entity).columns.map((c) => `"${c.databaseName}" AS "${c.propertyName}"`).join(", ");
    selectLists.set(entity, list);
  }
  return list;
}

/** INSERT of one row given by the entity's property names: TypeORM's insert() costs more than SQLite takes to run it. */
export async function insertRow(em: EntityManager, entity: EntityTarget<ObjectLiteral>, row: Record<string, unknown>): Promise<void> {
  const metadata = em.connection.getMetadata(entity);
  const columns = metadata.columns.filter((c) => row[c.propertyName] !== undefined);
  await sql(em, `INSERT INTO "${metadata.tableName}" (${columns.map((c) => `"${c.databaseName}"`).join(", ")})
    VALUES (${columns.map((c) => `:${c.propertyName}`).join(", ")})`, row);
}

/**
 * Inserts many rows of one table with multi-row INSERTs (a few hundred rows a statement, within both drivers'
 * bound-parameter limits): one round trip per chunk instead of one per row. `ignoreConflicts` skips rows that
 * already exist.
 */
export async function insertRows(
  em: EntityManager, table: string, columns: string[], rows: unknown[][], options: { ignoreConflicts?: boolean } = {},
): Promise<void> {
  const perStatement = Math.max(1, Math.floor(2000 / columns.length));
  for (const chunk of chunks(rows, perStatement)) {
    const params: Record<string, unknown> = {};
    const tuples = chunk.map((row, r) => `(${row.map((value, c) => { params[`v${r}_${c}`] = value; return `:v${r}_${c}`; }).join(", ")})`);
    await sql(em, `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}${options.ignoreConflicts ? " ON CONFLICT DO NOTHING" : ""}`, params);
  }
}
