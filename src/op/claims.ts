import { UserIdentity } from "../identity/access.js";

/**
 * The claims apps receive, in ID tokens, userinfo and the forward-auth `X-Rollcall-Identity` JWT alike; described by
 * `IdentityClaims` in the OpenAPI document (src/admin/openapi.ts).
 *
 * `email_verified` is false: an organization's IdP may assert any address, including one of another company's
 * domain, so an app must key accounts on `sub` (or `org_id` + `sub`), never on the email (the "nOAuth" mistake).
 * It will say true for addresses in an organization's verified domains once those exist.
 */
export function identityClaims(identity: UserIdentity): Record<string, unknown> {
  const { user, organization } = identity;
  return {
    sub: user.id,
    email: user.email ?? undefined,
    email_verified: user.email ? false : undefined,
    name: user.displayName ?? undefined,
    given_name: identity.givenName ?? undefined,
    family_name: identity.familyName ?? undefined,
    preferred_username: user.userName,
    org_id: organization.id,
    org_slug: organization.slug,
    // A team held both from the IdP and by an admin's assignment is listed once.
    teams: [...new Set(identity.teams.map((t) => t.name))],
    roles: identity.roles,
    groups: identity.groups,
    idp: identity.connectionId ?? undefined,
    scim_id: identity.scimId ?? undefined,
    external_id: identity.externalId ?? undefined,
  };
}

/** Which scope releases which claim (oidc-provider's `claims` setting): Rollcall's own claims come with `openid`. */
export const CLAIMS_BY_SCOPE = {
  openid: ["sub", "org_id", "org_slug", "teams", "roles", "groups", "idp", "scim_id", "external_id"],
  email: ["email", "email_verified"],
  profile: ["name", "given_name", "family_name", "preferred_username"],
};
