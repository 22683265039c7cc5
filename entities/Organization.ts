import { Column, Entity, PrimaryColumn } from "typeorm";

/** A tenant. Every other row carries its id. */
@Entity("organizations")
export class Organization {
  @PrimaryColumn("varchar", { length: 36 }) id: string;
  @Column("varchar", { length: 100, unique: true }) slug: string;
  @Column("varchar", { length: 200 }) name: string;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
}
