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
@Index("idx_users_org_updated", ["organizationId", "updatedAt", "createdAt", "id"])
@Index("idx_users_org_family_name", ["organizationId", "nameFamilyNameNorm"])
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
  @Column("text", { name: "display_name", nullable: true }) displayName: string | null;
  @Column("text", { name: "name_formatted", nullable: true }) nameFormatted: string | null;
  @Column("text", { name: "name_family_name", nullable: true }) nameFamilyName: string | null;
  /** name.familyName folded (see foldCase), indexed: `sw` on it is a range of that index, not a fold per row. */
  @Column("text", { name: "name_family_name_norm", nullable: true }) nameFamilyNameNorm: string | null;
  @Column("text", { name: "name_given_name", nullable: true }) nameGivenName: string | null;
  @Column("text", { name: "name_middle_name", nullable: true }) nameMiddleName: string | null;
  @Column("text", { name: "name_honorific_prefix", nullable: true }) nameHonorificPrefix: string | null;
  @Column("text", { name: "name_honorific_suffix", nullable: true }) nameHonorificSuffix: string | null;
  @Column("text", { name: "nick_name", nullable: true }) nickName: string | null;
  @Column("text", { name: "profile_url", nullable: true }) profileUrl: string | null;
  @Column("text", { nullable: true }) title: string | null;
  @Column("text", { name: "user_type", nullable: true }) userType: string | null;
  @Column("text", { name: "preferred_language", nullable: true }) preferredLanguage: string | null;
  @Column("text", { nullable: true }) locale: string | null;
  @Column("text", { nullable: true }) timezone: string | null;
  /** scrypt digest of a password an IdP sent; never returned. */
  @Column("text", { name: "password_hash", nullable: true }) passwordHash: string | null;
  @Column("text", { name: "employee_number", nullable: true }) employeeNumber: string | null;
  @Column("text", { name: "cost_center", nullable: true }) costCenter: string | null;
  @Column("text", { name: "enterprise_organization", nullable: true }) enterpriseOrganization: string | null;
  @Column("text", { nullable: true }) division: string | null;
  @Column("text", { nullable: true }) department: string | null;
  @Column("text", { name: "manager_id", nullable: true }) managerId: string | null;
  /** JSON array: the groups claim of the user's last SSO login (used when the org's groups come from claims). */
  @Column("text", { name: "login_groups", nullable: true }) loginGroups: string | null;
  /** The connection of that last login: mappings limited to a connection match only its groups. */
  @Column("varchar", { name: "login_connection_id", length: 36, nullable: true }) loginConnectionId: string | null;
  @Column("integer") version: number;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  @Column("varchar", { name: "updated_at", length: 30 }) updatedAt: string;
}
