import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** An IdP's SCIM bearer credential. Only a SHA-256 digest is kept; `prefix` finds the row and is safe to display. */
@Entity("scim_tokens")
@Index("idx_scim_tokens_prefix", ["prefix"])
export class ScimToken {
  @PrimaryColumn("varchar", { length: 36 }) id: string;
  @Column("varchar", { name: "organization_id", length: 36 }) organizationId: string;
  @Column("varchar", { length: 200 }) name: string;
  @Column("varchar", { length: 16 }) prefix: string;
  @Column("varchar", { length: 64 }) hash: string;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  @Column("varchar", { name: "last_used_at", length: 30, nullable: true }) lastUsedAt: string | null;
  @Column("varchar", { name: "revoked_at", length: 30, nullable: true }) revokedAt: string | null;
}
