import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * A self-serve setup link: lets a customer's IT admin, who has no account, configure what its capabilities allow
 * of one organization (SSO connections, SCIM tokens, domains, group mappings) until it expires, is revoked or the
 * setup is finished. Stored as a SHA-256 digest like every bearer secret.
 */
@Entity("setup_links")
@Index("idx_setup_links_prefix", ["prefix"])
@Index("idx_setup_links_org", ["organizationId"])
export class SetupLink {
  @PrimaryColumn("varchar", { length: 36 }) id: string;
  @Column("varchar", { name: "organization_id", length: 36 }) organizationId: string;
  @Column("varchar", { length: 200 }) name: string;
  @Column("varchar", { length: 16 }) prefix: string;
  @Column("varchar", { length: 64 }) hash: string;
  /** The actor id of whoever created it (an admin account id, or `cli`). */
  @Column("varchar", { name: "created_by", length: 64, nullable: true }) createdBy: string | null;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  @Column("varchar", { name: "expires_at", length: 30 }) expiresAt: string;
  @Column("varchar", { name: "revoked_at", length: 30, nullable: true }) revokedAt: string | null;
  /** Comma-separated: sso, scim, domains, mappings. */
  @Column("varchar", { length: 100, default: "sso,scim,domains" }) capabilities: string;
  @Column("varchar", { name: "completed_at", length: 30, nullable: true }) completedAt: string | null;
}
