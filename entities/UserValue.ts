import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/**
 * One element of a multi-valued user attribute (emails, phoneNumbers, ims, photos, entitlements, roles,
 * x509Certificates, addresses). One table for all of them keeps value-path filters a single EXISTS shape.
 */
@Entity("user_values")
@Index("idx_user_values_user", ["userId", "attribute", "position"])
@Index("idx_user_values_lookup", ["organizationId", "attribute", "valueNorm"])
export class UserValue {
  @PrimaryGeneratedColumn("increment") id: number;
  @Column("varchar", { name: "organization_id", length: 36 }) organizationId: string;
  @Column("varchar", { name: "user_id", length: 36 }) userId: string;
  @Column("varchar", { length: 32 }) attribute: string;
  /** Order the IdP sent the elements in, so a GET returns them as they were written. */
  @Column("integer") position: number;
  @Column("text", { nullable: true }) value: string | null;
  /** value folded to lower case, for case-insensitive filters on emails and the like. */
  @Column("varchar", { name: "value_norm", length: 512, nullable: true }) valueNorm: string | null;
  @Column("text", { nullable: true }) display: string | null;
  @Column("text", { nullable: true }) type: string | null;
  @Column("boolean", { nullable: true }) primary: boolean | null;
  @Column("text", { nullable: true }) formatted: string | null;
  @Column("text", { name: "street_address", nullable: true }) streetAddress: string | null;
  @Column("text", { nullable: true }) locality: string | null;
  @Column("text", { nullable: true }) region: string | null;
  @Column("text", { name: "postal_code", nullable: true }) postalCode: string | null;
  @Column("text", { nullable: true }) country: string | null;
}
