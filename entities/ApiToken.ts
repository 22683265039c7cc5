import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** An admin account's personal API token. Only a SHA-256 digest is kept; `prefix` finds the row and is safe to show. */
@Entity("api_tokens")
@Index("idx_api_tokens_prefix", ["prefix"])
@Index("idx_api_tokens_admin", ["adminId"])
export class ApiToken {
  @PrimaryColumn("varchar", { length: 36 }) id: string;
  @Column("varchar", { name: "admin_id", length: 36 }) adminId: string;
  @Column("varchar", { length: 200 }) name: string;
  @Column("varchar", { length: 16 }) prefix: string;
  @Column("varchar", { length: 64 }) hash: string;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  @Column("varchar", { name: "last_used_at", length: 30, nullable: true }) lastUsedAt: string | null;
  @Column("varchar", { name: "revoked_at", length: 30, nullable: true }) revokedAt: string | null;
}
