import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** Short-lived, single-use SSO state shared by replicas (SAML request ids, stashed ACS posts). */
@Entity("sso_transactions")
@Index("idx_sso_transactions_expires", ["expiresAt"])
export class SsoTransaction {
  @PrimaryColumn("varchar", { length: 200 }) key: string;
  @Column("varchar", { name: "connection_id", length: 36, nullable: true }) connectionId: string | null;
  @Column("text") data: string;
  @Column("varchar", { name: "expires_at", length: 30 }) expiresAt: string;
}
