import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm";

/** Where lifecycle events are POSTed (src/apps/webhooks/): an organization's endpoint, or an operator's for every organization. */
@Entity("webhook_endpoints")
@Index("idx_webhook_endpoints_org", ["organizationId"])
export class WebhookEndpoint {
  @PrimaryColumn("varchar", { length: 36 }) id: string;
  /** Null: an instance-wide endpoint (operators), which receives every organization's events. */
  @Column("varchar", { name: "organization_id", length: 36, nullable: true }) organizationId: string | null;
  @Column("varchar", { length: 2048 }) url: string;
  @Column("varchar", { length: 200, nullable: true }) description: string | null;
  /** JSON array of event types; empty: every type. */
  @Column("text", { name: "event_types" }) eventTypes: string;
  /** The Standard Webhooks signing secret (`whsec_…`), encrypted (identity/secrets.ts). */
  @Column("text") secret: string;
  @Column("boolean") enabled: boolean;
  /** Why the endpoint was disabled: by an admin, or by the worker after persistent failure or 410 Gone. */
  @Column("varchar", { name: "disabled_reason", length: 500, nullable: true }) disabledReason: string | null;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  @Column("varchar", { name: "updated_at", length: 30 }) updatedAt: string;
}

/** One event to deliver to one endpoint, and how its attempts went: the delivery log. */
@Entity("webhook_deliveries")
@Index("idx_webhook_deliveries_due", ["status", "nextAttemptAt"])
@Index("idx_webhook_deliveries_subject", ["endpointId", "subjectId", "id"])
@Index("idx_webhook_deliveries_endpoint", ["endpointId", "id"])
@Index("idx_webhook_deliveries_created", ["createdAt"])
export class WebhookDelivery {
  @PrimaryGeneratedColumn("increment") id: number;
  @Column("varchar", { name: "endpoint_id", length: 36 }) endpointId: string;
  @Column("varchar", { name: "event_id", length: 36 }) eventId: string;
  @Column("varchar", { name: "organization_id", length: 36, nullable: true }) organizationId: string | null;
  /** The event's subject: deliveries of one subject to one endpoint go in order. */
  @Column("varchar", { name: "subject_id", length: 36, nullable: true }) subjectId: string | null;
  /** pending, delivered or failed (given up). */
  @Column("varchar", { length: 16 }) status: string;
  @Column("integer") attempts: number;
  @Column("varchar", { name: "next_attempt_at", length: 30 }) nextAttemptAt: string;
  /** Set while a worker is sending it; another worker takes it over once this has passed (the first died). */
  @Column("varchar", { name: "leased_until", length: 30, nullable: true }) leasedUntil: string | null;
  @Column("varchar", { name: "last_attempt_at", length: 30, nullable: true }) lastAttemptAt: string | null;
  @Column("integer", { name: "response_status", nullable: true }) responseStatus: number | null;
  @Column("varchar", { name: "last_error", length: 500, nullable: true }) lastError: string | null;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
}
