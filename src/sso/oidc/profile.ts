import * as client from "openid-client";
import type { VerifyFunction } from "openid-client/passport";
import type { ConnectionRecord } from "../../identity/connections.js";
import type { IdpProfile } from "../../identity/sign-in.js";
import { claimList, claimString, claimValue } from "../claims.js";
import { rejectedResponse } from "../errors.js";
import { about, oidcError } from "./errors.js";
import { oidcSettings } from "./strategy.js";

/**
 * The Strategy's verify step: the ID token has passed every check by now; its claims, topped up from userinfo
 * when the mapped claims are not in it, become the profile handed to finishLogin.
 */
export const verifyProfile = (connection: ConnectionRecord, config: client.Configuration): VerifyFunction =>
  async (tokens, verified) => {
    const idToken = tokens.claims();
    if (!idToken) throw rejectedResponse("oidc_id_token", { ...about(connection), check: "no ID token" });
    const claims = await withUserinfo(connection, config, tokens.access_token, idToken);
    verified(null, profileFromClaims(connection, claims));
  };

async function withUserinfo(
  connection: ConnectionRecord, config: client.Configuration, accessToken: string, idToken: client.IDToken,
): Promise<Record<string, unknown>> {
  const { claimMappings } = oidcSettings(connection);
  const missing = Object.values(claimMappings).some((name) => claimValue(idToken, name) === undefined);
  if (!missing || !config.serverMetadata().userinfo_endpoint) return idToken;
  try {
    // fetchUserInfo refuses a response about another `sub`; the signed ID token wins where both have a claim.
    return { ...await client.fetchUserInfo(config, accessToken, idToken.sub), ...idToken };
  } catch (err) {
    throw oidcError(err, "userinfo", connection);
  }
}

/** Claims to profile: names from the connection's mappings (any case); the user key per the connection's preset. */
export function profileFromClaims(connection: ConnectionRecord, claims: Record<string, unknown>): IdpProfile {
  const { claimMappings } = oidcSettings(connection);
  return {
    issuer: String(claims.iss),
    subject: subjectOf(connection.preset, claims),
    // Entra's provisioning sends the object id as externalId when mapped so (docs/sso.md).
    externalId: connection.preset === "entra" && typeof claims.oid === "string" ? claims.oid : null,
    email: claimString(claims, claimMappings.email),
    // Google and Auth0 send a boolean; some IdPs send the string.
    emailVerified: claims.email_verified === true || claims.email_verified === "true",
    name: claimString(claims, claimMappings.name),
    givenName: claimString(claims, "given_name"),
    familyName: claimString(claims, "family_name"),
    groups: claimList(claims, claimMappings.groups),
    groupsOverage: groupsOverage(claims, claimMappings.groups),
    raw: claims,
  };
}

/** Entra's `sub` differs per application; tenant + object ID names the same person in every app and never changes. */
function subjectOf(preset: string, claims: Record<string, unknown>): string {
  const { tid, oid } = claims;
  if (preset === "entra" && typeof tid === "string" && typeof oid === "string") return `${tid}:${oid}`;
  return String(claims.sub);
}

/**
 * Entra leaves the groups out of a token when there are too many (over 200 in a JWT): it names them in
 * `_claim_names` (a distributed claim) or, from the implicit flow, says `hasgroups: true`.
 */
function groupsOverage(claims: Record<string, unknown>, groupsClaim: string): boolean {
  const names = claims._claim_names;
  const distributed = typeof names === "object" && names !== null && claimValue(names as Record<string, unknown>, groupsClaim) !== undefined;
  return distributed || claims.hasgroups === true || claims.hasgroups === "true";
}
