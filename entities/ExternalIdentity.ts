import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** How an IdP names a user: (connection, issuer, subject) is the key a login is matched by. */
@Entity("external_identities")
@Index("uq_external_identities_key", ["connectionId", "issuer", "subject"], { unique: true })
@Index("idx_external_identities_user", ["userId"])
export class ExternalIdentity {
  @PrimaryColumn("varchar", { length: 36 }) id: string;
  @Column("varchar", { name: "organization_id", length: 36 }) organizationId: string;
  @Column("varchar", { name: "connection_id", length: 36 }) connectionId: string;
  @Column("varchar", { name: "user_id", length: 36 }) userId: string;
  @Column("varchar", { length: 512 }) issuer: string;
  @Column("varchar", { length: 512 }) subject: string;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  @Column("varchar", { name: "last_login_at", length: 30 }) lastLoginAt: string;
}
