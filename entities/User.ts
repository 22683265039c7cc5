import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * An account in one organization. Single-valued SCIM attributes are columns so that filters run in SQL;
 * multi-valued ones live in `user_values`. Timestamps are ISO-8601 UTC strings of fixed width, which sort and
 * compare the same way on SQLite and PostgreSQL.
 */
@Entity("users")
@Index("uq_users_org_user_name", ["organizationId", "userNameNorm"], { unique: true })
@Index("idx_users_org_external_id", ["organizationId", "externalId"])
@Index("idx_users_org_created", ["organizationId", "createdAt", "id"])
@Index("idx_users_org_updated", ["organizationId", "updatedAt"])
export class User {
  @PrimaryColumn("varchar", { length: 36 }) id: string;
  @Column("varchar", { name: "organization_id", length: 36 }) organizationId: string;
  @Column("varchar", { name: "user_name", length: 512 }) userName: string;
  /** userName folded (NFC, lower case): uniqueness and `eq` are case-insensitive, identically on both databases. */
  @Column("varchar", { name: "user_name_norm", length: 512 }) userNameNorm: string;
  @Column("varchar", { name: "external_id", length: 512, nullable: true }) externalId: string | null;
  @Column("boolean") active: boolean;
  /** How the account came to be: scim, jit or manual. */
  @Column("varchar", { length: 16 }) source: string;
  @Column("varchar", { name: "display_name", length: 512, nullable: true }) displayName: string | null;
  @Column("varchar", { name: "name_formatted", length: 512, nullable: true }) nameFormatted: string | null;
  @Column("varchar", { name: "name_family_name", length: 256, nullable: true }) nameFamilyName: string | null;
  @Column("varchar", { name: "name_given_name", length: 256, nullable: true }) nameGivenName: string | null;
  @Column("varchar", { name: "name_middle_name", length: 256, nullable: true }) nameMiddleName: string | null;
  @Column("varchar", { name: "name_honorific_prefix", length: 64, nullable: true }) nameHonorificPrefix: string | null;
  @Column("varchar", { name: "name_honorific_suffix", length: 64, nullable: true }) nameHonorificSuffix: string | null;
  @Column("varchar", { name: "nick_name", length: 256, nullable: true }) nickName: string | null;
  @Column("varchar", { name: "profile_url", length: 1024, nullable: true }) profileUrl: string | null;
  @Column("varchar", { length: 256, nullable: true }) title: string | null;
  @Column("varchar", { name: "user_type", length: 64, nullable: true }) userType: string | null;
  @Column("varchar", { name: "preferred_language", length: 64, nullable: true }) preferredLanguage: string | null;
  @Column("varchar", { length: 64, nullable: true }) locale: string | null;
  @Column("varchar", { length: 64, nullable: true }) timezone: string | null;
  /** scrypt digest of a password an IdP sent; never returned. */
  @Column("varchar", { name: "password_hash", length: 256, nullable: true }) passwordHash: string | null;
  @Column("varchar", { name: "employee_number", length: 256, nullable: true }) employeeNumber: string | null;
  @Column("varchar", { name: "cost_center", length: 256, nullable: true }) costCenter: string | null;
  @Column("varchar", { name: "enterprise_organization", length: 256, nullable: true }) enterpriseOrganization: string | null;
  @Column("varchar", { length: 256, nullable: true }) division: string | null;
  @Column("varchar", { length: 256, nullable: true }) department: string | null;
  @Column("varchar", { name: "manager_id", length: 512, nullable: true }) managerId: string | null;
  @Column("integer") version: number;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  @Column("varchar", { name: "updated_at", length: 30 }) updatedAt: string;
}
