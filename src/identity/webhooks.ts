import { randomBytes, randomUUID } from "node:crypto";
import { EntityManager } from "typeorm";
import { WebhookDelivery, WebhookEndpoint } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { insertRows, selectColumns, sql } from "../db/sql.js";
import { assertPublicUrl } from "../sso/outbound.js";
import { recordAudit } from "./audit.js";
import { eventTypes, isEventType } from "./events/catalog.js";
import { LifecycleEvent } from "./events/outbox.js";
import { invalid, notFound } from "./errors.js";
import { Actor } from "./records.js";
import { decryptSecret, encryptSecret } from "./secrets.js";
import { timestamp, unstorableText } from "./text.js";

/**
 * Webhook endpoints and their delivery log. An endpoint belongs to an organization, or (organizationId null) to the
 * instance: an operator's, receiving every organization's events. The sending is src/apps/webhooks/worker.ts; this module
 * keeps the rows: fan-out of events into deliveries, the lease a worker takes on a delivery, the outcome it records.
 */

export interface WebhookEndpointInfo {
  id: string;
  organizationId: string | null;
  url: string;
  description: string | null;
  /** Empty: every event type. */
  eventTypes: string[];
  enabled: boolean;
  disabledReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookEndpointInput {
  url: string;
  description?: string | null;
  eventTypes?: string[];
}

/** The scope of an admin's webhook calls: an organization's endpoints, or (null) the instance-wide ones. */
type Scope = string | null;

const purpose = (endpointId: string) => `webhook secret ${endpointId}`;
const info = ({ secret: _secret, eventTypes: types, enabled, ...row }: WebhookEndpoint): WebhookEndpointInfo =>
  ({ ...row, enabled: Boolean(enabled), eventTypes: JSON.parse(types) as string[] });

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
const newWebhookSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

async function checkInput(input: Partial<WebhookEndpointInput>, allowPrivateUrls: boolean) {
  if (input.url !== undefined) {
    const problem = unstorableText(input.url, 2048);
    if (problem) throw invalid(`url ${problem}`);
    try {
      await assertPublicUrl(input.url, allowPrivateUrls);
    } catch (err) {
      throw invalid(`the webhook URL cannot be used: ${(err as Error).message}`);
    }
  }
  const unknown = (input.eventTypes ?? []).filter((t) => !isEventType(t));
  if (unknown.length) throw invalid(`unknown event type ${unknown.join(", ")}; known: ${eventTypes.join(", ")}`);
}

async function endpointRow(em: EntityManager, scope: Scope, id: string): Promise<WebhookEndpoint> {
  const row = await em.findOneBy(WebhookEndpoint, { id });
  if (!row || row.organizationId !== scope) throw notFound("Webhook endpoint", id);
  return row;
}

/** Creates an endpoint (enabled) and returns its signing secret: the only time it is shown. */
export async function createWebhookEndpoint(
  db: Database, key: Buffer, scope: Scope, input: WebhookEndpointInput, actor: Actor, options: { allowPrivateUrls: boolean },
): Promise<{ endpoint: WebhookEndpointInfo; secret: string }> {
  await checkInput(input, options.allowPrivateUrls);
  const id = randomUUID();
  const secret = newWebhookSecret();
  const now = timestamp();
  const row: WebhookEndpoint = {
    id, organizationId: scope, url: input.url, description: input.description ?? null, eventTypes: JSON.stringify(input.eventTypes ?? []),
    secret: encryptSecret(key, purpose(id), secret), enabled: true, disabledReason: null, createdAt: now, updatedAt: now,
  };
  await db.transaction(async (em) => {
    await em.insert(WebhookEndpoint, row);
    await recordAudit(em, {
      organizationId: scope, actor, action: "webhook_endpoint.created", targetType: "webhook_endpoint", targetId: id,
      summary: { url: input.url, eventTypes: input.eventTypes ?? [] },
    });
  });
  return { endpoint: info(row), secret };
}

export async function listWebhookEndpoints(db: Database, scope: Scope): Promise<WebhookEndpointInfo[]> {
  const rows = await db.dataSource.getRepository(WebhookEndpoint).find({ where: { organizationId: scope ?? undefined }, order: { createdAt: "ASC" } });
  return rows.filter((r) => r.organizationId === scope).map(info);
}

export async function getWebhookEndpoint(db: Database, scope: Scope, id: string): Promise<WebhookEndpointInfo> {
  return info(await endpointRow(db.dataSource.manager, scope, id));
}

/** Changes an endpoint; enabling one clears why it was disabled, and its pending deliveries go out again. */
export async function updateWebhookEndpoint(
  db: Database, scope: Scope, id: string, change: Partial<WebhookEndpointInput> & { enabled?: boolean }, actor: Actor,
  options: { allowPrivateUrls: boolean },
): Promise<WebhookEndpointInfo> {
  await checkInput(change, options.allowPrivateUrls);
  return db.transaction(async (em) => {
    const row = await endpointRow(em, scope, id);
    const next: WebhookEndpoint = {
      ...row,
      url: change.url ?? row.url,
      description: change.description !== undefined ? change.description : row.description,
      eventTypes: change.eventTypes ? JSON.stringify(change.eventTypes) : row.eventTypes,
      enabled: change.enabled ?? Boolean(row.enabled),
      disabledReason: change.enabled === undefined ? row.disabledReason : change.enabled ? null : "disabled by an admin",
      updatedAt: timestamp(),
    };
    await em.update(WebhookEndpoint, { id }, next);
    await recordAudit(em, {
      organizationId: scope, actor, action: "webhook_endpoint.updated", targetType: "webhook_endpoint", targetId: id,
      summary: { changed: Object.keys(change).filter((k) => change[k as keyof typeof change] !== undefined) },
    });
    return info(next);
  });
}

export async function deleteWebhookEndpoint(db: Database, scope: Scope, id: string, actor: Actor): Promise<void> {
  await db.transaction(async (em) => {
    const row = await endpointRow(em, scope, id);
    await em.delete(WebhookEndpoint, { id });
    await recordAudit(em, {
      organizationId: scope, actor, action: "webhook_endpoint.deleted", targetType: "webhook_endpoint", targetId: id, summary: { url: row.url },
    });
  });
}

export interface DeliveryInfo {
  id: number;
  eventId: string;
  eventType: string | null;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  responseStatus: number | null;
  lastError: string | null;
  createdAt: string;
}

/** An endpoint's deliveries, newest first (keyset paging back with `beforeId`). */
export async function listDeliveries(
  db: Database, scope: Scope, endpointId: string, query: { status?: string; beforeId?: number; limit: number },
): Promise<DeliveryInfo[]> {
  const em = db.dataSource.manager;
  await endpointRow(em, scope, endpointId);
  const rows = await sql<DeliveryInfo & { status: string }>(em,
    `SELECT d.id, d.event_id AS "eventId", e.type AS "eventType", d.status, d.attempts, d.next_attempt_at AS "nextAttemptAt",
       d.last_attempt_at AS "lastAttemptAt", d.response_status AS "responseStatus", d.last_error AS "lastError", d.created_at AS "createdAt"
     FROM webhook_deliveries d LEFT JOIN events e ON e.id = d.event_id
     WHERE d.endpoint_id = :endpointId${query.status ? " AND d.status = :status" : ""}${query.beforeId ? " AND d.id < :beforeId" : ""}
     ORDER BY d.id DESC LIMIT :limit`, { endpointId, status: query.status, beforeId: query.beforeId, limit: query.limit });
  return rows.map((r) => ({ ...r, id: Number(r.id), eventType: r.eventType ?? null, nextAttemptAt: r.status === "pending" ? r.nextAttemptAt : null }));
}

/** Queues the event of a delivery again, as a new delivery sent at once (a receiver lost it, or failed on it). */
export async function resendDelivery(db: Database, scope: Scope, endpointId: string, deliveryId: number, actor: Actor): Promise<DeliveryInfo> {
  const id = await db.transaction(async (em) => {
    await endpointRow(em, scope, endpointId);
    const original = await em.findOneBy(WebhookDelivery, { id: deliveryId, endpointId });
    if (!original) throw notFound("Webhook delivery", String(deliveryId));
    const now = timestamp();
    await insertRows(em, "webhook_deliveries", DELIVERY_COLUMNS,
      [[endpointId, original.eventId, original.organizationId, original.subjectId, "pending", 0, now, now]]);
    const [created] = await sql<{ id: number }>(em, "SELECT MAX(id) AS id FROM webhook_deliveries WHERE endpoint_id = :endpointId", { endpointId });
    await recordAudit(em, {
      organizationId: scope, actor, action: "webhook_endpoint.resent", targetType: "webhook_endpoint", targetId: endpointId,
      summary: { deliveryId, eventId: original.eventId, newDeliveryId: Number(created.id) },
    });
    return Number(created.id);
  });
  const [delivery] = await listDeliveries(db, scope, endpointId, { beforeId: id + 1, limit: 1 });
  return delivery;
}

const DELIVERY_COLUMNS = ["endpoint_id", "event_id", "organization_id", "subject_id", "status", "attempts", "next_attempt_at", "created_at"];

/**
 * One delivery row per enabled endpoint that wants each event (the events' organization's endpoints and the
 * instance-wide ones, filtered by type), in the caller's transaction: the webhook fan-out's outbox consumer.
 */
export async function queueDeliveries(em: EntityManager, events: LifecycleEvent[], now: Date): Promise<void> {
  const endpoints = (await em.find(WebhookEndpoint, { where: { enabled: true } })).map(info);
  const at = timestamp(now);
  const rows = events.flatMap((event) => endpoints
    .filter((e) => (e.organizationId === null || e.organizationId === event.organizationId) && (e.eventTypes.length === 0 || e.eventTypes.includes(event.type)))
    .map((e) => [e.id, event.id, event.organizationId, event.subjectId, "pending", 0, at, at]));
  await insertRows(em, "webhook_deliveries", DELIVERY_COLUMNS, rows);
}

/** A delivery a worker has leased: what to send, where, signed with what. */
export interface LeasedDelivery {
  id: number;
  attempts: number;
  endpoint: { id: string; organizationId: string | null; url: string; secret: string };
  /** Null when the event is gone (pruned after retention): nothing left to send. */
  event: LifecycleEvent | null;
}

/**
 * Leases up to `limit` due deliveries until `leaseUntil`: on PostgreSQL rows another replica is leasing are skipped
 * (`FOR UPDATE SKIP LOCKED`), and a delivery waits while an earlier one of the same subject to the same endpoint is
 * pending, so that a user's events arrive in order. A lease that runs out (its worker died) makes the delivery due
 * again: at least once, never lost.
 */
export async function leaseDueDeliveries(db: Database, key: Buffer, now: Date, leaseUntil: Date, limit: number): Promise<LeasedDelivery[]> {
  return db.transaction(async (em) => {
    const lock = em.connection.driver.options.type === "postgres" ? " FOR UPDATE OF d SKIP LOCKED" : "";
    const due = await sql<{ id: number }>(em, `SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
      WHERE d.status = 'pending' AND d.next_attempt_at <= :now AND (d.leased_until IS NULL OR d.leased_until <= :now) AND w.enabled = :enabled
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.subject_id = d.subject_id
          AND p.status = 'pending' AND p.id < d.id)
      ORDER BY d.next_attempt_at, d.id LIMIT :limit${lock}`, { now: timestamp(now), enabled: true, limit });
    if (due.length === 0) return [];
    const ids = due.map((d) => Number(d.id));
    await sql(em, "UPDATE webhook_deliveries SET leased_until = :leaseUntil WHERE id IN (:...ids)", { leaseUntil: timestamp(leaseUntil), ids });
    const rows = await sql<WebhookDelivery>(em, `SELECT ${selectColumns(em, WebhookDelivery)} FROM webhook_deliveries WHERE id IN (:...ids) ORDER BY id`, { ids });
    const endpoints = new Map((await em.findByIds(WebhookEndpoint, [...new Set(rows.map((r) => r.endpointId))])).map((e) => [e.id, e]));
    const events = new Map((await sql<{ id: string; tx_id: string; seq: number; organization_id: string | null; type: string; subject_id: string | null;
      actor_type: string; actor_id: string | null; request_id: string | null; at: string; data: string }>(em,
      `SELECT seq, id, tx_id, organization_id, type, subject_id, actor_type, actor_id, request_id, at, data FROM events WHERE id IN (:...ids)`,
      { ids: [...new Set(rows.map((r) => r.eventId))] })).map((r) => [r.id, r]));
    return rows.map((row) => {
      const endpoint = endpoints.get(row.endpointId)!;
      const event = events.get(row.eventId);
      return {
        id: Number(row.id), attempts: row.attempts,
        endpoint: { id: endpoint.id, organizationId: endpoint.organizationId, url: endpoint.url, secret: decryptSecret(key, purpose(endpoint.id), endpoint.secret) },
        event: event ? {
          id: event.id, type: event.type as LifecycleEvent["type"], timestamp: event.at, organizationId: event.organization_id,
          actor: { type: event.actor_type, id: event.actor_id }, requestId: event.request_id, data: JSON.parse(event.data) as Record<string, unknown>,
          cursor: `${event.tx_id}.${event.seq}`, subjectId: event.subject_id,
        } : null,
      };
    });
  });
}

/** What became of one attempt: delivered, to be retried at `retryAt`, or given up (the endpoint is then disabled). */
export type AttemptOutcome =
  | { kind: "delivered"; responseStatus: number }
  | { kind: "retry"; retryAt: Date; responseStatus: number | null; error: string }
  /** `disableEndpoint`: why the endpoint is disabled with it; null when only this delivery is given up. */
  | { kind: "give_up"; responseStatus: number | null; error: string; disableEndpoint: string | null };

/** Records what became of a batch of attempts, in one transaction (a worker's round of deliveries). */
export async function recordAttempts(db: Database, attempts: Array<{ delivery: LeasedDelivery; outcome: AttemptOutcome }>, now: Date): Promise<void> {
  await db.transaction(async (em) => {
    for (const { delivery, outcome } of attempts) {
      const status = outcome.kind === "delivered" ? "delivered" : outcome.kind === "retry" ? "pending" : "failed";
      await sql(em, `UPDATE webhook_deliveries SET status = :status, attempts = attempts + 1, last_attempt_at = :now, leased_until = NULL,
        response_status = :responseStatus, last_error = :error, next_attempt_at = :next WHERE id = :id`, {
        status, now: timestamp(now), responseStatus: outcome.responseStatus, error: outcome.kind === "delivered" ? null : outcome.error.slice(0, 500),
        next: timestamp(outcome.kind === "retry" ? outcome.retryAt : now), id: delivery.id,
      });
      if (outcome.kind === "give_up" && outcome.disableEndpoint) await disableEndpoint(em, delivery, outcome.disableEndpoint, now);
    }
  });
}

async function disableEndpoint(em: EntityManager, delivery: LeasedDelivery, why: string, now: Date) {
  const reason = why.slice(0, 500);
  const [row] = await sql<{ id: string }>(em, `UPDATE webhook_endpoints SET enabled = :enabled, disabled_reason = :reason, updated_at = :now
    WHERE id = :id AND enabled = :was RETURNING id`, { enabled: false, reason, now: timestamp(now), id: delivery.endpoint.id, was: true });
  // Audited once, by the attempt that disabled it (several of one round may give up).
  if (!row) return;
  await recordAudit(em, {
    organizationId: delivery.endpoint.organizationId, actor: { type: "system", id: null }, action: "webhook_endpoint.disabled",
    targetType: "webhook_endpoint", targetId: delivery.endpoint.id, summary: { reason, deliveryId: delivery.id, url: delivery.endpoint.url },
  });
}

/** Deletes deliveries created before `before` that are no longer pending (the retention job). */
export async function pruneDeliveries(db: Database, before: Date): Promise<void> {
  await sql(db.dataSource.manager, "DELETE FROM webhook_deliveries WHERE created_at < :before AND status <> 'pending'", { before: timestamp(before) });
}
