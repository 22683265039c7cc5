/** What a protocol module hands the identity core after it has verified an IdP's response. */
export interface IdpProfile {
  /** OIDC `iss` or the SAML assertion Issuer. */
  issuer: string;
  /** OIDC `sub` (Entra: `tid:oid`), or the SAML persistent NameID or configured key attribute. */
  subject: string;
  email: string | null;
  /** OIDC `email_verified`; for SAML, true only when the connection says its IdP verifies emails. */
  emailVerified: boolean;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  /** The groups claim, always an array (a single SAML value arrives as a string). */
  groups: string[];
  /** The IdP said the groups did not fit (Entra overage): fail closed rather than treat the user as group-less. */
  groupsOverage: boolean;
  /** Everything the IdP sent, for the "test connection" page. Never logged. */
  raw: Record<string, unknown>;
}
