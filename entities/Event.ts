import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** A lifecycle event (user.created, …): the outbox row written in the transaction of the change (src/identity/events/). */
@Entity("events")
@Index("uq_events_id", ["id"], { unique: true })
@Index("idx_events_order", ["txId", "seq"])
@Index("idx_events_org_order", ["organizationId", "txId", "seq"])
@Index("idx_events_at", ["at"])
export class Event {
  @PrimaryGeneratedColumn("increment") seq: number;
  /** The public id: `webhook-id` of its deliveries, the key a receiver deduplicates on. */
  @Column("varchar", { length: 36 }) id: string;
  /** PostgreSQL: the writing transaction's id, what readers order by (outbox.ts); SQLite: 0. */
  @Column("bigint", { name: "tx_id" }) txId: string;
  /** Null for instance-level events. */
  @Column("varchar", { name: "organization_id", length: 36, nullable: true }) organizationId: string | null;
  @Column("varchar", { length: 64 }) type: string;
  /** What the event is about, for ordering: a user's events reach a webhook in the order they happened. */
  @Column("varchar", { name: "subject_id", length: 36, nullable: true }) subjectId: string | null;
  @Column("varchar", { name: "actor_type", length: 32 }) actorType: string;
  @Column("varchar", { name: "actor_id", length: 64, nullable: true }) actorId: string | null;
  @Column("varchar", { name: "request_id", length: 128, nullable: true }) requestId: string | null;
  @Column("varchar", { length: 30 }) at: string;
  /** JSON: the resource as the admin API shows it, plus what the event type adds (events/catalog.ts). */
  @Column("text") data: string;
}

/** How far one reader of the events has got (outbox.ts `consumeEvents`). */
@Entity("event_consumers")
export class EventConsumer {
  @Column("varchar", { length: 64, primary: true }) name: string;
  @Column("bigint", { name: "tx_id" }) txId: string;
  @Column("integer") seq: number;
  @Column("varchar", { name: "updated_at", length: 30 }) updatedAt: string;
}
