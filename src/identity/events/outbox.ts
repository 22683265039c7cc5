import { EntityManager } from "typeorm";
import { Database } from "../../db/database.js";
import { chunks, sql } from "../../db/sql.js";
import { currentRequestId } from "../../request-context.js";
import type { AuditEntry } from "../audit.js";
import { invalid } from "../errors.js";
import { Actor } from "../records.js";
import { timestamp } from "../text.js";
import { EventType, publicationOf } from "./catalog.js";
import { loadResources, userResources } from "./resources.js";
import { newRowId } from "../ids.js";

/**
 * The lifecycle-event outbox. Every change of the identity core writes its events into `events` in its own
 * transaction (recordAudit publishes them, see catalog.ts), so an event exists exactly when its change committed.
 *
 * API for readers (the events API, webhook fan-out, OIDC back-channel logout):
 * - `listEventsAfter(em, scope, cursor, types, limit)`: a page of events after an opaque cursor, oldest first;
 *   each event carries its own cursor, the next page starts after the last one.
 * - `consumeEvents(db, consumer, options, handle)`: for a worker in every replica. Takes the named consumer's cursor
 *   under a lock (PostgreSQL `FOR UPDATE SKIP LOCKED`: one replica at a time, the others skip), hands the next events
 *   to `handle` in the same transaction and moves the cursor past them when `handle` returns. Whatever `handle`
 *   writes (delivery rows to send later, with retries) commits with the cursor: each event is handed over once,
 *   and none is lost if the replica dies midway (the transaction rolls back, another replica takes it again).
 * - `pruneEvents(db, before)`: the retention job.
 *
 * Order. Ids are assigned at INSERT but transactions commit in another order, so "id greater than the last one
 * seen" would skip an event whose transaction commits after a later-numbered one was read. On PostgreSQL each event
 * keeps its transaction's id (`tx_id`), readers order by (tx_id, seq) and return only events of transactions older
 * than every transaction of this database still running (`finalBefore`): nothing can commit behind the cursor. Two
 * changes of one user are serialised by the user's row lock, so they get increasing transaction ids and are read in
 * the order they happened. SQLite runs one write transaction at a time: tx_id is 0 and seq is commit order. The
 * price: a long write transaction of this database holds readers back until it ends (`finalBefore` keeps those of
 * other databases on the same server from doing so).
 */

/** What a change publishes, beyond what recordAudit derives from its audit entry. */
export interface EventDraft {
  organizationId: string | null;
  type: EventType;
  actor: Actor;
  /** What the event is about, for ordering deliveries: the user for every event about a user. */
  subjectId: string | null;
  data: Record<string, unknown>;
}

/** An event as readers see it (events API items, webhook bodies). */
export interface LifecycleEvent {
  id: string;
  type: EventType;
  /** When the change was made (ISO 8601). */
  timestamp: string;
  organizationId: string | null;
  actor: { type: string; id: string | null };
  requestId: string | null;
  data: Record<string, unknown>;
  /** Where a reader that has handled this event resumes. */
  cursor: string;
  subjectId: string | null;
}

interface EventRow {
  seq: number; id: string; tx_id: string | number; organization_id: string | null; type: string; subject_id: string | null;
  actor_type: string; actor_id: string | null; request_id: string | null; at: string; data: string;
}

const isPostgres = (em: EntityManager) => em.connection.driver.options.type === "postgres";

/** Writes events in the caller's transaction. */
export async function publishEvents(em: EntityManager, drafts: EventDraft[]): Promise<void> {
  if (drafts.length === 0) return;
  const at = timestamp();
  const requestId = currentRequestId();
  const txId = isPostgres(em) ? "pg_current_xact_id()::text::bigint" : "0";
  for (const chunk of chunks(drafts, 200)) {
    const params: Record<string, unknown> = { at, requestId };
    const tuples = chunk.map((d, i) => {
      Object.assign(params, {
        [`id${i}`]: newRowId(), [`org${i}`]: d.organizationId, [`type${i}`]: d.type, [`subject${i}`]: d.subjectId,
        [`actorType${i}`]: d.actor.type, [`actorId${i}`]: d.actor.id, [`data${i}`]: JSON.stringify(d.data),
      });
      return `(:id${i}, ${txId}, :org${i}, :type${i}, :subject${i}, :actorType${i}, :actorId${i}, :requestId, :at, :data${i})`;
    });
    await sql(em, `INSERT INTO events (id, tx_id, organization_id, type, subject_id, actor_type, actor_id, request_id, at, data)
      VALUES ${tuples.join(", ")}`, params);
  }
}

/**
 * The events of audited changes (recordAudits calls this): each carries the resource as it is now, in the change's
 * transaction, and the audit summary as `change`; deleted resources carry their id and the summary.
 */
export async function publishAudited(em: EntityManager, entries: AuditEntry[]): Promise<void> {
  const publishing = entries.flatMap((entry) => {
    const publication = publicationOf(entry.action);
    return publication ? [{ entry, publication }] : [];
  });
  if (publishing.length === 0) return;
  const resources = new Map<string, Map<string, Record<string, unknown>>>();
  for (const { entry, publication } of publishing) {
    if (!publication.resource || !entry.targetId || !entry.organizationId) continue;
    const key = `${entry.targetType} ${entry.organizationId}`;
    if (!resources.has(key)) {
      const targets = publishing.filter((p) => `${p.entry.targetType} ${p.entry.organizationId}` === key && p.entry.targetId).map((p) => p.entry);
      const loaded = await userResources(em, entry.organizationId, targets.flatMap((t) => (t.targetUser ? [t.targetUser] : [])));
      const ids = [...new Set(targets.filter((t) => !t.targetUser).map((t) => t.targetId!))];
      resources.set(key, new Map([...loaded, ...await loadResources(em, entry.targetType, entry.organizationId, ids)]));
    }
  }
  await publishEvents(em, publishing.map(({ entry, publication }) => {
    const resource = resources.get(`${entry.targetType} ${entry.organizationId}`)?.get(entry.targetId ?? "");
    return {
      organizationId: entry.organizationId, type: publication.type, actor: entry.actor, subjectId: entry.targetId,
      data: { ...(resource ?? { id: entry.targetId }), change: entry.summary },
    };
  }));
}

const cursorOf = (row: { tx_id: string | number; seq: number }) => `${row.tx_id}.${row.seq}`;

function parseCursor(cursor: string): { txId: string; seq: number } {
  const match = /^(\d{1,19})\.(\d{1,15})$/.exec(cursor);
  if (!match) throw invalid(`"${cursor}" is not an event cursor: pass the cursor of the last event you handled`);
  return { txId: match[1], seq: Number(match[2]) };
}

function eventOf(row: EventRow): LifecycleEvent {
  return {
    id: row.id, type: row.type as EventType, timestamp: row.at, organizationId: row.organization_id,
    actor: { type: row.actor_type, id: row.actor_id }, requestId: row.request_id, data: JSON.parse(row.data) as Record<string, unknown>,
    cursor: cursorOf(row), subjectId: row.subject_id,
  };
}

/** Which events a reader sees: one organization's, or every organization's and the instance's (`"instance"`). */
export type EventScope = { organizationId: string } | "instance";

/**
 * Events after `cursor` (from the oldest kept when null), oldest first, of the given types (all when empty).
 * Readers on PostgreSQL see only events of transactions older than every one still running (see above).
 */
export async function listEventsAfter(
  em: EntityManager, scope: EventScope, cursor: string | null, types: readonly string[], limit: number,
): Promise<LifecycleEvent[]> {
  const after = cursor ? parseCursor(cursor) : { txId: "0", seq: 0 };
  const horizon = isPostgres(em) ? await finalBefore(em) : null;
  const where = [
    "(tx_id > :txId OR (tx_id = :txId AND seq > :seq))",
    ...(scope === "instance" ? [] : ["organization_id = :organizationId"]),
    ...(types.length ? ["type IN (:...types)"] : []),
    ...(horizon ? [horizon.condition] : []),
  ];
  const rows = await sql<EventRow>(em, `SELECT seq, id, tx_id, organization_id, type, subject_id, actor_type, actor_id, request_id, at, data
    FROM events WHERE ${where.join(" AND ")} ORDER BY tx_id, seq LIMIT :limit`,
  { ...after, organizationId: scope === "instance" ? null : scope.organizationId, types, limit, ...horizon?.params });
  return rows.map(eventOf);
}

/**
 * PostgreSQL: a condition on `tx_id` that holds only for events that are final (committed and visible to the
 * statement, or never to be) — nothing can still commit below it. Transaction ids are numbered across the whole
 * server, so the snapshot's xmin would let a long transaction in any other database on it hold every reader back.
 * Instead the bound is the oldest transaction, still running in the statement's snapshot, that is either one of this
 * database's (listed in pg_stat_activity, read first) or was given its id after that list was read (it may be ours).
 * A transaction of ours running in the snapshot had its id before the list was read and was running when it was read,
 * so it is in the list. pg_stat_activity shows 32-bit ids: the snapshot's are compared modulo 2^32. It shows another
 * role's transaction ids only to a role with pg_read_all_stats: every replica connects as the same role.
 */
async function finalBefore(em: EntityManager): Promise<{ condition: string; params: Record<string, unknown> }> {
  await sql(em, "SELECT pg_stat_clear_snapshot()");
  const [seen] = await sql<{ xmax: string; running: string[] | null }>(em, `SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax,
    array_agg(backend_xid::text) FILTER (WHERE backend_xid IS NOT NULL) AS running FROM pg_stat_activity WHERE datname = current_database()`);
  // -1 names no transaction: IN () is not SQL.
  const running = seen.running?.length ? seen.running.map(Number) : [-1];
  return {
    condition: `tx_id < (SELECT COALESCE((SELECT MIN(x::text::bigint) FROM pg_snapshot_xip(s) AS x
      WHERE x::text::bigint % 4294967296 IN (:...running) OR x::text::bigint >= :listedBefore), pg_snapshot_xmax(s)::text::bigint)
      FROM pg_current_snapshot() AS s)`,
    params: { running, listedBefore: seen.xmax },
  };
}

/**
 * Hands the events after consumer `name`'s cursor to `handle`, in one transaction that also moves the cursor (see
 * the top of this file). A new consumer starts after the newest event. Returns how many events were handed over;
 * 0 also when another replica holds the consumer.
 */
export async function consumeEvents(
  db: Database, name: string, options: { types?: readonly string[]; limit?: number },
  handle: (em: EntityManager, events: LifecycleEvent[]) => Promise<void>,
): Promise<number> {
  // `WHERE true`: without it SQLite reads ON CONFLICT as part of the SELECT's join.
  await sql(db.dataSource.manager, `INSERT INTO event_consumers (name, tx_id, seq, updated_at)
    SELECT :name, COALESCE(MAX(tx_id), 0), COALESCE(MAX(seq), 0), :now FROM events
    WHERE true ON CONFLICT (name) DO NOTHING`, { name, now: timestamp() });
  return db.transaction(async (em) => {
    const lock = isPostgres(em) ? " FOR UPDATE SKIP LOCKED" : "";
    const [consumer] = await sql<{ tx_id: string | number; seq: number }>(em, `SELECT tx_id, seq FROM event_consumers WHERE name = :name${lock}`, { name });
    if (!consumer) return 0;
    const events = await listEventsAfter(em, "instance", cursorOf(consumer), options.types ?? [], options.limit ?? 500);
    if (events.length === 0) return 0;
    await handle(em, events);
    const last = parseCursor(events[events.length - 1].cursor);
    await sql(em, "UPDATE event_consumers SET tx_id = :txId, seq = :seq, updated_at = :now WHERE name = :name", { ...last, now: timestamp(), name });
    return events.length;
  });
}

/** Deletes events older than `before` (the retention job); returns how many. */
export async function pruneEvents(db: Database, before: Date): Promise<number> {
  const rows = await sql<{ seq: number }>(db.dataSource.manager, "DELETE FROM events WHERE at < :before RETURNING seq", { before: timestamp(before) });
  return rows.length;
}
