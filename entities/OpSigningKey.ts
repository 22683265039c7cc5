import { Column, Entity, PrimaryColumn } from "typeorm";

/** A signing key of the OpenID Provider (src/identity/op-keys.ts): the private JWK sealed under ROLLCALL_SECRET_KEY. */
@Entity("op_signing_keys")
export class OpSigningKey {
  @PrimaryColumn("varchar", { length: 64 }) kid: string;
  @Column("varchar", { length: 16 }) alg: string;
  @Column("text", { name: "public_jwk", nullable: true }) publicJwk: string | null;
  @Column("text", { name: "private_jwk", nullable: true }) privateJwk: string | null;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  /** Published at once, signed with from then on: every replica has published it by the time any signs with it. */
  @Column("varchar", { name: "activates_at", length: 30 }) activatesAt: string;
  /** Still published (tokens it signed may be in use), never signed with. */
  @Column("varchar", { name: "retired_at", length: 30, nullable: true }) retiredAt: string | null;
}
