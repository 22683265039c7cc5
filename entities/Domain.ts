import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * A domain an organization claims. It counts (for routing and for trusting IdP emails) only once verified: by a DNS
 * TXT record `_rollcall-challenge.<name>` holding `token`, or by an operator. `verifiedName` is `name` while verified
 * and NULL otherwise: its unique index lets one organization only hold a domain verified.
 */
@Entity("domains")
@Index("uq_domains_org_name", ["organizationId", "name"], { unique: true })
@Index("uq_domains_verified_name", ["verifiedName"], { unique: true })
export class Domain {
  @PrimaryColumn("varchar", { length: 36 }) id: string;
  @Column("varchar", { name: "organization_id", length: 36 }) organizationId: string;
  /** Lower case, ASCII (an internationalised name in its punycode form), no trailing dot. */
  @Column("varchar", { length: 253 }) name: string;
  @Column("varchar", { name: "verified_name", length: 253, nullable: true }) verifiedName: string | null;
  /** The TXT record's value. Not a secret: anyone can read it from DNS once published. */
  @Column("varchar", { length: 64 }) token: string;
  /** The connection whose login this domain's people are sent to; NULL: the organization's default. */
  @Column("varchar", { name: "connection_id", length: 36, nullable: true }) connectionId: string | null;
  /** `dns` or `operator`. */
  @Column("varchar", { name: "verified_by", length: 16, nullable: true }) verifiedBy: string | null;
  @Column("varchar", { name: "verified_at", length: 30, nullable: true }) verifiedAt: string | null;
  @Column("varchar", { name: "checked_at", length: 30, nullable: true }) checkedAt: string | null;
  /** Why the last DNS check failed, for the admin to fix; NULL after a success. */
  @Column("varchar", { name: "check_error", length: 500, nullable: true }) checkError: string | null;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
}
