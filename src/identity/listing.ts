import { EntityManager } from "typeorm";
import { sql } from "../db/sql.js";

/** A page request in storage terms; the SCIM door compiles filters and sortBy into it. */
export interface ListQuery {
  /** Parameterised SQL condition over the resource alias (`u` or `g`). */
  condition?: { sql: string; params: Record<string, unknown> };
  sort?: { sql: string; descending: boolean };
  offset: number;
  limit: number;
}

/**
 * Counts the matches and fetches one page of ids in a stable order: sort key with missing values last (first when
 * descending, RFC 7644 §3.4.2.3), then creation time and id, so pages neither repeat nor skip rows.
 */
export async function pageOfIds(
  em: EntityManager,
  table: { from: string; alias: string },
  organizationId: string,
  query: ListQuery,
): Promise<{ total: number; ids: string[] }> {
  const a = table.alias;
  const where = `${a}.organization_id = :organizationId${query.condition ? ` AND (${query.condition.sql})` : ""}`;
  const params = { ...query.condition?.params, organizationId };
  const [{ n }] = await sql<{ n: number | string }>(em, `SELECT COUNT(*) AS n FROM ${table.from} WHERE ${where}`, params);
  const total = Number(n);
  if (query.limit === 0 || query.offset >= total) return { total, ids: [] };
  const order = query.sort
    ? `(${query.sort.sql}) IS NULL ${query.sort.descending ? "DESC" : "ASC"}, ${query.sort.sql} ${query.sort.descending ? "DESC" : "ASC"}, `
    : "";
  const rows = await sql<{ id: string }>(em,
    `SELECT ${a}.id AS id FROM ${table.from} WHERE ${where} ORDER BY ${order}${a}.created_at ASC, ${a}.id ASC LIMIT :limit OFFSET :offset`,
    { ...params, limit: query.limit, offset: query.offset });
  return { total, ids: rows.map((r) => r.id) };
}

/** Puts loaded rows back in the order the page query returned their ids. */
export function inOrder<T extends { id: string }>(ids: string[], items: T[]): T[] {
  const byId = new Map(items.map((item) => [item.id, item]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
