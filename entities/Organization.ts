import { Column, Entity, PrimaryColumn } from "typeorm";

/** A tenant. Every other row carries its id. */
@Entity("organizations")
export class Organization {
  @PrimaryColumn("varchar", { length: 36 }) id: string;
  @Column("varchar", { length: 100, unique: true }) slug: string;
  @Column("varchar", { length: 200 }) name: string;
  /** `idp`: IdP groups decide teams; `manual`: admins assign them. */
  @Column("varchar", { name: "team_mapping_mode", length: 16, default: "idp" }) teamMappingMode: string;
  /** `claims`: a user's groups are the last login's groups claim; `scim`: the SCIM groups the user belongs to. */
  @Column("varchar", { name: "group_source", length: 16, default: "claims" }) groupSource: string;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
}
