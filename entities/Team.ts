import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** The app's unit of access: membership grants the team's roles (strings the app understands). */
@Entity("teams")
@Index("uq_teams_org_name", ["organizationId", "nameNorm"], { unique: true })
export class Team {
  @PrimaryColumn("varchar", { length: 36 }) id: string;
  @Column("varchar", { name: "organization_id", length: 36 }) organizationId: string;
  @Column("varchar", { length: 200 }) name: string;
  @Column("varchar", { name: "name_norm", length: 200 }) nameNorm: string;
  @Column("text", { nullable: true }) description: string | null;
  /** JSON array of role names. */
  @Column("text") roles: string;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  @Column("varchar", { name: "updated_at", length: 30 }) updatedAt: string;
}
