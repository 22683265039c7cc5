import type { ConnectionType } from "../identity/connections.js";

/**
 * What the connection wizard tells an admin for each identity provider: which kind of app to create there, what
 * that IdP calls each field our generated values go into, and where it shows the values to bring back. Only words:
 * the settings each IdP needs (claim names, NameID formats) are the presets of src/sso/presets.ts.
 */

export interface IdpGuide {
  key: string;
  label: string;
  /** src/sso/presets.ts name. */
  preset: string;
  protocols: ConnectionType[];
  oidc?: { app: string; redirectUri: string; issuer: string; client: string; groups: string };
  saml?: { app: string; acs: string; entityId: string; metadata: string; groups: string };
  /** Null when the IdP cannot push to a custom app over SCIM. */
  scim: { app: string; baseUrl: string; token: string } | null;
  scimNote?: string;
}

export const IDP_GUIDES: IdpGuide[] = [
  {
    key: "okta", label: "Okta", preset: "okta", protocols: ["oidc", "saml"],
    oidc: {
      app: "Applications › Create App Integration › OIDC - OpenID Connect › Web Application",
      redirectUri: "Sign-in redirect URIs",
      issuer: "Your authorization server's issuer, e.g. https://acme.okta.com/oauth2/default (Security › API), not the Okta domain alone",
      client: "General › Client Credentials: Client ID and Client secret",
      groups: "Sign On › OpenID Connect ID Token › Groups claim filter: name groups, Matches regex .*",
    },
    saml: {
      app: "Applications › Create App Integration › SAML 2.0",
      acs: "Single sign-on URL", entityId: "Audience URI (SP Entity ID)",
      metadata: "Sign On › Metadata URL",
      groups: "Group Attribute Statements: name groups, filter Matches regex .*",
    },
    scim: { app: "General › Provisioning: SCIM; then Provisioning › Integration, Authentication Mode HTTP Header", baseUrl: "SCIM connector base URL", token: "HTTP Header › Authorization (Bearer)" },
  },
  {
    key: "entra", label: "Microsoft Entra ID", preset: "entra", protocols: ["oidc", "saml"],
    oidc: {
      app: "App registrations › New registration (Web platform)",
      redirectUri: "Redirect URI (Web)",
      issuer: "https://login.microsoftonline.com/<tenant id>/v2.0",
      client: "Overview › Application (client) ID; Certificates & secrets › New client secret (the Value)",
      groups: "Token configuration › Add groups claim (Security groups; sent as object ids: give each mapped id an alias)",
    },
    saml: {
      app: "Enterprise applications › New application › Create your own application (non-gallery) › Single sign-on › SAML",
      acs: "Reply URL (Assertion Consumer Service URL)", entityId: "Identifier (Entity ID)",
      metadata: "SAML Certificates › App Federation Metadata Url",
      groups: "Attributes & Claims › Add a group claim (sent as object ids: give each mapped id an alias)",
    },
    scim: { app: "The same enterprise application › Provisioning › Automatic", baseUrl: "Tenant URL", token: "Secret Token" },
  },
  {
    key: "google", label: "Google Workspace", preset: "google", protocols: ["saml", "oidc"],
    saml: {
      app: "Admin console › Apps › Web and mobile apps › Add app › Add custom SAML app",
      acs: "ACS URL", entityId: "Entity ID",
      metadata: "Google Identity Provider details › Download metadata (paste the XML: Google publishes no metadata URL)",
      groups: "Attribute mapping › Group membership: app attribute groups",
    },
    oidc: {
      app: "Google Cloud console › APIs & Services › Credentials › Create OAuth client ID › Web application",
      redirectUri: "Authorized redirect URIs",
      issuer: "https://accounts.google.com",
      client: "The OAuth client's Client ID and Client secret",
      groups: "Google sends no groups claim over OIDC: use SAML, or assign teams by hand",
    },
    scim: null,
    scimNote: "Google Workspace provisions over SCIM only to apps of its own catalogue, not to a custom app: create users by their first SSO login (JIT).",
  },
  {
    key: "onelogin", label: "OneLogin", preset: "onelogin", protocols: ["saml", "oidc"],
    saml: {
      app: "Applications › Add App › SCIM Provisioner with SAML (SCIM v2 Enterprise)",
      acs: "ACS (Consumer) URL and Recipient", entityId: "Audience (EntityID)",
      metadata: "SSO › Issuer URL",
      groups: "Parameters › add memberOf (include in SAML assertion)",
    },
    oidc: {
      app: "Applications › Add App › OpenId Connect (OIDC)",
      redirectUri: "Redirect URI's",
      issuer: "https://<subdomain>.onelogin.com/oidc/2",
      client: "SSO › Client ID and Client Secret (token endpoint authentication: POST)",
      groups: "Parameters › Groups: include in the ID token",
    },
    scim: { app: "The same app › Configuration", baseUrl: "SCIM Base URL", token: "SCIM Bearer Token" },
  },
  {
    key: "jumpcloud", label: "JumpCloud", preset: "jumpcloud", protocols: ["saml", "oidc"],
    saml: {
      app: "SSO Applications › Add New Application › Custom Application › Manage Single Sign-On (SSO) › SAML",
      acs: "ACS URLs", entityId: "SP Entity ID",
      metadata: "Export Metadata (paste the XML)",
      groups: "Group Attributes › include group attribute, name memberOf",
    },
    oidc: {
      app: "SSO Applications › Add New Application › Custom Application › OIDC",
      redirectUri: "Redirect URIs",
      issuer: "https://oauth.id.jumpcloud.com/",
      client: "Shown once when the app is saved: Client ID and Client Secret",
      groups: "Attribute mapping › include group attribute, name groups",
    },
    scim: { app: "The same app › Identity Management › SCIM 2.0", baseUrl: "Base URL", token: "Token Key (Bearer)" },
  },
  {
    key: "keycloak", label: "Keycloak", preset: "keycloak", protocols: ["oidc", "saml"],
    oidc: {
      app: "Clients › Create client › OpenID Connect, Client authentication on",
      redirectUri: "Valid redirect URIs",
      issuer: "https://<host>/realms/<realm>",
      client: "The client's Client ID; Credentials › Client secret",
      groups: "Client scopes › dedicated scope › Add mapper › Group Membership, token claim name groups, Full group path off",
    },
    saml: {
      app: "Clients › Create client › SAML",
      acs: "Assertion Consumer Service POST Binding URL", entityId: "Client ID",
      metadata: "https://<host>/realms/<realm>/protocol/saml/descriptor",
      groups: "Roles arrive by default (attribute Role, one element per role); for groups: Client scopes › dedicated scope › Add mapper › Group list (attribute member; Full group path off, or map /group paths); names: Add predefined mappers › X500 email, givenName, surname",
    },
    scim: null,
    scimNote: "Keycloak has no built-in SCIM client (extensions exist): without one, users are created at their first SSO login (JIT).",
  },
  {
    key: "adfs", label: "AD FS", preset: "adfs", protocols: ["saml"],
    saml: {
      app: "AD FS Management › Relying Party Trusts › Add Relying Party Trust › Claims aware › Import data about the relying party published online (the SP metadata URL)",
      acs: "Endpoints › SAML Assertion Consumer Endpoint (POST)", entityId: "Identifiers › Relying party trust identifier",
      metadata: "https://<AD FS host>/FederationMetadata/2007-06/FederationMetadata.xml",
      groups: "Edit Claim Issuance Policy › Send LDAP Attributes as Claims: E-Mail-Addresses → E-Mail Address, Given-Name → Given Name, Surname → Surname, Token-Groups - Unqualified Names → Group claim type http://schemas.microsoft.com/ws/2008/06/identity/claims/groups (or → Role); then Transform an Incoming Claim: E-Mail Address → Name ID",
    },
    scim: null,
    scimNote: "AD FS does not provision over SCIM: users are created at their first SSO login (JIT), or by another SCIM client (Entra ID Connect, a sync tool).",
  },
  {
    key: "pingfederate", label: "PingFederate", preset: "pingfederate", protocols: ["saml"],
    saml: {
      app: "Applications › SP Connections › Create Connection › Browser SSO profiles, SAML 2.0 (import the SP metadata URL)",
      acs: "Protocol Settings › Assertion Consumer Service URL (POST)", entityId: "Partner's Entity ID (Connection ID)",
      metadata: "System › Protocol Metadata › Metadata Export, or https://<host>/pf/federation_metadata.ping?PartnerSpId=<SP entity ID>",
      groups: "Attribute Contract: extend with email, firstName, lastName and groups (a multi-valued source joined as \"red,green,blue\" is split on commas: clear the delimiter if your group names contain commas, e.g. LDAP DNs)",
    },
    scim: { app: "Applications › SP Connections › Outbound Provisioning (SCIM connector)", baseUrl: "SCIM URL", token: "OAuth 2 Bearer Token" },
  },
  {
    key: "pingone", label: "PingOne", preset: "pingone", protocols: ["saml"],
    saml: {
      app: "Applications › Add Application › SAML Application (import the SP metadata URL)",
      acs: "ACS URLs", entityId: "Entity ID",
      metadata: "Configuration › Download Metadata, or the IdP Metadata URL shown there",
      groups: "Attribute Mappings: saml_subject Email Address (the email), add firstName, lastName and groups ← Group Names",
    },
    scim: { app: "Integrations › Provisioning › New Connection › SCIM Outbound", baseUrl: "SCIM Base URL", token: "OAuth Bearer Token" },
  },
  {
    key: "auth0", label: "Auth0", preset: "auth0", protocols: ["saml"],
    saml: {
      app: "Applications › Create Application › Regular Web Application › Addons › SAML2 Web App; in its Settings add \"signatureAlgorithm\": \"rsa-sha256\" and \"digestAlgorithm\": \"sha256\" (the add-on signs with SHA-1 otherwise, which Rollcall refuses unless the connection allows SHA-1)",
      acs: "Application Callback URL", entityId: "Settings › audience",
      metadata: "Addons › SAML2 Web App › Usage › Identity Provider Metadata (download, or its URL)",
      groups: "Sent as http://schemas.xmlsoap.org/claims/Group when the user's connection has groups (AD/LDAP, enterprise connections) or an Action sets user.groups",
    },
    scim: null,
    scimNote: "Auth0 does not provision to apps over SCIM: users are created at their first SSO login (JIT).",
  },
  {
    key: "oidc", label: "Other OpenID Connect IdP", preset: "generic", protocols: ["oidc"],
    oidc: {
      app: "A web application (confidential client) using the authorization code flow",
      redirectUri: "Redirect URI", issuer: "The issuer URL (where /.well-known/openid-configuration is served)",
      client: "The client id and client secret", groups: "A groups claim in the ID token, requested with the groups scope if the IdP has one",
    },
    scim: { app: "The IdP's SCIM 2.0 provisioning settings", baseUrl: "SCIM base URL", token: "Bearer token" },
  },
  {
    key: "saml", label: "Other SAML 2.0 IdP", preset: "generic", protocols: ["saml"],
    saml: {
      app: "A SAML 2.0 service provider (SP) with HTTP-POST binding and a signed assertion",
      acs: "Assertion Consumer Service (ACS) URL", entityId: "SP entity ID / audience",
      metadata: "The IdP metadata URL, or its XML", groups: "An attribute named groups with one value per group",
    },
    scim: { app: "The IdP's SCIM 2.0 provisioning settings", baseUrl: "SCIM base URL", token: "Bearer token" },
  },
];

/** The guide of a wizard key (`okta`, `entra`…, `oidc`, `saml`), or of a saved connection's preset and type. */
export function guideOf(key: string, type?: ConnectionType): IdpGuide | undefined {
  return IDP_GUIDES.find((g) => g.key === key)
    ?? (type ? IDP_GUIDES.find((g) => g.preset === key && g.protocols.includes(type)) ?? IDP_GUIDES.find((g) => g.key === type) : undefined);
}
