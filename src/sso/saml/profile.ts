import type { Profile } from "@node-saml/node-saml";
import type { SamlSettings } from "../../identity/connections.js";
import type { IdpProfile } from "../../identity/sign-in.js";
import { claimList, claimString, claimValue } from "../claims.js";
import { rejectedResponse } from "../errors.js";

const TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
const EMAIL_ADDRESS = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
/** Entra sends this instead of the groups when a user has more than 150 of them. */
const ENTRA_GROUPS_LINK = "http://schemas.microsoft.com/claims/groups.link";

/**
 * The identity core's view of a verified assertion. The user key is the NameID, or the configured key attribute;
 * a transient NameID changes at every login, so without a key attribute it identifies nobody and is refused.
 * SAML has no "email verified": the email counts as verified only when the connection says its IdP's addresses can
 * be trusted (`trustEmail`), since linking an account by an unverified address would be a takeover.
 */
export function idpProfileOf(profile: Profile, saml: SamlSettings): IdpProfile {
  const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
  const names = saml.attributes;
  const nameIdFormat = profile.nameIDFormat ?? null;
  let subject: string | null;
  if (names.userKey) {
    subject = claimString(attributes, names.userKey);
    if (!subject) throw rejectedResponse("saml_user_key", { check: `the user-key attribute ${names.userKey}`, attributes: Object.keys(attributes) });
  } else {
    if (nameIdFormat === TRANSIENT) {
      throw rejectedResponse("saml_transient_name_id", { check: "a transient NameID identifies nobody: configure a user-key attribute or a persistent NameID" });
    }
    subject = profile.nameID?.trim() || null;
    if (!subject) throw rejectedResponse("saml_name_id", { check: "the assertion has a NameID" });
  }
  return {
    issuer: profile.issuer,
    subject,
    email: claimString(attributes, names.email) ?? (nameIdFormat === EMAIL_ADDRESS ? profile.nameID : null),
    emailVerified: saml.trustEmail === true,
    name: claimString(attributes, names.name),
    givenName: claimString(attributes, names.firstName),
    familyName: claimString(attributes, names.lastName),
    groups: claimList(attributes, names.groups),
    groupsOverage: claimValue(attributes, ENTRA_GROUPS_LINK) !== undefined,
    raw: { issuer: profile.issuer, nameID: profile.nameID, nameIDFormat: nameIdFormat, sessionIndex: profile.sessionIndex ?? null, attributes },
  };
}
