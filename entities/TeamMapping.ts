import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** IdP group → team. `idpGroup` matches a SCIM group's displayName or externalId, or a value of the groups claim. */
@Entity("team_mappings")
@Index("uq_team_mappings_team_group", ["teamId", "idpGroupNorm"], { unique: true })
@Index("idx_team_mappings_org_group", ["organizationId", "idpGroupNorm"])
export class TeamMapping {
  @PrimaryGeneratedColumn() id: number;
  @Column("varchar", { name: "organization_id", length: 36 }) organizationId: string;
  @Column("varchar", { name: "team_id", length: 36 }) teamId: string;
  @Column("varchar", { name: "idp_group", length: 512 }) idpGroup: string;
  @Column("varchar", { name: "idp_group_norm", length: 512 }) idpGroupNorm: string;
  /** A readable name for a group named by an opaque id (Entra sends object ids). */
  @Column("varchar", { length: 512, nullable: true }) alias: string | null;
  /** Only groups received through this connection's logins match; NULL: any connection's, and SCIM groups. */
  @Column("varchar", { name: "connection_id", length: 36, nullable: true }) connectionId: string | null;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
}
