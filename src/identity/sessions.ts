import { EntityManager } from "typeorm";
import { Session } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { sql } from "../db/sql.js";
import { publishEvents } from "./events/outbox.js";
import { endOpRecordsOfUser, purgeExpiredOpRecords } from "./op-records.js";
import { Actor } from "./records.js";
import { timestamp } from "./text.js";

/**
 * Browser sessions in the shared database, indexed by user so that deactivating or deleting a user ends every one of
 * its sessions in the same transaction (`endSessionsOfUser`). src/web-session.ts adapts these to express-session.
 */

/** Who a logged-in session belongs to. Anonymous sessions (an SSO login in progress) have none. */
export type SessionPrincipal =
  | { type: "user"; userId: string; organizationId: string }
  /** A built-in admin account; `organizationId` null for an instance operator. */
  | { type: "admin"; adminId: string; organizationId: string | null }
  /** A customer's IT admin who opened a self-serve setup link: that organization's SSO and SCIM setup only. */
  | { type: "setup"; linkId: string; organizationId: string };

export interface StoredSession {
  data: string;
  expiresAt: string;
}

/** The session, unless it has expired by `now`. */
export async function readSession(db: Database, sid: string, now: Date): Promise<StoredSession | null> {
  const [row] = await sql<{ data: string; expires_at: string }>(db.dataSource.manager,
    "SELECT data, expires_at FROM sessions WHERE sid = :sid", { sid });
  if (!row || row.expires_at <= timestamp(now)) return null;
  return { data: row.data, expiresAt: row.expires_at };
}

/**
 * Saves a session. An anonymous one is inserted or replaced. A logged-in one is only ever updated here: its row is
 * created by `openSession` at login, so a request still in flight when its user is deactivated cannot write the
 * deleted session back.
 */
export async function saveSession(db: Database, sid: string, data: string, expiresAt: Date, principal: SessionPrincipal | null): Promise<void> {
  const em = db.dataSource.manager;
  const params = { sid, data, expiresAt: timestamp(expiresAt), now: timestamp() };
  if (principal) {
    await sql(em, "UPDATE sessions SET data = :data, expires_at = :expiresAt WHERE sid = :sid", params);
    return;
  }
  await sql(em, `INSERT INTO sessions (sid, organization_id, user_id, principal_type, expires_at, created_at, data)
    VALUES (:sid, NULL, NULL, NULL, :expiresAt, :now, :data)
    ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`, params);
}

/** Creates the row of a session that has just logged in (its id was regenerated, so it is new). */
export async function openSession(db: Database, sid: string, data: string, expiresAt: Date, principal: SessionPrincipal): Promise<void> {
  const userId = principal.type === "user" ? principal.userId : principal.type === "admin" ? principal.adminId : principal.linkId;
  await sql(db.dataSource.manager, `INSERT INTO sessions (sid, organization_id, user_id, principal_type, expires_at, created_at, data)
    VALUES (:sid, :organizationId, :userId, :type, :expiresAt, :now, :data)`,
  { sid, organizationId: principal.organizationId, userId, type: principal.type, expiresAt: timestamp(expiresAt), now: timestamp(), data });
}

export async function touchSession(db: Database, sid: string, expiresAt: Date): Promise<void> {
  await sql(db.dataSource.manager, "UPDATE sessions SET expires_at = :expiresAt WHERE sid = :sid", { sid, expiresAt: timestamp(expiresAt) });
}

export async function destroySession(db: Database, sid: string): Promise<void> {
  await sql(db.dataSource.manager, "DELETE FROM sessions WHERE sid = :sid", { sid });
}

/**
 * Ends every session of a user, in the caller's transaction (deactivation, deletion): its browser sessions and its
 * sessions, codes and tokens at apps that sign in through Rollcall's OpenID Provider. Publishes `session.ended` when
 * there were any: apps that hold sessions of their own (OIDC back-channel logout) end theirs.
 */
export async function endSessionsOfUser(em: EntityManager, organizationId: string, userId: string, actor: Actor, reason: string): Promise<number> {
  const atApps = await endOpRecordsOfUser(em, userId);
  const ended = (await em.delete(Session, { organizationId, userId, principalType: "user" })).affected ?? 0;
  if (ended > 0 || atApps > 0) {
    await publishEvents(em, [{ organizationId, type: "session.ended", actor, subjectId: userId, data: { user: { id: userId }, sessionsEnded: ended, reason } }]);
  }
  return ended;
}

export async function purgeExpiredSessions(db: Database): Promise<number> {
  const purged = await db.dataSource.manager.createQueryBuilder().delete().from(Session)
    .where("expires_at <= :now", { now: timestamp() }).execute();
  await sql(db.dataSource.manager, "DELETE FROM sso_transactions WHERE expires_at <= :now", { now: timestamp() });
  await purgeExpiredOpRecords(db.dataSource.manager);
  return purged.affected ?? 0;
}

/** Logged-in, unexpired sessions (the `active_sessions` metric). */
export async function countActiveSessions(db: Database): Promise<number> {
  const [row] = await sql<{ n: number | string }>(db.dataSource.manager,
    "SELECT COUNT(*) AS n FROM sessions WHERE principal_type IS NOT NULL AND expires_at > :now", { now: timestamp() });
  return Number(row.n);
}
