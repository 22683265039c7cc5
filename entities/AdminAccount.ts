import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * A built-in login: an instance operator (no organization, role `operator`) or an organization's admin (role
 * `admin`). The password is kept only as a scrypt digest; `emailNorm` makes the email unique case-insensitively.
 */
@Entity("admin_accounts")
@Index("uq_admin_accounts_email", ["emailNorm"], { unique: true })
@Index("idx_admin_accounts_org", ["organizationId"])
export class AdminAccount {
  @PrimaryColumn("varchar", { length: 36 }) id: string;
  @Column("varchar", { name: "organization_id", length: 36, nullable: true }) organizationId: string | null;
  @Column("varchar", { length: 320 }) email: string;
  @Column("varchar", { name: "email_norm", length: 320 }) emailNorm: string;
  @Column("varchar", { length: 200 }) name: string;
  @Column("text", { name: "password_hash", nullable: true }) passwordHash: string | null;
  @Column("varchar", { length: 16 }) role: string;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  @Column("varchar", { name: "last_login_at", length: 30, nullable: true }) lastLoginAt: string | null;
  @Column("varchar", { name: "disabled_at", length: 30, nullable: true }) disabledAt: string | null;
  /** The password was given out once (first start, `admin create` without one): the owner must choose their own. */
  @Column("boolean", { name: "must_change_password", default: false }) mustChangePassword: boolean;
  /** The TOTP secret, encrypted (identity/secrets.ts); set while enrolling, in use once `totpEnabledAt` is set. */
  @Column("text", { name: "totp_secret", nullable: true }) totpSecret: string | null;
  @Column("varchar", { name: "totp_enabled_at", length: 30, nullable: true }) totpEnabledAt: string | null;
  /** The time step of the last code accepted: a code is good once. */
  @Column("integer", { name: "totp_last_step", nullable: true }) totpLastStep: number | null;
  /** JSON list of SHA-256 digests of the unused recovery codes. */
  @Column("text", { name: "recovery_codes", nullable: true }) recoveryCodes: string | null;
}
