import { EntityManager } from "typeorm";
import { OpRecord } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { sql } from "../db/sql.js";
import { timestamp } from "./text.js";

/**
 * oidc-provider's records (sessions, interactions, authorization codes, tokens, grants) in the shared database, so
 * that any replica can carry on a flow another one started. src/apps/op/adapter.ts adapts these to its Adapter interface.
 * A record past its expiry is never returned; `purgeExpiredSessions` deletes such rows.
 */

export type OpPayload = Record<string, unknown> & { grantId?: string; uid?: string; accountId?: string; consumed?: number };

export async function saveOpRecord(db: Database, model: string, id: string, payload: OpPayload, expiresInSeconds: number | undefined): Promise<void> {
  const expiresAt = expiresInSeconds ? timestamp(new Date(Date.now() + expiresInSeconds * 1000)) : null;
  await sql(db.dataSource.manager, `INSERT INTO op_records (model, id, payload, grant_id, uid, account_id, expires_at, consumed_at)
    VALUES (:model, :id, :payload, :grantId, :uid, :accountId, :expiresAt, NULL)
    ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
      account_id = excluded.account_id, expires_at = excluded.expires_at`, {
    model, id, payload: JSON.stringify(payload), grantId: payload.grantId ?? null, uid: payload.uid ?? null,
    // Sessions name their account in `accountId` too; an id longer than a user id is not one of ours.
    accountId: typeof payload.accountId === "string" && payload.accountId.length <= 36 ? payload.accountId : null, expiresAt,
  });
}

async function findBy(db: Database, model: string, column: "id" | "uid", value: string): Promise<OpPayload | undefined> {
  const [row] = await sql<{ payload: string; expires_at: string | null; consumed_at: string | null }>(db.dataSource.manager,
    `SELECT payload, expires_at, consumed_at FROM op_records WHERE model = :model AND ${column} = :value`, { model, value });
  if (!row || (row.expires_at !== null && row.expires_at <= timestamp())) return undefined;
  const payload = JSON.parse(row.payload) as OpPayload;
  return row.consumed_at ? { ...payload, consumed: Math.floor(Date.parse(row.consumed_at) / 1000) } : payload;
}

export const findOpRecord = (db: Database, model: string, id: string) => findBy(db, model, "id", id);
export const findOpRecordByUid = (db: Database, model: string, uid: string) => findBy(db, model, "uid", uid);

export async function consumeOpRecord(db: Database, model: string, id: string): Promise<void> {
  await sql(db.dataSource.manager, "UPDATE op_records SET consumed_at = :now WHERE model = :model AND id = :id", { model, id, now: timestamp() });
}

export async function destroyOpRecord(db: Database, model: string, id: string): Promise<void> {
  await sql(db.dataSource.manager, "DELETE FROM op_records WHERE model = :model AND id = :id", { model, id });
}

/** Every record of a grant (its codes and tokens), whichever model asked. */
export async function destroyOpRecordsOfGrant(db: Database, grantId: string): Promise<void> {
  await sql(db.dataSource.manager, "DELETE FROM op_records WHERE grant_id = :grantId", { grantId });
}

/**
 * Every OP session, grant, code and token of a user, in the caller's transaction (deactivation, deletion, sessions
 * ended by an admin): apps' refresh tokens, userinfo and introspection refuse the user from that commit on.
 */
export async function endOpRecordsOfUser(em: EntityManager, userId: string): Promise<number> {
  return (await em.delete(OpRecord, { accountId: userId })).affected ?? 0;
}

export async function purgeExpiredOpRecords(em: EntityManager): Promise<void> {
  await sql(em, "DELETE FROM op_records WHERE expires_at <= :now", { now: timestamp() });
}
