import { importJWK, SignJWT } from "jose";
import { UserIdentity } from "../identity/access.js";
import { identityClaims } from "./claims.js";
import { OpenIdProvider } from "./provider.js";

/**
 * `X-Rollcall-Identity`: the forward-auth answer's identity as a compact JWT signed with the OpenID Provider's ES256
 * key, so that an app need not trust the network between the proxy and itself. The claims are the ID token's;
 * `typ` and `aud` tell it apart from any ID token (whose audience is a client id), and it lives a minute.
 */
export const IDENTITY_JWT_TYPE = "rollcall-identity+jwt";
export const IDENTITY_JWT_SECONDS = 60;
export const identityAudience = (baseUrl: string) => `${baseUrl}/auth/verify`;

export async function signedIdentity(op: OpenIdProvider, baseUrl: string, identity: UserIdentity): Promise<string> {
  const { jwks } = await op.keys();
  const jwk = jwks.find((k) => (k as { alg?: string }).alg === "ES256")!;
  const key = await importJWK(jwk as Parameters<typeof importJWK>[0], "ES256");
  return new SignJWT(identityClaims(identity))
    .setProtectedHeader({ alg: "ES256", kid: (jwk as { kid: string }).kid, typ: IDENTITY_JWT_TYPE })
    .setIssuer(baseUrl).setAudience(identityAudience(baseUrl)).setIssuedAt().setExpirationTime(`${IDENTITY_JWT_SECONDS}s`)
    .sign(key);
}
