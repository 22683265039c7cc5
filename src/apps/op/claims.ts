import { z } from "zod";
import { UserIdentity } from "../../identity/access.js";

/**
 * The claims apps receive, in ID tokens, userinfo and the forward-auth `X-Rollcall-Identity` JWT alike; described by
 * `IdentityClaims` in the OpenAPI document (src/admin/openapi.ts).
 *
 * `email_verified` is false: an organization's IdP may assert any address, including one of another company's
 * domain, so an app must key accounts on `sub` (or `org_id` + `sub`), never on the email (the "nOAuth" mistake).
 * It will say true for addresses in an organization's verified domains once those exist.
 */
export function identityClaims(identity: UserIdentity): z.input<typeof identityClaimsSchema> {
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

const text = (description: string) => z.string().meta({ description });
const names = (description: string) => z.array(z.string()).meta({ description });

/**
 * The claims as a JSON Schema (component `IdentityClaims` of /api/v1/openapi.json). Tokens carry the JWT claims
 * (`iss`, `aud`, `exp`, …) beside these; a claim without a value is left out.
 */
export const identityClaimsSchema = z.looseObject({
  sub: text("The Rollcall user id: stable, unique across organizations. Key accounts on it."),
  email: text("Primary email (scope email)").optional(),
  email_verified: z.boolean().meta({ description: "False until organizations have verified domains: never link accounts by email" }).optional(),
  name: text("Display name (scope profile)").optional(),
  given_name: text("Given name (scope profile)").optional(),
  family_name: text("Family name (scope profile)").optional(),
  preferred_username: text("userName (scope profile)").optional(),
  org_id: text("The user's organization id"),
  org_slug: text("The user's organization slug"),
  teams: names("Names of the user's teams"),
  roles: names("Roles granted by those teams"),
  groups: names("The IdP's groups of the user (SCIM groups' displayNames, or the last login's groups claim)"),
  idp: text("The connection id of the user's latest SSO login").optional(),
  scim_id: text("The SCIM resource id, when SCIM provisioned the user").optional(),
  external_id: text("The IdP's externalId of the user").optional(),
}).meta({ id: "IdentityClaims", description: "Claims of Rollcall's ID tokens, userinfo and X-Rollcall-Identity" });

/** Which scope releases which claim (oidc-provider's `claims` setting): Rollcall's own claims come with `openid`. */
export const CLAIMS_BY_SCOPE = {
  openid: ["sub", "org_id", "org_slug", "teams", "roles", "groups", "idp", "scim_id", "external_id"],
  email: ["email", "email_verified"],
  profile: ["name", "given_name", "family_name", "preferred_username"],
};
