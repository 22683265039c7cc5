import { randomUUID } from "node:crypto";
import { EntityManager } from "typeorm";
import { OpClient } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { sql } from "../db/sql.js";
import { LifecycleEvent } from "./events/outbox.js";
import { timestamp } from "./text.js";

/**
 * OIDC Back-Channel Logout owed to apps: when a user's sessions end (deactivation, deletion, sessions ended), every
 * app with a `backchannel_logout_uri` that is open to the user's organization is owed a logout token. Rows are
 * written from the lifecycle outbox (src/apps/op/backchannel-logout.ts consumes it) and sent by a worker in every
 * replica, each row claimed by one replica at a time, retried with backoff until delivered or given up.
 */

export const LOGOUT_EVENT_TYPES = ["user.deactivated", "user.deleted", "session.ended"] as const;

/** Backoff after the n-th failed attempt: 10 s doubling to an hour; given up after MAX_ATTEMPTS (about 8 hours). */
export const retryDelayMs = (attempts: number) => Math.min(10_000 * 2 ** (attempts - 1), 3_600_000);
export const MAX_ATTEMPTS = 15;
/** How long a claimed row is left to the replica sending it before another may try (a replica that died). */
const CLAIM_LEASE_MS = 60_000;

export interface LogoutDelivery {
  id: string;
  clientId: string;
  userId: string;
  organizationId: string;
  attempts: number;
  backchannelLogoutUri: string;
}

/**
 * Rows for these events, in the outbox consumer's transaction. A deactivation publishes both `user.deactivated` and
 * `session.ended`: one token per app and user of a batch.
 */
export async function enqueueLogouts(em: EntityManager, events: LifecycleEvent[], now = new Date()): Promise<number> {
  const clients = (await em.find(OpClient)).filter((c) => c.backchannelLogoutUri);
  const owed = new Map<string, { clientId: string; userId: string; organizationId: string; eventId: string }>();
  for (const event of events) {
    if (!event.organizationId || !event.subjectId) continue;
    for (const client of clients) {
      const organizations = client.organizationIds ? (JSON.parse(client.organizationIds) as string[]) : null;
      if (organizations && !organizations.includes(event.organizationId)) continue;
      owed.set(`${client.id} ${event.subjectId}`, { clientId: client.id, userId: event.subjectId, organizationId: event.organizationId, eventId: event.id });
    }
  }
  for (const row of owed.values()) {
    await sql(em, `INSERT INTO op_logout_deliveries (id, client_id, user_id, organization_id, event_id, attempts, next_attempt_at, created_at)
      VALUES (:id, :clientId, :userId, :organizationId, :eventId, 0, :now, :now) ON CONFLICT (event_id, client_id) DO NOTHING`,
    { id: randomUUID(), ...row, now: timestamp(now) });
  }
  return owed.size;
}

/** Claims up to `limit` due rows for this replica (PostgreSQL: rows another replica holds are skipped). */
export async function claimDueLogouts(db: Database, now: Date, limit = 20): Promise<LogoutDelivery[]> {
  return db.transaction(async (em) => {
    const lock = db.dialect === "postgres" ? " FOR UPDATE OF d SKIP LOCKED" : "";
    const rows = await sql<{ id: string; client_id: string; user_id: string; organization_id: string; attempts: number; uri: string | null }>(em,
      `SELECT d.id, d.client_id, d.user_id, d.organization_id, d.attempts, c.backchannel_logout_uri AS uri
       FROM op_logout_deliveries d LEFT JOIN op_clients c ON c.id = d.client_id
       WHERE d.delivered_at IS NULL AND d.given_up_at IS NULL AND d.next_attempt_at <= :now
       ORDER BY d.next_attempt_at LIMIT :limit${lock}`, { now: timestamp(now), limit });
    if (rows.length === 0) return [];
    await sql(em, "UPDATE op_logout_deliveries SET next_attempt_at = :lease WHERE id IN (:...ids)",
      { lease: timestamp(new Date(now.getTime() + CLAIM_LEASE_MS)), ids: rows.map((r) => r.id) });
    return rows.map((r) => ({
      id: r.id, clientId: r.client_id, userId: r.user_id, organizationId: r.organization_id, attempts: Number(r.attempts),
      backchannelLogoutUri: r.uri ?? "",
    }));
  });
}

export async function recordLogoutDelivered(db: Database, id: string, now: Date): Promise<void> {
  await sql(db.dataSource.manager, "UPDATE op_logout_deliveries SET delivered_at = :now, attempts = attempts + 1, last_error = NULL WHERE id = :id", { id, now: timestamp(now) });
}

/** A failed attempt: retried after the backoff, or given up (an app that was removed or lost its URI at once). */
export async function recordLogoutFailed(db: Database, delivery: LogoutDelivery, error: string, now: Date, giveUp = false): Promise<void> {
  const attempts = delivery.attempts + 1;
  const over = giveUp || attempts >= MAX_ATTEMPTS;
  await sql(db.dataSource.manager, `UPDATE op_logout_deliveries SET attempts = :attempts, last_error = :error,
    next_attempt_at = :next, given_up_at = :givenUp WHERE id = :id`, {
    id: delivery.id, attempts, error: error.slice(0, 500), next: timestamp(new Date(now.getTime() + retryDelayMs(attempts))),
    givenUp: over ? timestamp(now) : null,
  });
}
