import { EntityManager } from "typeorm";

/**
 * Runs hand-written SQL with TypeORM's named parameters (`:name`, `(:...list)`) on either database. Used where the
 * query builder cannot express what we need: compiled SCIM filters, ORDER BY expressions, upserts in bulk.
 */
export async function sql<T = Record<string, unknown>>(em: EntityManager, text: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const [query, values] = em.connection.driver.escapeQueryWithParameters(text, params, {});
  return em.query(query, values);
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
