import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** An organization's SSO connection (OIDC or SAML). Secrets inside `settings` are encrypted (identity/secrets.ts). */
@Entity("connections")
@Index("uq_connections_login_path", ["loginPathNorm"], { unique: true })
@Index("idx_connections_org", ["organizationId"])
export class Connection {
  @PrimaryColumn("varchar", { length: 36 }) id: string;
  @Column("varchar", { name: "organization_id", length: 36 }) organizationId: string;
  @Column("varchar", { length: 8 }) type: string;
  @Column("varchar", { length: 200 }) name: string;
  @Column("varchar", { name: "login_path", length: 64 }) loginPath: string;
  @Column("varchar", { name: "login_path_norm", length: 64 }) loginPathNorm: string;
  @Column("boolean") enabled: boolean;
  @Column("varchar", { length: 32 }) preset: string;
  /** JSON of the protocol's settings. */
  @Column("text") settings: string;
  /** Where people of a verified domain that names no connection are sent, when the organization has several. */
  @Column("boolean", { name: "is_default", default: false }) isDefault: boolean;
  /** Let in (JIT) and link users whose email is outside the organization's verified domains (contractors' IdP). */
  @Column("boolean", { name: "allow_other_domains", default: false }) allowOtherDomains: boolean;
  @Column("integer") version: number;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  @Column("varchar", { name: "updated_at", length: 30 }) updatedAt: string;
}
