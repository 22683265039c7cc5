import { EntityManager, EntityTarget, ObjectLiteral } from "typeorm";

/**
 * Runs hand-written SQL with TypeORM's named parameters (`:name`, `(:...list)`) on either database. Used where the
 * query builder cannot express what we need: compiled SCIM filters, ORDER BY expressions, upserts in bulk.
 */
export async function sql<T = Record<string, unknown>>(em: EntityManager, text: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const { query, values } = positional(em.connection.driver.options.type === "postgres" ? "postgres" : "sqlite", text, params);
  return em.query(query, values);
}

/**
 * Named parameters → the driver's positional ones (`$n` or `?`), booleans as 1/0 on SQLite. Not TypeORM's
 * escapeQueryWithParameters: on SQLite it writes numbers into the SQL text, so every LIMIT, OFFSET or version makes
 * a new statement to prepare and evicts a cached one.
 */
export function positional(dialect: "sqlite" | "postgres", text: string, params: Record<string, unknown>): { query: string; values: unknown[] } {
  const postgres = dialect === "postgres";
  const values: unknown[] = [];
  const bind = (v: unknown) => {
    values.push(!postgres && typeof v === "boolean" ? Number(v) : v);
    return postgres ? `$${values.length}` : "?";
  };
  const query = text.replace(/:(\.\.\.)?([A-Za-z0-9_]+)/g, (full, spread: string | undefined, key: string) => {
    if (!Object.prototype.hasOwnProperty.call(params, key)) return full;
    return spread ? (params[key] as unknown[]).map(bind).join(", ") : bind(params[key]);
  });
  return { query, values };
}

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
