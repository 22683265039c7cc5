import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** One membership. Adding is an insert that ignores an existing row, so parallel pushes never lose members. */
@Entity("group_members")
@Index("idx_group_members_user", ["userId"])
export class GroupMember {
  @PrimaryColumn("varchar", { name: "group_id", length: 36 }) groupId: string;
  @PrimaryColumn("varchar", { name: "user_id", length: 36 }) userId: string;
  @Column("varchar", { name: "organization_id", length: 36 }) organizationId: string;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
}
