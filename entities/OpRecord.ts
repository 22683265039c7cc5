import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** One record of oidc-provider (session, interaction, code, token, grant…), shared by replicas (src/identity/op-records.ts). */
@Entity("op_records")
@Index("idx_op_records_grant", ["grantId"])
@Index("idx_op_records_uid", ["uid"])
@Index("idx_op_records_account", ["accountId"])
@Index("idx_op_records_expires", ["expiresAt"])
export class OpRecord {
  @PrimaryColumn("varchar", { length: 40 }) model: string;
  @PrimaryColumn("varchar", { length: 200 }) id: string;
  @Column("text", { nullable: true }) payload: string | null;
  @Column("varchar", { name: "grant_id", length: 200, nullable: true }) grantId: string | null;
  @Column("varchar", { length: 200, nullable: true }) uid: string | null;
  @Column("varchar", { name: "account_id", length: 36, nullable: true }) accountId: string | null;
  @Column("varchar", { name: "expires_at", length: 30, nullable: true }) expiresAt: string | null;
  @Column("varchar", { name: "consumed_at", length: 30, nullable: true }) consumedAt: string | null;
}
