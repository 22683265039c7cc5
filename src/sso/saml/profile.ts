import type { Profile } from "@node-saml/node-saml";
import type { SamlSettings } from "../../identity/connections.js";
import type { IdpProfile, ReceivedAttribute } from "../../identity/sign-in.js";
import { rejectedResponse } from "../errors.js";
import { assertionAttributes, SamlAttributes, valuesOf } from "./attributes.js";
import type { SignatureFacts } from "./signatures.js";

const TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
const EMAIL_ADDRESS = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
/** Entra sends this instead of the groups when a user has more than 150 of them. */
const ENTRA_GROUPS_LINK = "http://schemas.microsoft.com/claims/groups.link";
const ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The identity core's view of a verified assertion. The user key is the NameID, or the configured key attribute;
 * a transient NameID changes at every login, so without a key attribute it identifies nobody and is refused.
 * SAML has no "email verified": the email counts as verified only when the connection says its IdP's addresses can
 * be trusted (`trustEmail`), since linking an account by an unverified address would be a takeover. That holds for
 * an email taken from the NameID too (Google, JumpCloud and Okta send no email attribute unless told to).
 */
export function idpProfileOf(profile: Profile, saml: SamlSettings, signatures: SignatureFacts): IdpProfile {
  // node-saml returns a profile only with the verified assertion; its attributes are read from those bytes alone.
  const attributes = assertionAttributes(profile.getAssertionXml!());
  const names = saml.attributes;
  const nameIdFormat = profile.nameIDFormat ?? null;
  const first = (name: string | null | undefined) => valuesOf(attributes, name)[0] ?? null;
  let subject: string | null;
  if (names.userKey) {
    subject = first(names.userKey);
    if (!subject) throw rejectedResponse("saml_user_key", { check: `the user-key attribute ${names.userKey}`, attributes: [...attributes.keys()] });
  } else {
    if (nameIdFormat === TRANSIENT) {
      throw rejectedResponse("saml_transient_name_id", { check: "a transient NameID identifies nobody: configure a user-key attribute or a persistent NameID" });
    }
    subject = profile.nameID?.trim() || null;
    if (!subject) throw rejectedResponse("saml_name_id", { check: "the assertion has a NameID" });
  }
  const emailAttribute = first(names.email);
  const nameIdEmail = emailAttribute ? null : emailInNameId(profile.nameID, nameIdFormat);
  const groups = groupsOf(attributes, saml);
  return {
    issuer: profile.issuer,
    subject,
    email: emailAttribute ?? nameIdEmail,
    emailVerified: saml.trustEmail === true,
    name: first(names.name),
    givenName: first(names.firstName),
    familyName: first(names.lastName),
    groups,
    groupsOverage: attributes.has(ENTRA_GROUPS_LINK),
    attributes: received(attributes, saml),
    warnings: signatures.sha1
      ? ["Signed with SHA-1, which is weak (collisions are practical): switch the IdP to RSA-SHA256, then turn off \"Allow SHA-1\" on this connection."]
      : [],
    // What Single Logout names this login by; a login keyed by an attribute may come without a NameID.
    ...(profile.nameID?.trim() ? {
      samlLogin: {
        nameId: profile.nameID.trim(), format: nameIdFormat, nameQualifier: profile.nameQualifier ?? null,
        spNameQualifier: profile.spNameQualifier ?? null, sessionIndex: profile.sessionIndex ?? null,
      },
    } : {}),
    raw: {
      issuer: profile.issuer, nameID: profile.nameID, nameIDFormat: nameIdFormat, sessionIndex: profile.sessionIndex ?? null,
      emailFrom: emailAttribute ? names.email : nameIdEmail ? "NameID" : null,
      signed: [signatures.response && "Response", signatures.assertion && "Assertion"].filter(Boolean).join(" and "),
    },
  };
}

/** An address in the NameID: its format says so, or it is unspecified and holds one (Okta, JumpCloud, Auth0). */
function emailInNameId(nameId: string | undefined, format: string | null): string | null {
  const value = nameId?.trim() ?? "";
  if (format === EMAIL_ADDRESS || ((format === null || format === UNSPECIFIED) && ADDRESS.test(value))) return value || null;
  return null;
}

/** The groups and roles attributes' values, each split on the connection's delimiter, without repeats. */
function groupsOf(attributes: SamlAttributes, saml: SamlSettings): string[] {
  const values = [...valuesOf(attributes, saml.attributes.groups), ...valuesOf(attributes, saml.attributes.roles)];
  const split = saml.groupsDelimiter ? values.flatMap((v) => v.split(saml.groupsDelimiter!)) : values;
  return [...new Set(split.map((v) => v.trim()).filter((v) => v !== ""))];
}

/** Every attribute received, each value, and which profile field the connection reads from it (Test connection). */
function received(attributes: SamlAttributes, saml: SamlSettings): ReceivedAttribute[] {
  const fields: [keyof SamlSettings["attributes"], string][] = [
    ["email", "email"], ["name", "name"], ["firstName", "given name"], ["lastName", "family name"], ["groups", "groups"],
    ["roles", "groups (roles)"], ["userKey", "user key"],
  ];
  return [...attributes].map(([name, values]) => ({
    name, values,
    usedAs: fields.filter(([field]) => saml.attributes[field]?.toLowerCase() === name.toLowerCase()).map(([, label]) => label),
  }));
}
