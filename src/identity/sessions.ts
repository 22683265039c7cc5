import { createHash } from "node:crypto";
import { EntityManager } from "typeorm";
import { Session } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { sql } from "../db/sql.js";
import { recordAudit } from "./audit.js";
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

/**
 * The subject of the SAML login that opened a session, as its assertion named it: a LogoutRequest of ours repeats
 * it exactly (AD FS refuses one whose Format or SPNameQualifier differ), and one from the IdP names it.
 */
export interface SamlLogin {
  nameId: string;
  format: string | null;
  nameQualifier: string | null;
  spNameQualifier: string | null;
  sessionIndex: string | null;
}

/** Which SSO login opened a session: the connection, and for SAML the subject. */
export interface SessionOrigin {
  connectionId: string;
  saml: SamlLogin | null;
}

/** NameIDs have no length bound an index can take: sessions are found by this digest, then compared in full. */
const nameIdDigest = (nameId: string) => createHash("sha256").update(nameId).digest("base64url");

/** Creates the row of a session that has just logged in (its id was regenerated, so it is new). */
export async function openSession(
  db: Database, sid: string, data: string, expiresAt: Date, principal: SessionPrincipal, origin: SessionOrigin | null = null,
): Promise<void> {
  const userId = principal.type === "user" ? principal.userId : principal.type === "admin" ? principal.adminId : principal.linkId;
  await sql(db.dataSource.manager, `INSERT INTO sessions (sid, organization_id, user_id, principal_type, expires_at, created_at, data,
      connection_id, saml_name_id_digest, saml_login)
    VALUES (:sid, :organizationId, :userId, :type, :expiresAt, :now, :data, :connectionId, :digest, :samlLogin)`, {
    sid, organizationId: principal.organizationId, userId, type: principal.type, expiresAt: timestamp(expiresAt), now: timestamp(), data,
    connectionId: origin?.connectionId ?? null, digest: origin?.saml ? nameIdDigest(origin.saml.nameId) : null,
    samlLogin: origin?.saml ? JSON.stringify(origin.saml) : null,
  });
}

/** The organization and SSO origin of a logged-in session (null for a built-in login or an unknown session). */
export async function sessionOrigin(db: Database, sid: string): Promise<(SessionOrigin & { organizationId: string }) | null> {
  const [row] = await sql<{ organization_id: string; connection_id: string | null; saml_login: string | null }>(db.dataSource.manager,
    "SELECT organization_id, connection_id, saml_login FROM sessions WHERE sid = :sid", { sid });
  if (!row?.connection_id) return null;
  return { organizationId: row.organization_id, connectionId: row.connection_id, saml: row.saml_login ? JSON.parse(row.saml_login) as SamlLogin : null };
}

/**
 * SAML Single Logout from the IdP: ends the sessions of one connection of one organization whose login named this
 * NameID, and when the IdP names session indexes, only those logins. One audit event per user, in the same
 * transaction. Returns how many sessions ended (none is a valid answer: the user may have signed out already).
 */
export async function endSamlSessions(
  db: Database, organizationId: string, connectionId: string, subject: { nameId: string; sessionIndexes: string[] }, actor: Actor,
): Promise<number> {
  return db.transaction(async (em) => {
    const rows = await sql<{ sid: string; user_id: string; saml_login: string }>(em, `SELECT sid, user_id, saml_login FROM sessions
      WHERE organization_id = :organizationId AND connection_id = :connectionId AND saml_name_id_digest = :digest`,
    { organizationId, connectionId, digest: nameIdDigest(subject.nameId) });
    const ending = rows.filter((row) => {
      const login = JSON.parse(row.saml_login) as SamlLogin;
      return login.nameId === subject.nameId
        && (subject.sessionIndexes.length === 0 || (login.sessionIndex !== null && subject.sessionIndexes.includes(login.sessionIndex)));
    });
    if (!ending.length) return 0;
    await em.createQueryBuilder().delete().from(Session).where("sid IN (:...sids)", { sids: ending.map((r) => r.sid) }).execute();
    for (const userId of new Set(ending.map((r) => r.user_id))) {
      const sessionsEnded = ending.filter((r) => r.user_id === userId).length;
      await recordAudit(em, {
        organizationId, actor, action: "user.sessions_ended", targetType: "user", targetId: userId,
        summary: { by: "saml_single_logout", connectionId, sessions: sessionsEnded, sessionIndexes: subject.sessionIndexes },
      });
      // The IdP signed the person out everywhere: their tokens at apps signed in through Rollcall end too, and apps
      // that keep sessions of their own hear of it (back-channel logout).
      await endOpRecordsOfUser(em, userId);
      await publishSessionEnded(em, organizationId, userId, actor, sessionsEnded, "saml_single_logout");
    }
    return ending.length;
  });
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
  if (ended > 0 || atApps > 0) await publishSessionEnded(em, organizationId, userId, actor, ended, reason);
  return ended;
}

/** `session.ended`: ended sessions are no audited change of their own, so the event is published beside the audit. */
function publishSessionEnded(em: EntityManager, organizationId: string, userId: string, actor: Actor, sessionsEnded: number, reason: string) {
  return publishEvents(em, [{ organizationId, type: "session.ended", actor, subjectId: userId, data: { user: { id: userId }, sessionsEnded, reason } }]);
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
