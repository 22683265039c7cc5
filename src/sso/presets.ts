import type { ClaimMappings, OidcSettings, SamlAttributeNames, SamlSettings } from "../identity/connections.js";

/**
 * Per-IdP defaults applied when a connection is created: the attribute and claim names each IdP sends out of the
 * box (or that its setup guide tells the admin to type), the NameID format to ask for, and whether the IdP signs
 * the whole Response by default. An admin can change every value afterwards; names match case-insensitively.
 */

export const presetNames = ["okta", "entra", "google", "onelogin", "jumpcloud", "keycloak", "oracle", "generic"] as const;
export type PresetName = (typeof presetNames)[number];

export type SamlPreset = Pick<SamlSettings, "nameIdFormat" | "wantResponseSigned" | "disableRequestedAuthnContext" | "attributes">;
export type OidcPreset = Pick<OidcSettings, "scopes" | "claimMappings">;

const UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
const EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
const TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
const WS_CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";

const plain: SamlAttributeNames = { email: "email", name: "name", firstName: "firstName", lastName: "lastName", groups: "groups", userKey: null };

// wantResponseSigned is true only where the IdP signs the Response by default (Okta, Keycloak's "Sign documents");
// the others sign just the assertion, which is then required to be signed instead.
const saml: Record<PresetName, SamlPreset> = {
  okta: { nameIdFormat: UNSPECIFIED, wantResponseSigned: true, disableRequestedAuthnContext: false, attributes: plain },
  entra: {
    nameIdFormat: EMAIL,
    wantResponseSigned: false,
    // Entra refuses the PasswordProtectedTransport context node-saml asks for when the user signed in without a
    // password (MFA, passkeys, Windows Hello).
    disableRequestedAuthnContext: true,
    attributes: {
      email: `${WS_CLAIMS}emailaddress`,
      // Entra's `…/claims/name` is the user principal name; the person's name is displayname.
      name: "http://schemas.microsoft.com/identity/claims/displayname",
      firstName: `${WS_CLAIMS}givenname`,
      lastName: `${WS_CLAIMS}surname`,
      groups: "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
      // The object ID never changes and is never reassigned, unlike the UPN and email the NameID carries.
      userKey: "http://schemas.microsoft.com/identity/claims/objectidentifier",
    },
  },
  google: { nameIdFormat: EMAIL, wantResponseSigned: false, disableRequestedAuthnContext: false, attributes: plain },
  onelogin: {
    nameIdFormat: EMAIL, wantResponseSigned: false, disableRequestedAuthnContext: false,
    attributes: { ...plain, firstName: "User.FirstName", lastName: "User.LastName", email: "User.email", groups: "memberOf" },
  },
  jumpcloud: {
    nameIdFormat: EMAIL, wantResponseSigned: false, disableRequestedAuthnContext: false,
    attributes: { ...plain, firstName: "firstname", lastName: "lastname", groups: "memberOf" },
  },
  keycloak: { nameIdFormat: UNSPECIFIED, wantResponseSigned: true, disableRequestedAuthnContext: false, attributes: plain },
  // Oracle Cloud sends a transient NameID: the user key must come from an attribute the admin adds.
  oracle: { nameIdFormat: TRANSIENT, wantResponseSigned: false, disableRequestedAuthnContext: false, attributes: { ...plain, userKey: "userKey" } },
  generic: { nameIdFormat: PERSISTENT, wantResponseSigned: false, disableRequestedAuthnContext: false, attributes: plain },
};

const standardClaims: ClaimMappings = { name: "name", email: "email", groups: "groups" };
const SCOPES = ["openid", "email", "profile"];

const oidc: Record<PresetName, OidcPreset> = {
  // Okta's and OneLogin's `groups` claim comes only with the scope of that name; JumpCloud has no such scope (its
  // group attribute is configured on the app) and would refuse an unknown one.
  okta: { scopes: [...SCOPES, "groups"], claimMappings: standardClaims },
  entra: { scopes: SCOPES, claimMappings: standardClaims },
  google: { scopes: SCOPES, claimMappings: standardClaims },
  onelogin: { scopes: [...SCOPES, "groups"], claimMappings: standardClaims },
  jumpcloud: { scopes: SCOPES, claimMappings: standardClaims },
  keycloak: { scopes: SCOPES, claimMappings: standardClaims },
  oracle: { scopes: SCOPES, claimMappings: standardClaims },
  generic: { scopes: SCOPES, claimMappings: standardClaims },
};

const known = (name: string): PresetName => (presetNames as readonly string[]).includes(name) ? name as PresetName : "generic";

/** The SAML defaults of a preset (unknown names get the generic one); a fresh copy the caller may change. */
export const samlPreset = (name: string): SamlPreset => structuredClone(saml[known(name)]);
export const oidcPreset = (name: string): OidcPreset => structuredClone(oidc[known(name)]);
