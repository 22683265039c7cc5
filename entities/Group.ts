import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** An IdP group pushed over SCIM. Members are rows in `group_members`, never a list column. */
@Entity("groups")
@Index("uq_groups_org_display_name", ["organizationId", "displayNameNorm"], { unique: true })
@Index("idx_groups_org_external_id", ["organizationId", "externalId"])
@Index("idx_groups_org_created", ["organizationId", "createdAt", "id"])
export class Group {
  @PrimaryColumn("varchar", { length: 36 }) id: string;
  @Column("varchar", { name: "organization_id", length: 36 }) organizationId: string;
  @Column("varchar", { name: "display_name", length: 512 }) displayName: string;
  @Column("varchar", { name: "display_name_norm", length: 512 }) displayNameNorm: string;
  @Column("varchar", { name: "external_id", length: 512, nullable: true }) externalId: string | null;
  @Column("integer") version: number;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  @Column("varchar", { name: "updated_at", length: 30 }) updatedAt: string;
}
