import { X509Certificate } from "node:crypto";
import { z } from "zod";
import { definedOnly, LOGIN_PATH, requiredSignatures, type ConnectionChange, type ConnectionInput, type ConnectionRecord, type SamlSettings } from "../identity/connections.js";
import { oidcPreset, presetNames, samlPreset } from "./presets.js";
import { ssoPaths } from "./protocol.js";
import { certificateBody, currentFirst, type SpKey } from "../identity/saml-key-material.js";
import { signsAuthnRequests, spUrls } from "./saml/index.js";
import { fetchIdpMetadata, metadataSettings, MetadataSettings, parseIdpMetadata, SamlMetadataError } from "./saml/metadata.js";

/**
 * The one place where what an admin types (the admin API's body, the CLI's options, the console's wizard) becomes
 * the identity core's ConnectionInput or ConnectionChange: the form's schema, the IdP preset's defaults for
 * everything left out, and the SAML metadata fetched or parsed. `publicConnection` is the other direction: what an
 * admin is shown of a connection, with the URLs to paste into the IdP and never the client secret.
 */

const name = z.string().trim().min(1).max(200);
const loginPath = z.string().regex(LOGIN_PATH, "must be 1 to 64 letters or digits (it becomes /login/<loginPath>)");
const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });
const attributeName = z.string().trim().min(1).max(512);
const preset = z.enum(presetNames);

const oidcFields = {
  issuerUrl: httpUrl.meta({ description: "Discovery base; Okta needs the authorization server's URL (…/oauth2/default)" }),
  clientId: z.string().trim().min(1).max(512),
  clientSecret: z.string().min(1).max(4096).meta({ description: "Write-only: never returned" }),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, "must be a scope name")).max(50)
    .meta({ description: "openid is always added" }),
  claimMappings: z.strictObject({ name: attributeName, email: attributeName, groups: attributeName }).partial()
    .meta({ description: "Claim names; the preset's for those left out" }),
};

const samlFields = {
  idpMetadataUrl: httpUrl.meta({ description: "Fetched now and again daily, so certificate rollovers arrive by themselves" }),
  idpMetadataXml: z.string().min(1).max(1024 * 1024),
  requiredSignature: z.enum(requiredSignatures).meta({
    description: "any (default): a valid signature on the Response or the Assertion, and every signature present valid; response, assertion or both: also require that one",
  }),
  allowSha1: z.boolean().meta({ description: "Accept RSA-SHA1/SHA-1 signatures (weak; Auth0's and some OneLogin apps' default). Off by default" }),
  groupsDelimiter: z.string().min(1).max(8).nullable()
    .meta({ description: "Split each groups value on this (PingFederate sends \"red,green,blue\"); null: values as sent" }),
  allowIdpInitiated: z.boolean(),
  trustEmail: z.boolean().meta({ description: "Link first logins to existing accounts by the IdP's email (only for a directory whose users cannot set their own address)" }),
  signAuthnRequests: z.boolean().meta({ description: "Sign AuthnRequests with the SP key even when the IdP's metadata does not ask for it (WantAuthnRequestsSigned)" }),
  nameIdFormat: z.string().trim().min(1).max(256),
  disableRequestedAuthnContext: z.boolean(),
  attributes: z.strictObject({
    email: attributeName, name: attributeName, firstName: attributeName, lastName: attributeName, groups: attributeName,
    roles: attributeName.nullable().meta({ description: "A second attribute whose values count as groups (roles)" }),
    userKey: attributeName.nullable(),
  }).partial().meta({ description: "Attribute names; the preset's for those left out" }),
};

const oneMetadataSource = (s: { idpMetadataUrl?: string; idpMetadataXml?: string }) => !(s.idpMetadataUrl && s.idpMetadataXml);
const bothSources = { message: "give the IdP metadata as idpMetadataUrl or as idpMetadataXml, not both", path: ["idpMetadataXml"] };

/** A new connection, as an admin gives it. Everything but the IdP's own values may be left to the preset. */
export const connectionFormSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("oidc"), name, loginPath, preset: preset.default("generic"),
    oidc: z.strictObject({ ...oidcFields, scopes: oidcFields.scopes.optional(), claimMappings: oidcFields.claimMappings.optional() }),
  }),
  z.strictObject({
    type: z.literal("saml"), name, loginPath, preset: preset.default("generic"),
    saml: z.strictObject(samlFields).partial().refine(oneMetadataSource, bothSources)
      .refine((s) => s.idpMetadataUrl || s.idpMetadataXml, { message: "the IdP metadata is required: give idpMetadataUrl or idpMetadataXml", path: ["idpMetadataUrl"] }),
  }),
]);
export type ConnectionForm = z.output<typeof connectionFormSchema>;

/** A change: any field; a left-out clientSecret keeps the stored one, new IdP metadata replaces the old. */
export const connectionChangeSchema = z.strictObject({
  name, loginPath,
  isDefault: z.boolean().meta({ description: "true: people of a verified domain that names no connection go here (and to no other default)" }),
  allowOtherDomains: z.boolean().meta({ description: "Admit (just in time) people whose email is outside the organization's verified domains (partners); never links by email" }),
  oidc: z.strictObject(oidcFields).partial(),
  saml: z.strictObject(samlFields).partial().refine(oneMetadataSource, bothSources),
}).partial();
export type ConnectionChangeForm = z.output<typeof connectionChangeSchema>;

export interface SetupOptions {
  /** See SsoDeps.allowInsecureIdp. */
  allowInsecureIdp: boolean;
}

/** A refusal of one field of the form that no schema could know (metadata that cannot be fetched or read). */
const fieldError = (path: string[], message: string) => new z.ZodError([{ code: "custom", path, message, input: undefined }]);

/** The IdP's entity ID, SSO URL and certificates, from the metadata URL (fetched now) or XML given. */
async function metadataOf(source: { idpMetadataUrl?: string; idpMetadataXml?: string }, options: SetupOptions): Promise<MetadataSettings> {
  const field = source.idpMetadataUrl ? "idpMetadataUrl" : "idpMetadataXml";
  try {
    if (source.idpMetadataUrl) {
      const { metadata } = await fetchIdpMetadata(source.idpMetadataUrl, { allowInsecureIdp: options.allowInsecureIdp });
      return metadataSettings(metadata, new Date().toISOString());
    }
    return metadataSettings(parseIdpMetadata(source.idpMetadataXml!), null);
  } catch (err) {
    if (err instanceof SamlMetadataError) throw fieldError(["saml", field], err.message);
    throw err;
  }
}

/** The form's metadata source, and what was read from it, as stored settings (a new source replaces the old one). */
async function metadataSource(saml: { idpMetadataUrl?: string; idpMetadataXml?: string }, options: SetupOptions) {
  return {
    idpMetadataUrl: saml.idpMetadataUrl ?? null,
    idpMetadataXml: saml.idpMetadataXml ?? null,
    ...await metadataOf(saml, options),
  };
}

/** A validated form (parse it with connectionFormSchema) as a complete ConnectionInput. */
export async function connectionInputFrom(form: ConnectionForm, options: SetupOptions): Promise<ConnectionInput> {
  const common = { type: form.type, name: form.name, loginPath: form.loginPath, preset: form.preset };
  if (form.type === "oidc") {
    const defaults = oidcPreset(form.preset);
    const { scopes, claimMappings, ...given } = form.oidc;
    return { ...common, oidc: { ...given, scopes: scopes ?? defaults.scopes, claimMappings: { ...defaults.claimMappings, ...claimMappings } } };
  }
  const defaults = samlPreset(form.preset);
  const { idpMetadataUrl, idpMetadataXml, attributes, ...given } = form.saml;
  const saml: SamlSettings = {
    ...defaults, allowIdpInitiated: false, trustEmail: false, signAuthnRequests: false, ...given,
    ...await metadataSource({ idpMetadataUrl, idpMetadataXml }, options),
    attributes: { ...defaults.attributes, ...attributes },
  };
  return { ...common, saml };
}

/** A validated change (connectionChangeSchema) of an existing connection as a ConnectionChange. */
export async function connectionChangeFrom(change: ConnectionChangeForm, current: ConnectionRecord, options: SetupOptions): Promise<ConnectionChange> {
  const other = current.type === "oidc" ? "saml" : "oidc";
  if (change[other]) throw fieldError([other], `this is an ${current.type.toUpperCase()} connection: change its ${current.type} settings`);
  const { oidc, saml, ...top } = change;
  if (oidc && current.oidc) {
    const { claimMappings, ...given } = oidc;
    return { ...top, oidc: { ...given, ...(claimMappings ? { claimMappings: { ...current.oidc.claimMappings, ...claimMappings } } : {}) } };
  }
  if (saml && current.saml) {
    const { idpMetadataUrl, idpMetadataXml, attributes, ...given } = saml;
    return {
      ...top,
      saml: {
        ...given,
        ...(idpMetadataUrl || idpMetadataXml ? await metadataSource({ idpMetadataUrl, idpMetadataXml }, options) : {}),
        ...(attributes ? { attributes: { ...current.saml.attributes, ...definedOnly(attributes) } } : {}),
      },
    };
  }
  return top;
}

const certificateSchema = z.object({ subject: z.string(), notAfter: z.string(), fingerprintSha256: z.string() });
const spCertificateSchema = certificateSchema.extend({
  state: z.enum(["current", "next"]).meta({ description: "current: signs and decrypts; next: published beside it during a rotation, decrypts too" }),
  certificate: z.string().meta({ description: "PEM, to upload at IdPs that do not import the SP metadata" }),
  daysToExpiry: z.number().int(),
});

/** What an admin sees of a connection. The client secret is never part of it, only whether one is set. */
export const publicConnectionSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  type: z.enum(["oidc", "saml"]),
  name: z.string(),
  loginPath: z.string(),
  enabled: z.boolean(),
  isDefault: z.boolean().meta({ description: "Where people of a verified domain that names no connection are sent" }),
  allowOtherDomains: z.boolean().meta({ description: "Admits (just in time) people whose email is outside the organization's verified domains" }),
  preset: z.string(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  loginUrl: z.string().meta({ description: "Generated: where users start signing in" }),
  callbackUrl: z.string().meta({ description: "Generated: the OIDC redirect URI or the SAML ACS URL to register at the IdP" }),
  spEntityId: z.string().nullable().meta({ description: "Generated (SAML): the SP entity ID / audience to register at the IdP" }),
  spMetadataUrl: z.string().nullable().meta({ description: "Generated (SAML): this SP's metadata, which some IdPs import" }),
  oidc: z.object({
    issuerUrl: z.string(), clientId: z.string(), clientSecretSet: z.boolean(), scopes: z.array(z.string()),
    claimMappings: z.object({ name: z.string(), email: z.string(), groups: z.string() }),
  }).nullable(),
  saml: z.object({
    idpMetadataUrl: z.string().nullable(), idpEntityId: z.string(), idpSsoUrl: z.string(),
    idpCertificates: z.array(certificateSchema), metadataFetchedAt: z.string().nullable(),
    requiredSignature: z.enum(requiredSignatures), allowSha1: z.boolean(), groupsDelimiter: z.string().nullable(),
    allowIdpInitiated: z.boolean(), trustEmail: z.boolean(), nameIdFormat: z.string(), disableRequestedAuthnContext: z.boolean(),
    idpSsoBinding: z.enum(["HTTP-Redirect", "HTTP-POST"]).meta({ description: "From the IdP metadata: how AuthnRequests are sent" }),
    idpWantsSignedRequests: z.boolean().meta({ description: "From the IdP metadata (WantAuthnRequestsSigned)" }),
    signAuthnRequests: z.boolean(),
    idpSlo: z.object({ url: z.string(), responseUrl: z.string(), binding: z.enum(["HTTP-Redirect", "HTTP-POST"]) }).nullable()
      .meta({ description: "From the IdP metadata: its SingleLogoutService (null: the IdP offers no Single Logout)" }),
    spSloUrl: z.string().meta({ description: "Generated: this SP's Single Logout endpoint (HTTP-Redirect and HTTP-POST), also in its metadata" }),
    authnRequestsSigned: z.boolean().meta({ description: "Generated: whether AuthnRequests are signed (the IdP or the admin asks)" }),
    spCertificates: z.array(spCertificateSchema).meta({ description: "Generated: this SP's certificates, also in its metadata; the current one first" }),
    attributes: z.object({
      email: z.string(), name: z.string(), firstName: z.string(), lastName: z.string(), groups: z.string(), roles: z.string().nullable(),
      userKey: z.string().nullable(),
    }),
  }).nullable(),
}).meta({ id: "Connection" });
export type PublicConnection = z.infer<typeof publicConnectionSchema>;

function certificateSummary(body: string): z.infer<typeof certificateSchema> {
  const cert = new X509Certificate(Buffer.from(body, "base64"));
  return { subject: cert.subject, notAfter: new Date(cert.validTo).toISOString(), fingerprintSha256: cert.fingerprint256 };
}

function spCertificateSummary(key: SpKey): z.infer<typeof spCertificateSchema> {
  const summary = certificateSummary(certificateBody(key.certificate));
  return { ...summary, state: key.state, certificate: key.certificate, daysToExpiry: Math.floor((Date.parse(summary.notAfter) - Date.now()) / 86_400_000) };
}

export function publicConnection(c: ConnectionRecord, baseUrl: string): PublicConnection {
  const paths = ssoPaths(c.id);
  const sp = c.type === "saml" ? spUrls(baseUrl, c.id) : null;
  return {
    id: c.id, organizationId: c.organizationId, type: c.type, name: c.name, loginPath: c.loginPath, enabled: c.enabled,
    isDefault: c.isDefault, allowOtherDomains: c.allowOtherDomains, preset: c.preset, version: c.version, createdAt: c.createdAt, updatedAt: c.updatedAt,
    loginUrl: `${baseUrl}/login/${c.loginPath}`,
    callbackUrl: sp ? sp.acs : baseUrl + paths.oidcCallback,
    spEntityId: sp?.entityId ?? null,
    spMetadataUrl: sp ? baseUrl + paths.samlMetadata : null,
    oidc: c.oidc && {
      issuerUrl: c.oidc.issuerUrl, clientId: c.oidc.clientId, clientSecretSet: c.oidc.clientSecret !== "",
      scopes: c.oidc.scopes, claimMappings: c.oidc.claimMappings,
    },
    saml: c.saml && {
      idpMetadataUrl: c.saml.idpMetadataUrl, idpEntityId: c.saml.idpEntityId, idpSsoUrl: c.saml.idpSsoUrl,
      idpCertificates: c.saml.idpCertificates.map(certificateSummary), metadataFetchedAt: c.saml.metadataFetchedAt,
      requiredSignature: c.saml.requiredSignature, allowSha1: c.saml.allowSha1, groupsDelimiter: c.saml.groupsDelimiter,
      allowIdpInitiated: c.saml.allowIdpInitiated, trustEmail: c.saml.trustEmail === true, nameIdFormat: c.saml.nameIdFormat,
      disableRequestedAuthnContext: c.saml.disableRequestedAuthnContext, attributes: c.saml.attributes,
      idpSsoBinding: c.saml.idpSsoBinding ?? "HTTP-Redirect", idpWantsSignedRequests: c.saml.idpWantsSignedRequests === true,
      signAuthnRequests: c.saml.signAuthnRequests === true, authnRequestsSigned: signsAuthnRequests(c.saml),
      idpSlo: c.saml.idpSlo ?? null, spSloUrl: sp!.slo,
      spCertificates: currentFirst(c.saml.spKeys ?? []).map(spCertificateSummary),
    },
  };
}

/** The address that runs a "test connection" dry run: opened in a browser by an admin of the organization. */
export const testLoginUrl = (c: ConnectionRecord, baseUrl: string) => `${baseUrl}/login/${c.loginPath}?test=1`;
