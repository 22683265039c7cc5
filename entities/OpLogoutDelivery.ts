import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** A back-channel logout token owed to an app (src/identity/op-logouts.ts), retried until delivered or given up. */
@Entity("op_logout_deliveries")
@Index("uq_op_logout_deliveries_event", ["eventId", "clientId"], { unique: true })
@Index("idx_op_logout_deliveries_due", ["nextAttemptAt"])
export class OpLogoutDelivery {
  @PrimaryColumn("varchar", { length: 36 }) id: string;
  @Column("varchar", { name: "client_id", length: 64 }) clientId: string;
  @Column("varchar", { name: "user_id", length: 36 }) userId: string;
  @Column("varchar", { name: "organization_id", length: 36 }) organizationId: string;
  /** The lifecycle event that ended the user's sessions. */
  @Column("varchar", { name: "event_id", length: 36 }) eventId: string;
  @Column("integer") attempts: number;
  @Column("varchar", { name: "next_attempt_at", length: 30 }) nextAttemptAt: string;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  @Column("varchar", { name: "delivered_at", length: 30, nullable: true }) deliveredAt: string | null;
  @Column("varchar", { name: "given_up_at", length: 30, nullable: true }) givenUpAt: string | null;
  @Column("varchar", { name: "last_error", length: 500, nullable: true }) lastError: string | null;
}
