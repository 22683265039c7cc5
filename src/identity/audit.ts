import { EntityManager } from "typeorm";
import { AuditEvent } from "../../entities/index.js";
import { Actor, UserRecord } from "./records.js";
import { timestamp } from "./text.js";
import { insertRows } from "../db/sql.js";
import { publishAudited } from "./events/outbox.js";

export interface AuditEntry {
  /** Null only for instance-level events: operator accounts and their API tokens belong to no organization. */
  organizationId: string | null;
  actor: Actor;
  action: string;
  targetType: "user" | "group" | "scim_token" | "organization" | "connection" | "team" | "session" | "admin_account"
    | "api_token" | "setup_link" | "domain" | "op_client" | "signing_key" | "webhook_endpoint";
  targetId: string | null;
  summary: Record<string, unknown>;
  /** The user as the change left it, when the writer has read it anyway: its event is built from it, not read again. */
  targetUser?: UserRecord;
}

/**
 * Called inside the transaction of the change it records, so the two commit or roll back together. A change that is
 * a lifecycle event (events/catalog.ts) publishes it here too, in the same transaction: one call records both.
 */
export function recordAudit(em: EntityManager, entry: AuditEntry): Promise<void> {
  return recordAudits(em, [entry]);
}

/** Several events of one change (one per user a mapping change moves), in as few statements as the drivers allow. */
export async function recordAudits(em: EntityManager, entries: AuditEntry[]): Promise<void> {
  const at = timestamp();
  await insertRows(em, "audit_events", ["organization_id", "at", "actor_type", "actor_id", "action", "target_type", "target_id", "summary"],
    entries.map((e) => [e.organizationId, at, e.actor.type, e.actor.id, e.action, e.targetType, e.targetId, JSON.stringify(e.summary)]));
  await publishAudited(em, entries);
}

export interface AuditQuery {
  targetType?: string;
  targetId?: string;
  action?: string;
  actorType?: string;
  actorId?: string;
  /** ISO-8601 bounds on `at`: from `since` (inclusive) to `until` (exclusive). */
  since?: string;
  until?: string;
  /** Events whose target or actor is one of these ids. */
  involving?: string[];
  /** Keyset paging back in time: events with a smaller id. */
  beforeId?: number;
  newestFirst?: boolean;
  offset?: number;
  limit?: number;
}

export async function listAuditEvents(em: EntityManager, organizationId: string, query: AuditQuery = {}) {
  const qb = em.getRepository(AuditEvent).createQueryBuilder("a").where("a.organizationId = :organizationId", { organizationId });
  if (query.targetType) qb.andWhere("a.targetType = :targetType", { targetType: query.targetType });
  if (query.targetId) qb.andWhere("a.targetId = :targetId", { targetId: query.targetId });
  if (query.action) qb.andWhere("a.action = :action", { action: query.action });
  if (query.actorType) qb.andWhere("a.actorType = :actorType", { actorType: query.actorType });
  if (query.actorId) qb.andWhere("a.actorId = :actorId", { actorId: query.actorId });
  if (query.since) qb.andWhere("a.at >= :since", { since: query.since });
  if (query.until) qb.andWhere("a.at < :until", { until: query.until });
  if (query.involving?.length) qb.andWhere("(a.targetId IN (:...involving) OR a.actorId IN (:...involving))", { involving: query.involving });
  if (query.beforeId !== undefined) qb.andWhere("a.id < :beforeId", { beforeId: query.beforeId });
  const rows = await qb.orderBy("a.id", query.newestFirst ? "DESC" : "ASC").skip(query.offset ?? 0).take(query.limit ?? 100).getMany();
  return rows.map((row) => ({ ...row, summary: JSON.parse(row.summary) as Record<string, unknown> }));
}
