import { NAMEID, ResponseOptions, signingKey, TestIdp } from "./saml-idp.js";

/**
 * What each real IdP sends by default, as /work/shared/notes/saml-idp-shapes.md describes it: where it puts its
 * signature, its algorithm, its NameID, and its attribute names and layout (one Attribute with several values, one
 * Attribute element per value, one value joined with commas). Each IdP signs with its own key. `expected` is what a
 * login gives through the IdP's preset: the account's email, names and the teams its groups map to.
 */
export interface IdpShape {
  name: string;
  preset: string;
  idp: TestIdp;
  /** Connection settings the admin sets beyond the preset (what the IdP's guide in docs/sso.md says). */
  settings?: Record<string, unknown>;
  /** The group values a team is mapped to, by team name. */
  teams: Record<string, string>;
  response: Omit<ResponseOptions, "acsUrl" | "audience" | "inResponseTo">;
  expected: { email: string; givenName: string | null; familyName: string | null; displayName: string | null; teams: string[] };
}

const WS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";
const MS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/";
const URI_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";

const idp = (key: string, entityId: string, ssoUrl: string) => new TestIdp(entityId, ssoUrl, [signingKey(key)]);

export const IDP_SHAPES: IdpShape[] = [
  {
    name: "Entra ID", preset: "entra",
    idp: idp("entra", "https://sts.windows.net/8a1f0b3e-tid/", "https://login.microsoftonline.com/8a1f0b3e-tid/saml2"),
    teams: { Engineering: "b5a3c1d2-0000-4000-8000-00000000000a" },
    // Signs the assertion; NameID the UPN; WS claim types; groups as object ids, all values in one Attribute.
    response: {
      nameIdFormat: NAMEID.email, nameId: "ada@contoso.test",
      attributes: {
        "http://schemas.microsoft.com/identity/claims/tenantid": "8a1f0b3e-tid",
        "http://schemas.microsoft.com/identity/claims/objectidentifier": "0c1d2e3f-0000-4000-8000-000000000001",
        "http://schemas.microsoft.com/identity/claims/displayname": "Ada Lovelace",
        "http://schemas.microsoft.com/identity/claims/identityprovider": "https://sts.windows.net/8a1f0b3e-tid/",
        [`${WS}emailaddress`]: "ada@contoso.test", [`${WS}givenname`]: "Ada", [`${WS}surname`]: "Lovelace", [`${WS}name`]: "ada@contoso.test",
        [`${MS}groups`]: ["b5a3c1d2-0000-4000-8000-00000000000a", "c6b4d2e3-0000-4000-8000-00000000000b"],
      },
    },
    expected: { email: "ada@contoso.test", givenName: "Ada", familyName: "Lovelace", displayName: "Ada Lovelace", teams: ["Engineering"] },
  },
  {
    name: "AD FS", preset: "adfs",
    idp: idp("adfs", "http://adfs.contoso.test/adfs/services/trust", "https://adfs.contoso.test/adfs/ls/"),
    teams: { Engineering: "Engineering", Operations: "Ops" },
    // AssertionOnly; the NameID and claims its issuance rules send, groups and roles as WS claim types.
    response: {
      nameIdFormat: NAMEID.unspecified, nameId: "CONTOSO\\bob",
      attributes: {
        [`${WS}emailaddress`]: "bob@contoso.test", [`${WS}givenname`]: "Bob", [`${WS}surname`]: "Builder", [`${WS}name`]: "Bob Builder",
        [`${MS}groups`]: ["Domain Users", "Engineering"], [`${MS}role`]: "Ops",
      },
    },
    expected: { email: "bob@contoso.test", givenName: "Bob", familyName: "Builder", displayName: "Bob Builder", teams: ["Engineering", "Operations"] },
  },
  {
    name: "Okta", preset: "okta",
    idp: idp("okta", "http://www.okta.com/exk1abcd", "https://initech.okta.test/app/initech_rollcall_1/exk1abcd/sso/saml"),
    teams: { Engineering: "eng" },
    // Response and Assertion signed; NameID unspecified holding the username (an address); attribute statements
    // for the names and a group attribute statement, no email attribute.
    response: {
      signResponse: true, nameIdFormat: NAMEID.unspecified, nameId: "carol@initech.test",
      attributes: { firstName: "Carol", lastName: "Danvers", groups: ["Everyone", "eng"] },
    },
    expected: { email: "carol@initech.test", givenName: "Carol", familyName: "Danvers", displayName: null, teams: ["Engineering"] },
  },
  {
    name: "Google Workspace", preset: "google",
    idp: idp("google", "https://accounts.google.com/o/saml2?idpid=C01abcd", "https://accounts.google.com/o/saml2/idp?idpid=C01abcd"),
    teams: { Engineering: "eng@initech.test" },
    // Assertion only; NameID emailAddress; no attributes but the group membership mapping.
    response: { nameIdFormat: NAMEID.email, nameId: "dana@initech.test", attributes: { groups: ["eng@initech.test", "all@initech.test"] } },
    expected: { email: "dana@initech.test", givenName: null, familyName: null, displayName: null, teams: ["Engineering"] },
  },
  {
    name: "JumpCloud", preset: "jumpcloud",
    idp: idp("jumpcloud", "JumpCloud", "https://sso.jumpcloud.com/saml2/rollcall"),
    teams: { Engineering: "Engineers" },
    // Here "Sign Response"; NameID unspecified holding the email; opt-in attributes and the memberOf group attribute.
    response: {
      signResponse: true, signAssertion: false, nameIdFormat: NAMEID.unspecified, nameId: "eve@initech.test",
      attributes: { firstname: "Eve", lastname: "Moneypenny", memberOf: ["Engineers", "All Users"] },
    },
    expected: { email: "eve@initech.test", givenName: "Eve", familyName: "Moneypenny", displayName: null, teams: ["Engineering"] },
  },
  {
    name: "OneLogin", preset: "onelogin",
    idp: idp("onelogin", "https://app.onelogin.com/saml/metadata/1234-5678", "https://initech.onelogin.test/trust/saml2/http-redirect/sso/1234-5678"),
    teams: { Engineering: "Engineering" },
    // The assertion, with SHA-256 (its setup guides' advice); the default parameters.
    response: {
      nameIdFormat: NAMEID.email, nameId: "frank@initech.test",
      attributes: { "User.email": "frank@initech.test", "User.FirstName": "Frank", "User.LastName": "Castle", memberOf: ["Engineering", "Sales"] },
    },
    expected: { email: "frank@initech.test", givenName: "Frank", familyName: "Castle", displayName: null, teams: ["Engineering"] },
  },
  {
    name: "Keycloak", preset: "keycloak",
    idp: idp("keycloak", "https://kc.initech.test/realms/initech", "https://kc.initech.test/realms/initech/protocol/saml"),
    teams: { Engineering: "eng", Operations: "/ops" },
    // The Response only; NameID the username; X500 attributes by OID; one Role element per role, the group list in one.
    response: {
      signResponse: true, signAssertion: false, nameIdFormat: NAMEID.unspecified, nameId: "grace", attributeNameFormat: URI_FORMAT,
      attributes: [
        ["urn:oid:1.2.840.113549.1.9.1", "grace@initech.test"], ["urn:oid:2.5.4.42", "Grace"], ["urn:oid:2.5.4.4", "Hopper"],
        ["Role", "offline_access"], ["Role", "default-roles-initech"], ["Role", "eng"], ["Role", "uma_authorization"], ["member", ["/ops", "/all"]],
      ],
    },
    expected: { email: "grace@initech.test", givenName: "Grace", familyName: "Hopper", displayName: null, teams: ["Engineering", "Operations"] },
  },
  {
    name: "PingFederate", preset: "pingfederate",
    idp: idp("pingfederate", "https://pf.initech.test", "https://pf.initech.test/idp/SSO.saml2"),
    teams: { Engineering: "green" },
    // The Response only, no certificate in KeyInfo; the groups joined into one value.
    response: {
      signResponse: true, signAssertion: false, keyInfo: false, nameIdFormat: NAMEID.unspecified, nameId: "heidi@initech.test",
      attributes: { email: "heidi@initech.test", firstName: "Heidi", lastName: "Klum", groups: "red,green,blue" },
    },
    expected: { email: "heidi@initech.test", givenName: "Heidi", familyName: "Klum", displayName: null, teams: ["Engineering"] },
  },
  {
    name: "PingOne", preset: "pingone",
    idp: idp("pingone", "https://auth.pingone.test/env-1234", "https://auth.pingone.test/env-1234/saml20/idp/sso"),
    teams: { Engineering: "Engineering" },
    // The assertion, not the response; saml_subject is the email; mapped attributes.
    response: {
      nameIdFormat: NAMEID.unspecified, nameId: "ivan@initech.test",
      attributes: { firstName: "Ivan", lastName: "Drago", groups: ["Engineering", "Boxing"] },
    },
    expected: { email: "ivan@initech.test", givenName: "Ivan", familyName: "Drago", displayName: null, teams: ["Engineering"] },
  },
  {
    name: "Auth0", preset: "auth0",
    idp: idp("auth0", "urn:initech.auth0.test", "https://initech.auth0.test/samlp/client-id"),
    // SHA-1 is the add-on's default: the admin allows it (flagged weak) until the add-on is switched to rsa-sha256.
    settings: { allowSha1: true },
    teams: { Engineering: "eng" },
    // The assertion, rsa-sha1/sha1; NameID the Auth0 user id; the default WS claim mappings.
    response: {
      algorithm: "sha1", nameIdFormat: NAMEID.unspecified, nameId: "auth0|64f0c0ffee",
      attributes: {
        [`${WS}nameidentifier`]: "auth0|64f0c0ffee", [`${WS}emailaddress`]: "judy@initech.test", [`${WS}name`]: "Judy Hopps",
        [`${WS}givenname`]: "Judy", [`${WS}surname`]: "Hopps", [`${WS}upn`]: "judy@initech.test",
        "http://schemas.xmlsoap.org/claims/Group": ["eng", "zootopia"],
      },
    },
    expected: { email: "judy@initech.test", givenName: "Judy", familyName: "Hopps", displayName: "Judy Hopps", teams: ["Engineering"] },
  },
  {
    name: "Oracle (OCI IAM)", preset: "oracle",
    idp: idp("oracle", "https://idcs-1234.identity.oraclecloud.test:443/fed", "https://idcs-1234.identity.oraclecloud.test/fed/v1/idp/sso"),
    teams: { Engineering: "Engineering" },
    // Assertion and Response; a transient NameID, so the user key comes from an attribute.
    response: {
      signResponse: true, nameIdFormat: NAMEID.transient, nameId: "_transient-7c1e",
      attributes: { userKey: "ocid1.user.oc1..kim", email: "kim@initech.test", firstName: "Kim", lastName: "Wexler", groups: ["Engineering"] },
    },
    expected: { email: "kim@initech.test", givenName: "Kim", familyName: "Wexler", displayName: null, teams: ["Engineering"] },
  },
];
