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
      groups: "Client scopes › dedicated scope › Add mapper › Group list, attribute name groups",
    },
    scim: null,
    scimNote: "Keycloak has no built-in SCIM client (extensions exist): without one, users are created at their first SSO login (JIT).",
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
