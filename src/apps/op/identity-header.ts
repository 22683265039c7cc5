import { SignJWT } from "jose";
import { UserIdentity } from "../../identity/access.js";
import { identityClaims } from "./claims.js";
import { SigningKeys } from "./keys.js";

/**
 * `X-Rollcall-Identity`: the forward-auth answer's identity as a compact JWT signed with the OpenID Provider's ES256
 * key, so that an app need not trust the network between the proxy and itself. The claims are the ID token's;
 * `typ` and `aud` tell it apart from any ID token (whose audience is a client id), and it lives a minute.
 */
export const IDENTITY_JWT_TYPE = "rollcall-identity+jwt";
export const IDENTITY_JWT_SECONDS = 60;
export const identityAudience = (baseUrl: string) => `${baseUrl}/auth/verify`;

export async function signedIdentity(keys: SigningKeys, baseUrl: string, identity: UserIdentity): Promise<string> {
  const { kid, key } = await keys.signing("ES256");
  return new SignJWT(identityClaims(identity))
    .setProtectedHeader({ alg: "ES256", kid, typ: IDENTITY_JWT_TYPE })
    .setIssuer(baseUrl).setAudience(identityAudience(baseUrl)).setIssuedAt().setExpirationTime(`${IDENTITY_JWT_SECONDS}s`)
    .sign(key);
}
