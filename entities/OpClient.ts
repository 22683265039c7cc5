import { Column, Entity, PrimaryColumn } from "typeorm";

/** An app registered by the operator as a client of Rollcall's OpenID Provider (src/identity/op-clients.ts). */
@Entity("op_clients")
export class OpClient {
  @PrimaryColumn("varchar", { length: 64 }) id: string;
  @Column("varchar", { length: 200 }) name: string;
  /** client_secret_basic (also accepts _post) or private_key_jwt. */
  /** client_secret_basic, client_secret_post or private_key_jwt. */
  @Column("varchar", { name: "auth_method", length: 32 }) authMethod: string;
  /** SHA-256 of the client secret; null for private_key_jwt. */
  @Column("varchar", { name: "secret_hash", length: 64, nullable: true }) secretHash: string | null;
  /** JSON JWK Set of the app's public keys (private_key_jwt). */
  @Column("text", { nullable: true }) jwks: string | null;
  /** JSON arrays. */
  @Column("text", { name: "redirect_uris", nullable: true }) redirectUris: string | null;
  @Column("text", { name: "post_logout_redirect_uris", nullable: true }) postLogoutRedirectUris: string | null;
  /** JSON array of the organizations whose users may sign in to the app; null: every organization. */
  @Column("text", { name: "organization_ids", nullable: true }) organizationIds: string | null;
  @Column("varchar", { name: "connection_id", length: 36, nullable: true }) connectionId: string | null;
  @Column("text", { name: "backchannel_logout_uri", nullable: true }) backchannelLogoutUri: string | null;
  @Column("boolean", { name: "refresh_tokens" }) refreshTokens: boolean;
  @Column("varchar", { name: "created_at", length: 30 }) createdAt: string;
  @Column("varchar", { name: "updated_at", length: 30 }) updatedAt: string;
}
