import { randomInt } from "node:crypto";
import { EntityManager } from "typeorm";
import { sql } from "../db/sql.js";

/**
 * Users and groups per organization (entities/ResourceCount.ts), changed in the same transaction as the create or
 * delete, so an unfiltered list's totalResults is exact and costs a lookup instead of a COUNT(*) of the
 * organization's rows (7 ms a page at 100,000 users). SQLite runs one writer at a time, so one row per count; on
 * PostgreSQL creates in one organization run side by side, so each adds to one of SHARDS rows picked at random and
 * holds that row's lock only from this statement to its COMMIT.
 */
export type CountedResource = "users" | "groups";

const SHARDS = 16;
/**
 * One shard per transaction (its EntityManager): two transactions that each created several users could otherwise
 * take the same shard rows in opposite orders and deadlock.
 */
const shardOfTransaction = new WeakMap<EntityManager, number>();

export async function countChange(em: EntityManager, organizationId: string, resource: CountedResource, delta: 1 | -1): Promise<void> {
  let shard = 0;
  if (em.connection.driver.options.type === "postgres") {
    shard = shardOfTransaction.get(em) ?? randomInt(SHARDS);
    shardOfTransaction.set(em, shard);
  }
  await sql(em, `INSERT INTO resource_counts (organization_id, resource, shard, n) VALUES (:organizationId, :resource, :shard, :delta)
    ON CONFLICT (organization_id, resource, shard) DO UPDATE SET n = resource_counts.n + excluded.n`,
  { organizationId, resource, shard, delta });
}

export async function resourceTotal(em: EntityManager, organizationId: string, resource: CountedResource): Promise<number> {
  const [row] = await sql<{ n: number | string | null }>(em,
    "SELECT SUM(n) AS n FROM resource_counts WHERE organization_id = :organizationId AND resource = :resource", { organizationId, resource });
  return Number(row?.n ?? 0);
}

/** Counts again from the rows: after a bulk load that wrote users or groups straight into their tables (bench/seed.ts). */
export async function recountResources(em: EntityManager, organizationId: string): Promise<void> {
  await sql(em, "DELETE FROM resource_counts WHERE organization_id = :organizationId", { organizationId });
  for (const resource of ["users", "groups"] as const) {
    await sql(em, `INSERT INTO resource_counts (organization_id, resource, shard, n)
      SELECT :organizationId, '${resource}', 0, COUNT(*) FROM ${resource} WHERE organization_id = :organizationId`, { organizationId });
  }
}
