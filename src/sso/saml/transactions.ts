import { createHash, randomBytes } from "node:crypto";
import type { CacheProvider } from "@node-saml/node-saml";
import type { Database } from "../../db/database.js";
import { sql } from "../../db/sql.js";

/**
 * What the SAML door keeps in `sso_transactions`, shared by every replica: the ids of AuthnRequests we sent (so a
 * response's InResponseTo is ours and used once), responses posted to the ACS until the browser comes back with
 * its cookie, and the ids of assertions already accepted (replay). Every entry is single-use and expires.
 */

/** How long an AuthnRequest may take to come back: the IdP's login page, MFA, a password reset. */
export const REQUEST_TTL_MS = 10 * 60_000;
/** A posted response waits only for the browser to follow our 303. */
const POSTED_TTL_MS = 2 * 60_000;
const PURGE_EVERY_MS = 60_000;

/**
 * Stores `data` under `key` unless an unexpired entry holds the key already; true when stored. An expired entry
 * the purge has not reached yet is overwritten.
 */
async function putOnce(db: Database, key: string, connectionId: string, data: string, expiresAt: Date): Promise<boolean> {
  purgeExpired(db);
  const now = new Date().toISOString();
  const rows = await db.transaction((em) => sql(em, `INSERT INTO sso_transactions ("key", connection_id, data, expires_at)
    VALUES (:key, :connectionId, :data, :expiresAt)
    ON CONFLICT ("key") DO UPDATE SET connection_id = excluded.connection_id, data = excluded.data, expires_at = excluded.expires_at
    WHERE sso_transactions.expires_at < :now RETURNING "key"`, { key, connectionId, data, expiresAt: expiresAt.toISOString(), now }));
  return rows.length === 1;
}

/**
 * Reads and deletes an entry in one transaction (null when there is none or it has expired): of two replicas taking
 * the same key, only one gets it.
 */
async function take(db: Database, key: string): Promise<{ connectionId: string | null; data: string } | null> {
  return db.transaction(async (em) => {
    const forUpdate = em.connection.driver.options.type === "postgres" ? " FOR UPDATE" : "";
    const rows = await sql<{ connection_id: string | null; data: string; expires_at: string }>(em,
      `SELECT connection_id, data, expires_at FROM sso_transactions WHERE "key" = :key${forUpdate}`, { key });
    if (!rows.length) return null;
    await sql(em, `DELETE FROM sso_transactions WHERE "key" = :key`, { key });
    return rows[0].expires_at > new Date().toISOString() ? { connectionId: rows[0].connection_id, data: rows[0].data } : null;
  });
}

const lastPurge = new WeakMap<Database, number>();

/** Deletes expired entries, at most once a minute per process, without holding up the caller. */
function purgeExpired(db: Database): void {
  const now = Date.now();
  if (now - (lastPurge.get(db) ?? 0) < PURGE_EVERY_MS) return;
  lastPurge.set(db, now);
  void db.transaction((em) => sql(em, "DELETE FROM sso_transactions WHERE expires_at < :now", { now: new Date(now).toISOString() }))
    .catch(() => undefined);
}

/**
 * node-saml's cache of AuthnRequest ids, in the database and scoped to one connection. node-saml reads an id twice
 * while validating one response (for the Response and for its SubjectConfirmationData) and removes it only at the
 * end, so two replicas given the same response could both accept it: here the first read takes the entry, and the
 * second read of the same validation is answered from memory. Make one per validation.
 */
export function requestIdCache(db: Database, connectionId: string): CacheProvider {
  const key = (id: string) => `saml:request:${connectionId}:${id}`;
  const taken = new Map<string, string | null>();
  return {
    async saveAsync(id, value) {
      await putOnce(db, key(id), connectionId, value, new Date(Date.now() + REQUEST_TTL_MS));
      return { value, createdAt: Date.now() };
    },
    async getAsync(id) {
      if (!taken.has(id)) taken.set(id, (await take(db, key(id)))?.data ?? null);
      return taken.get(id) ?? null;
    },
    async removeAsync(id) {
      if (id !== null && !taken.has(id)) await take(db, key(id));
      return id;
    },
  };
}

/** What the IdP posted to the ACS, kept until the browser follows the 303 to `complete` with its session cookie. */
export interface PostedResponse {
  samlResponse: string;
  relayState: string | null;
  /** The Response's InResponseTo as posted (unsigned; checked against the session and by node-saml). */
  inResponseTo: string | null;
  /** The SP key that decrypted its EncryptedAssertion at the ACS, if it came encrypted. */
  decryptionKeyId?: string | null;
}

/** Stores a posted response and returns the random single-use key that `takePostedResponse` needs. */
export async function stashPostedResponse(db: Database, connectionId: string, posted: PostedResponse): Promise<string> {
  const handle = randomBytes(32).toString("base64url");
  await putOnce(db, `saml:posted:${handle}`, connectionId, JSON.stringify(posted), new Date(Date.now() + POSTED_TTL_MS));
  return handle;
}

/** The posted response under `handle` if it was posted to this connection and has not been taken or expired. */
export async function takePostedResponse(db: Database, connectionId: string, handle: string): Promise<PostedResponse | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(handle)) return null;
  const entry = await take(db, `saml:posted:${handle}`);
  return entry && entry.connectionId === connectionId ? JSON.parse(entry.data) as PostedResponse : null;
}

/**
 * Records an accepted assertion or IdP LogoutRequest until it expires; false when it was accepted before (a replay).
 * The id is hashed: IdPs choose its length, the key column does not.
 */
export function recordOnce(db: Database, connectionId: string, kind: "assertion" | "logout-request", id: string, expiresAt: Date): Promise<boolean> {
  const digest = createHash("sha256").update(id).digest("base64url");
  return putOnce(db, `saml:${kind}:${connectionId}:${digest}`, connectionId, "", expiresAt);
}

/** A LogoutRequest we sent, until its LogoutResponse comes back (from any replica, by a cross-site POST too). */
export interface PendingLogout {
  /** Where the person goes after the signed-out page. */
  returnTo: string;
}

export async function rememberLogout(db: Database, connectionId: string, requestId: string, pending: PendingLogout): Promise<void> {
  await putOnce(db, `saml:logout:${connectionId}:${requestId}`, connectionId, JSON.stringify(pending), new Date(Date.now() + REQUEST_TTL_MS));
}

/** The pending LogoutRequest a LogoutResponse answers, taken so that it is answered once; null when there is none. */
export async function takeLogout(db: Database, connectionId: string, requestId: string): Promise<PendingLogout | null> {
  if (requestId.length > 100) return null;
  const entry = await take(db, `saml:logout:${connectionId}:${requestId}`);
  return entry && entry.connectionId === connectionId ? JSON.parse(entry.data) as PendingLogout : null;
}
