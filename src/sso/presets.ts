import type { ClaimMappings, OidcSettings, SamlAttributeNames, SamlSettings } from "../identity/connections.js";

/**
 * Per-IdP defaults applied when a connection is created: the attribute and claim names each IdP sends out of the
 * box (or that its setup guide tells the admin to type), the NameID format to ask for, and how its groups arrive.
 * An admin can change every value afterwards; names match case-insensitively. docs/sso.md has the table per IdP.
 */

export const presetNames = [
  "okta", "entra", "adfs", "google", "onelogin", "jumpcloud", "keycloak", "pingfederate", "pingone", "auth0", "oracle", "generic",
] as const;
export type PresetName = (typeof presetNames)[number];

export type SamlPreset = Pick<SamlSettings,
  "nameIdFormat" | "disableRequestedAuthnContext" | "requiredSignature" | "allowSha1" | "groupsDelimiter" | "attributes">;
export type OidcPreset = Pick<OidcSettings, "scopes" | "claimMappings">;

const UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
const EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
const TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
/** WS-Federation claim types: AD FS, Entra and Auth0 name their SAML attributes with them. */
const WS_CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";
const MS_CLAIMS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/";

const plain: SamlAttributeNames = { email: "email", name: "name", firstName: "firstName", lastName: "lastName", groups: "groups", roles: null, userKey: null };
const wsClaims = { email: `${WS_CLAIMS}emailaddress`, name: `${WS_CLAIMS}name`, firstName: `${WS_CLAIMS}givenname`, lastName: `${WS_CLAIMS}surname` };

/**
 * Most IdPs: ask for the preset's NameID, keep the RequestedAuthnContext node-saml sends, groups one value each. Every
 * preset accepts a signature on the Response, the Assertion or both, and refuses SHA-1 (Auth0's and OneLogin's
 * default: their guides say how to switch to SHA-256).
 */
const saml = (nameIdFormat: string, attributes: Partial<SamlAttributeNames> = {}, extra: Partial<SamlPreset> = {}): SamlPreset => ({
  nameIdFormat, disableRequestedAuthnContext: false, requiredSignature: "any", allowSha1: false, groupsDelimiter: null,
  attributes: { ...plain, ...attributes }, ...extra,
});

const samlPresets: Record<PresetName, SamlPreset> = {
  // No attributes until the admin adds statements (the guide names them); the NameID is the username, an address.
  okta: saml(UNSPECIFIED),
  entra: saml(EMAIL, {
    ...wsClaims,
    // Entra's `…/claims/name` is the user principal name; the person's name is displayname.
    name: "http://schemas.microsoft.com/identity/claims/displayname",
    groups: `${MS_CLAIMS}groups`,
    // App roles assigned to the user.
    roles: `${MS_CLAIMS}role`,
    // The object ID never changes and is never reassigned, unlike the UPN and email the NameID carries.
    userKey: "http://schemas.microsoft.com/identity/claims/objectidentifier",
  }, {
    // Entra refuses the PasswordProtectedTransport context node-saml asks for when the user signed in without a
    // password (MFA, passkeys, Windows Hello).
    disableRequestedAuthnContext: true,
  }),
  // AD FS sends only what its claim issuance rules say; these are the claim types those rules pick from. Windows
  // integrated sign-in fails the PasswordProtectedTransport context (MSIS7102), so none is asked for.
  adfs: saml(UNSPECIFIED, { ...wsClaims, groups: `${MS_CLAIMS}groups`, roles: `${MS_CLAIMS}role` }, { disableRequestedAuthnContext: true }),
  // The NameID is the primary email; attributes only as mapped in the app's attribute mapping.
  google: saml(EMAIL),
  onelogin: saml(EMAIL, { firstName: "User.FirstName", lastName: "User.LastName", email: "User.email", groups: "memberOf" }),
  jumpcloud: saml(EMAIL, { firstName: "firstname", lastName: "lastname", groups: "memberOf" }),
  // Keycloak sends its role list (`Role`, one Attribute element per role) by default; the group list mapper sends
  // `member`; the built-in X500 mappers name email and names by their OIDs.
  keycloak: saml(UNSPECIFIED, {
    email: "urn:oid:1.2.840.113549.1.9.1", firstName: "urn:oid:2.5.4.42", lastName: "urn:oid:2.5.4.4", groups: "member", roles: "Role",
  }),
  // PingFederate's attribute contract often carries an LDAP multi-value joined into one value.
  pingfederate: saml(UNSPECIFIED, {}, { groupsDelimiter: "," }),
  pingone: saml(UNSPECIFIED),
  // The SAML add-on's default mappings: WS claim types, groups as `…/claims/Group`; the NameID is the Auth0 user id.
  auth0: saml(UNSPECIFIED, { ...wsClaims, groups: "http://schemas.xmlsoap.org/claims/Group" }),
  // Oracle Cloud sends a transient NameID: the user key must come from an attribute the admin adds.
  oracle: saml(TRANSIENT, { userKey: "userKey" }),
  generic: saml(PERSISTENT),
};

const standardClaims: ClaimMappings = { name: "name", email: "email", groups: "groups" };
const SCOPES = ["openid", "email", "profile"];
const standard: OidcPreset = { scopes: SCOPES, claimMappings: standardClaims };

const oidcPresets: Record<PresetName, OidcPreset> = {
  // Okta's and OneLogin's `groups` claim comes only with the scope of that name; JumpCloud has no such scope (its
  // group attribute is configured on the app) and would refuse an unknown one.
  okta: { scopes: [...SCOPES, "groups"], claimMappings: standardClaims },
  entra: standard,
  adfs: standard,
  google: standard,
  onelogin: { scopes: [...SCOPES, "groups"], claimMappings: standardClaims },
  jumpcloud: standard,
  keycloak: standard,
  pingfederate: standard,
  pingone: standard,
  auth0: standard,
  oracle: standard,
  generic: standard,
};

const known = (name: string): PresetName => (presetNames as readonly string[]).includes(name) ? name as PresetName : "generic";

/** The SAML defaults of a preset (unknown names get the generic one); a fresh copy the caller may change. */
export const samlPreset = (name: string): SamlPreset => structuredClone(samlPresets[known(name)]);
export const oidcPreset = (name: string): OidcPreset => structuredClone(oidcPresets[known(name)]);
