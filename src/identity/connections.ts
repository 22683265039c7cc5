/**
 * SSO connections: an organization's OIDC or SAML settings. At most one connection of an org is enabled at a time
 * (the built-in admin login always stays available). Client secrets are encrypted at rest and never leave the server
 * through `publicConnection`.
 */

export type ConnectionType = "oidc" | "saml";

export interface ClaimMappings {
  /** Claim names in the ID token / userinfo (OIDC) or attribute names (SAML), matched case-insensitively. */
  name: string;
  email: string;
  groups: string;
}

export interface OidcSettings {
  issuerUrl: string;
  clientId: string;
  /** Decrypted; only server code sees it. */
  clientSecret: string;
  /** Always contains `openid`. */
  scopes: string[];
  claimMappings: ClaimMappings;
}

export interface SamlAttributeNames {
  email: string;
  name: string;
  firstName: string;
  lastName: string;
  groups: string;
  /** Take the user key from this attribute instead of the NameID (a transient NameID, e.g. Oracle Cloud). */
  userKey: string | null;
}

export interface SamlSettings {
  idpMetadataUrl: string | null;
  idpMetadataXml: string | null;
  /** Parsed from the metadata: the IdP's entity ID (the assertion Issuer must equal it), SSO URL and certificates. */
  idpEntityId: string;
  idpSsoUrl: string;
  /** PEM bodies of every signing certificate in the metadata (several during a rollover). */
  idpCertificates: string[];
  metadataFetchedAt: string | null;
  wantResponseSigned: boolean;
  allowIdpInitiated: boolean;
  nameIdFormat: string;
  disableRequestedAuthnContext: boolean;
  attributes: SamlAttributeNames;
}

export interface ConnectionRecord {
  id: string;
  organizationId: string;
  type: ConnectionType;
  name: string;
  loginPath: string;
  enabled: boolean;
  /** Which IdP's defaults were applied: okta, entra, google, onelogin, jumpcloud, keycloak, oracle or generic. */
  preset: string;
  oidc: OidcSettings | null;
  saml: SamlSettings | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}
