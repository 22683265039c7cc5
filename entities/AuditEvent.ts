import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** What happened, who did it and to what; written in the same transaction as the change it records. */
@Entity("audit_events")
@Index("idx_audit_events_org_at", ["organizationId", "at"])
@Index("idx_audit_events_target", ["organizationId", "targetType", "targetId"])
export class AuditEvent {
  @PrimaryGeneratedColumn("increment") id: number;
  /** Null for instance-level events (operator accounts and their tokens), which belong to no organization. */
  @Column("varchar", { name: "organization_id", length: 36, nullable: true }) organizationId: string | null;
  @Column("varchar", { length: 30 }) at: string;
  /** scim_token, admin, system or sso */
  @Column("varchar", { name: "actor_type", length: 32 }) actorType: string;
  @Column("varchar", { name: "actor_id", length: 64, nullable: true }) actorId: string | null;
  @Column("varchar", { length: 64 }) action: string;
  @Column("varchar", { name: "target_type", length: 32 }) targetType: string;
  @Column("varchar", { name: "target_id", length: 36, nullable: true }) targetId: string | null;
  /** JSON: before/after of the fields that changed, counts, skipped ids. */
  @Column("text") summary: string;
}
