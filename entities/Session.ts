import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** A browser session, shared by replicas; indexed by user so that deactivation can end all of a user's sessions. */
@Entity("sessions")
@Index("idx_sessions_user", ["userId"])
@Index("idx_sessions_expires", ["expiresAt"])
@Index("idx_sessions_saml_name_id", ["samlNameIdDigest"])
export class Session {
  @PrimaryColumn("varchar", { length: 64 }) sid: string;
  @Column("varchar", { name: "organization_id", length: 36, nullable: true }) organizationId: string | null;
  @Column("varchar", { name: "user_id", length: 36, nullable: true }) userId: string | null;
  /** Who the session belongs to once logged in: `user` (SSO) or `admin` (built-in login). */
  @Column("varchar", { name: "principal_type", length: 16, nullable: true }) principalType: string | null;
  @Column("varchar", { name: "expires_at", length: 30 }) expiresAt: string;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  @Column("text") data: string;
  /** The SSO connection whose login opened the session (SAML: what Single Logout needs, see src/identity/sessions.ts). */
  @Column("varchar", { name: "connection_id", length: 36, nullable: true }) connectionId: string | null;
  @Column("varchar", { name: "saml_name_id_digest", length: 64, nullable: true }) samlNameIdDigest: string | null;
  /** JSON of the SamlLogin: NameID, its Format and qualifiers, SessionIndex. */
  @Column("text", { name: "saml_login", nullable: true }) samlLogin: string | null;
}
