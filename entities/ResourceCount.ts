import { Column, Entity, PrimaryColumn } from "typeorm";

/**
 * How many users or groups an organization has, kept by the transaction that creates or deletes one
 * (src/identity/resource-counts.ts), so that an unfiltered list's totalResults is a lookup and not a COUNT(*) over the
 * organization. On PostgreSQL a count is spread over several rows (`shard`), so that concurrent creates in one
 * organization do not queue on one row lock; the total is their sum.
 */
@Entity("resource_counts")
export class ResourceCount {
  @PrimaryColumn("varchar", { name: "organization_id", length: 36 }) organizationId: string;
  /** `users` or `groups`. */
  @PrimaryColumn("varchar", { length: 16 }) resource: string;
  @PrimaryColumn("integer") shard: number;
  @Column("integer") n: number;
}
