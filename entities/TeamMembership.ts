import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** A user in a team, either derived from IdP groups (`idp`) or assigned by an admin (`manual`). */
@Entity("team_memberships")
@Index("idx_team_memberships_user", ["userId"])
@Index("idx_team_memberships_org_source", ["organizationId", "source"])
export class TeamMembership {
  @PrimaryColumn("varchar", { name: "team_id", length: 36 }) teamId: string;
  @PrimaryColumn("varchar", { name: "user_id", length: 36 }) userId: string;
  @PrimaryColumn("varchar", { length: 16 }) source: string;
  @Column("varchar", { name: "organization_id", length: 36 }) organizationId: string;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
}
