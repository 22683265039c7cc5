import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** A browser session, shared by replicas; indexed by user so that deactivation can end all of a user's sessions. */
@Entity("sessions")
@Index("idx_sessions_user", ["userId"])
@Index("idx_sessions_expires", ["expiresAt"])
export class Session {
  @PrimaryColumn("varchar", { length: 64 }) sid: string;
  @Column("varchar", { name: "organization_id", length: 36, nullable: true }) organizationId: string | null;
  @Column("varchar", { name: "user_id", length: 36, nullable: true }) userId: string | null;
  /** Who the session belongs to once logged in: `user` (SSO) or `admin` (built-in login). */
  @Column("varchar", { name: "principal_type", length: 16, nullable: true }) principalType: string | null;
  @Column("varchar", { name: "expires_at", length: 30 }) expiresAt: string;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  @Column("text") data: string;
}
