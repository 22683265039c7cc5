import { randomUUID } from "node:crypto";
import { EntityManager, IsNull, Not } from "typeorm";
import { Connection, Domain, TeamMapping } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { recordAudit } from "./audit.js";
import { newSpKey, openSpKey, sealSpKey, SealedSpKey, SpKey } from "./saml-key-material.js";
import { conflict, invalid, notFound, uniquely, versionMismatch } from "./errors.js";
import { Actor } from "./records.js";
import { decryptSecret, encryptSecret } from "./secrets.js";
import { timestamp } from "./text.js";

/**
 * SSO connections: an organization's OIDC or SAML settings. An organization may enable several (employees' IdP and
 * partners' IdP, or the old and the new IdP during a move); `/login` sends a person to one by the verified domain of
 * their email (login-routing.ts). The built-in admin login always stays available. Client secrets are encrypted at
 * rest and never leave the server through `publicConnection`.
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
  /**
   * A second attribute whose values count as groups too (AD FS, Entra and Keycloak send roles beside groups): both
   * are matched against the team mappings. Null: none.
   */
  roles: string | null;
  /** Take the user key from this attribute instead of the NameID (a transient NameID, e.g. Oracle Cloud). */
  userKey: string | null;
}

/**
 * Which signatures a response must carry, beyond the rule that always holds: at least one valid signature covers the
 * assertion used (the Response's or the Assertion's own), and every signature present is valid. `any` is that rule
 * alone (IdPs sign the Response, the Assertion or both, and admins rarely know which); the others are stricter opt-ins.
 */
export const requiredSignatures = ["any", "response", "assertion", "both"] as const;
export type RequiredSignature = (typeof requiredSignatures)[number];

export interface SamlSettings {
  idpMetadataUrl: string | null;
  idpMetadataXml: string | null;
  /** Parsed from the metadata: the IdP's entity ID (the assertion Issuer must equal it), SSO URL and certificates. */
  idpEntityId: string;
  idpSsoUrl: string;
  /** PEM bodies of every signing certificate in the metadata (several during a rollover). */
  idpCertificates: string[];
  metadataFetchedAt: string | null;
  requiredSignature: RequiredSignature;
  /**
   * Accept RSA-SHA1 signatures and SHA-1 digests (Auth0's SAML add-on and many OneLogin apps still default to them).
   * Off by default: SHA-1 collisions are practical. The console and Test connection flag a connection that allows it.
   */
  allowSha1: boolean;
  /** Split each groups value on this (PingFederate sends "red,green,blue" in one value); null: values as sent. */
  groupsDelimiter: string | null;
  allowIdpInitiated: boolean;
  nameIdFormat: string;
  disableRequestedAuthnContext: boolean;
  /**
   * The IdP's email (attribute, or an emailAddress NameID) counts as verified, so a first login may link an existing
   * account by it. Only for an IdP whose users cannot choose their own address (an organization's own directory);
   * off unless an admin turns it on.
   */
  trustEmail?: boolean;
  attributes: SamlAttributeNames;
  /** How the IdP takes AuthnRequests, from its metadata (HTTP-Redirect when it offers it; absent on older rows). */
  idpSsoBinding?: SamlBinding;
  /** The IdP's metadata says WantAuthnRequestsSigned="true": our AuthnRequests are then always signed. */
  idpWantsSignedRequests?: boolean;
  /** The admin asks for signed AuthnRequests although the IdP's metadata does not (IdPs that enforce it silently). */
  signAuthnRequests?: boolean;
  /** The SP's own key pairs (saml-keys.ts): the current one, and a next one during a rotation. */
  spKeys?: SpKey[];
  /** From the metadata: the IdP's SingleLogoutService; null or absent when it offers none (no Single Logout then). */
  idpSlo?: IdpSingleLogout | null;
}

export type SamlBinding = "HTTP-Redirect" | "HTTP-POST";

/** Where the IdP takes LogoutRequests (`url`) and LogoutResponses (`responseUrl`, its ResponseLocation if any). */
export interface IdpSingleLogout {
  url: string;
  responseUrl: string;
  binding: SamlBinding;
}

export interface ConnectionRecord {
  id: string;
  organizationId: string;
  type: ConnectionType;
  name: string;
  loginPath: string;
  enabled: boolean;
  /** Where people of a verified domain that names no connection go, when several connections are enabled. */
  isDefault: boolean;
  /**
   * Lets this IdP sign in (just in time) people whose email is outside the organization's verified domains, such as
   * partners. Off by default; it matters only once the organization has a verified domain. Never links by email.
   */
  allowOtherDomains: boolean;
  /** Which IdP's defaults were applied: okta, entra, google, onelogin, jumpcloud, keycloak, oracle or generic. */
  preset: string;
  oidc: OidcSettings | null;
  saml: SamlSettings | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What a caller gives to create a connection; the protocol's settings are complete (presets already applied). */
export interface ConnectionInput {
  type: ConnectionType;
  name: string;
  loginPath: string;
  preset: string;
  oidc?: OidcSettings;
  saml?: SamlSettings;
}

/** A change: any top-level field, or a partial of the protocol's settings (a missing clientSecret keeps the old one). */
export interface ConnectionChange {
  name?: string;
  loginPath?: string;
  /** True makes it the organization's default (and no other connection); false leaves none. */
  isDefault?: boolean;
  allowOtherDomains?: boolean;
  oidc?: Partial<OidcSettings>;
  saml?: Partial<SamlSettings>;
}

/** A login path: letters and digits only, so that `/login/<loginPath>` needs no escaping. */
export const LOGIN_PATH = /^[A-Za-z0-9]{1,64}$/;
const secretPurpose = (id: string) => `connection:${id}:client_secret`;

function checkConnection(c: Omit<ConnectionInput, "preset"> & { preset?: string }) {
  if (!LOGIN_PATH.test(c.loginPath)) throw invalid("loginPath must be 1 to 64 letters or digits (it becomes /login/<loginPath>)");
  if (typeof c.name !== "string" || c.name.trim() === "" || c.name.length > 200) throw invalid("name must be 1 to 200 characters");
  if (c.type === "oidc") {
    const o = c.oidc;
    if (!o) throw invalid("an oidc connection needs oidc settings (issuerUrl, clientId, clientSecret)");
    if (!/^https?:\/\//.test(o.issuerUrl)) throw invalid("oidc.issuerUrl must be an http(s) URL");
    if (!o.clientId) throw invalid("oidc.clientId is required");
    if (!o.clientSecret) throw invalid("oidc.clientSecret is required");
  } else if (c.type === "saml") {
    const s = c.saml;
    if (!s) throw invalid("a saml connection needs the IdP's metadata (URL or XML)");
    if (!s.idpEntityId || !s.idpSsoUrl) throw invalid("the IdP metadata must name an entity ID and a single sign-on URL");
    if (s.idpCertificates.length === 0) throw invalid("the IdP metadata must contain at least one signing certificate");
    if (!(requiredSignatures as readonly string[]).includes(s.requiredSignature)) {
      throw invalid(`saml.requiredSignature must be one of ${requiredSignatures.join(", ")}`);
    }
    if (s.groupsDelimiter !== null && (typeof s.groupsDelimiter !== "string" || s.groupsDelimiter.length < 1 || s.groupsDelimiter.length > 8)) {
      throw invalid("saml.groupsDelimiter must be null or 1 to 8 characters");
    }
    if (/transient/.test(s.nameIdFormat) && !s.attributes.userKey) {
      throw invalid("a transient NameID changes at every login: set saml.attributes.userKey to the attribute that identifies the user");
    }
  } else {
    throw invalid('type must be "oidc" or "saml"');
  }
}

/** `openid` cannot be removed: without it there is no ID token. */
const withOpenId = (scopes: string[]) => (scopes.includes("openid") ? scopes : ["openid", ...scopes]);

export function sealedSettings(key: Buffer, id: string, c: { oidc?: OidcSettings; saml?: SamlSettings }): string {
  if (c.oidc) {
    const { clientSecret, ...rest } = c.oidc;
    return JSON.stringify({ ...rest, scopes: withOpenId(rest.scopes), clientSecret: encryptSecret(key, secretPurpose(id), clientSecret) });
  }
  return JSON.stringify({ ...c.saml, spKeys: (c.saml?.spKeys ?? []).map((k) => sealSpKey(key, id, k)) });
}

export function recordOf(key: Buffer, row: Connection): ConnectionRecord {
  const settings = JSON.parse(row.settings);
  const type = row.type as ConnectionType;
  return {
    id: row.id, organizationId: row.organizationId, type, name: row.name, loginPath: row.loginPath,
    enabled: Boolean(row.enabled), isDefault: Boolean(row.isDefault), allowOtherDomains: Boolean(row.allowOtherDomains), preset: row.preset, version: row.version, createdAt: row.createdAt, updatedAt: row.updatedAt,
    oidc: type === "oidc" ? { ...settings, clientSecret: decryptSecret(key, secretPurpose(row.id), settings.clientSecret) } : null,
    saml: type === "saml" ? { ...settings, spKeys: (settings.spKeys ?? []).map((k: SealedSpKey) => openSpKey(key, row.id, k)) } : null,
  };
}

const loginPathTaken = (path: string) => () => `the login path "${path}" is already used by another connection; choose another`;

export async function createConnection(
  db: Database, key: Buffer, organizationId: string, input: ConnectionInput, actor: Actor,
): Promise<ConnectionRecord> {
  checkConnection(input);
  const id = randomUUID();
  if (input.saml && !input.saml.spKeys?.length) {
    // Every SAML connection has its key pair from the start: its metadata offers encryption and request signing.
    input = { ...input, saml: { ...input.saml, spKeys: [await newSpKey(spKeyName(id), "current")] } };
  }
  const now = timestamp();
  const row: Connection = {
    id, organizationId, type: input.type, name: input.name, loginPath: input.loginPath,
    loginPathNorm: input.loginPath.toLowerCase(), enabled: false, isDefault: false, allowOtherDomains: false, preset: input.preset,
    settings: sealedSettings(key, id, input), version: 1, createdAt: now, updatedAt: now,
  };
  await uniquely(loginPathTaken(input.loginPath), () => db.transaction(async (em) => {
    await em.insert(Connection, row);
    await recordAudit(em, {
      organizationId, actor, action: "connection.created", targetType: "connection", targetId: id,
      summary: { type: input.type, name: input.name, loginPath: input.loginPath, preset: input.preset },
    });
  }));
  return recordOf(key, row);
}

/** The subject of a connection's SP certificates: unique, and telling an IdP admin whose they are. */
export const spKeyName = (connectionId: string) => `Rollcall SAML SP ${connectionId}`;

export async function lockedConnection(em: EntityManager, organizationId: string, id: string, expectedVersion?: number): Promise<Connection> {
  const lock = em.connection.driver.options.type === "postgres" ? { mode: "pessimistic_write" as const } : {};
  const row = await em.findOne(Connection, { where: { id, organizationId }, ...lock });
  if (!row) throw notFound("Connection", id);
  if (expectedVersion !== undefined && row.version !== expectedVersion) throw versionMismatch("Connection", id, row.version);
  return row;
}

export async function updateConnection(
  db: Database, key: Buffer, organizationId: string, id: string, change: ConnectionChange, actor: Actor,
  options: { expectedVersion?: number } = {},
): Promise<ConnectionRecord> {
  return uniquely(loginPathTaken(change.loginPath ?? ""), () => db.transaction(async (em) => {
    const before = recordOf(key, await lockedConnection(em, organizationId, id, options.expectedVersion));
    const next = {
      type: before.type, name: change.name ?? before.name, loginPath: change.loginPath ?? before.loginPath,
      oidc: before.oidc ? { ...before.oidc, ...definedOnly(change.oidc) } : undefined,
      saml: before.saml ? { ...before.saml, ...definedOnly(change.saml) } : undefined,
    };
    checkConnection(next);
    const updated = {
      name: next.name, loginPath: next.loginPath, loginPathNorm: next.loginPath.toLowerCase(),
      isDefault: change.isDefault ?? before.isDefault, allowOtherDomains: change.allowOtherDomains ?? before.allowOtherDomains,
      settings: sealedSettings(key, id, next), version: before.version + 1, updatedAt: timestamp(),
    };
    if (change.isDefault) await em.update(Connection, { organizationId, isDefault: true }, { isDefault: false });
    await em.update(Connection, { id, organizationId }, updated);
    await recordAudit(em, {
      organizationId, actor, action: "connection.updated", targetType: "connection", targetId: id,
      // Names of what changed, never values: a client secret must not reach the audit log.
      summary: { changed: [...Object.keys(definedOnly(change)), ...Object.keys(definedOnly(change.oidc ?? change.saml ?? {}))] },
    });
    return recordOf(key, (await em.findOneBy(Connection, { id }))!);
  }));
}

/** The fields of a change that are given: an undefined one keeps the stored value (null is a value: it clears). */
export function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Enables or disables a connection. A second enabled connection needs a verified domain first: the domains are what
 * route a person to one IdP, and what keep one IdP from linking, by email, people who belong to another.
 */
export async function setConnectionEnabled(
  db: Database, key: Buffer, organizationId: string, id: string, enabled: boolean, actor: Actor,
): Promise<ConnectionRecord> {
  return db.transaction(async (em) => {
    const row = await lockedConnection(em, organizationId, id);
    if (enabled) {
      const other = await em.findOneBy(Connection, { organizationId, enabled: true, id: Not(id) });
      if (other && !(await em.findOneBy(Domain, { organizationId, verifiedName: Not(IsNull()) }))) {
        throw conflict(`connection "${other.name}" (${other.type}) is enabled: to enable a second one, verify the organization's domain first (or disable "${other.name}")`);
      }
    }
    if (Boolean(row.enabled) !== enabled) {
      await em.update(Connection, { id, organizationId }, { enabled, version: row.version + 1, updatedAt: timestamp() });
      await recordAudit(em, {
        organizationId, actor, action: enabled ? "connection.enabled" : "connection.disabled", targetType: "connection",
        targetId: id, summary: { name: row.name },
      });
    }
    return recordOf(key, (await em.findOneBy(Connection, { id }))!);
  });
}

export async function deleteConnection(db: Database, organizationId: string, id: string, actor: Actor): Promise<void> {
  await db.transaction(async (em) => {
    const row = await lockedConnection(em, organizationId, id);
    // Its domains go to the default connection; mappings limited to it would match nothing any more (widening them
    // to every connection would hand its teams to another IdP's users).
    await em.update(Domain, { organizationId, connectionId: id }, { connectionId: null });
    const mappings = await em.find(TeamMapping, { where: { organizationId, connectionId: id } });
    await em.delete(TeamMapping, { organizationId, connectionId: id });
    await em.delete(Connection, { id, organizationId });
    await recordAudit(em, {
      organizationId, actor, action: "connection.deleted", targetType: "connection", targetId: id,
      summary: { name: row.name, loginPath: row.loginPath, ...(mappings.length ? { mappingsRemoved: mappings.map((m) => m.idpGroup) } : {}) },
    });
  });
}

export async function getConnection(db: Database, key: Buffer, organizationId: string, id: string): Promise<ConnectionRecord | null> {
  const row = await db.dataSource.getRepository(Connection).findOneBy({ id, organizationId });
  return row ? recordOf(key, row) : null;
}

export async function listConnections(db: Database, key: Buffer, organizationId: string): Promise<ConnectionRecord[]> {
  const rows = await db.dataSource.getRepository(Connection).find({ where: { organizationId }, order: { createdAt: "ASC" } });
  return rows.map((row) => recordOf(key, row));
}

/** Every organization's connections of one type (background jobs such as the SAML metadata refresh). */
export async function listConnectionsOfType(db: Database, key: Buffer, type: ConnectionType): Promise<ConnectionRecord[]> {
  const rows = await db.dataSource.getRepository(Connection).find({ where: { type }, order: { createdAt: "ASC" } });
  return rows.map((row) => recordOf(key, row));
}

/** The SSO routes carry a connection id or login path, never an organization: the connection names its own. */
export async function findConnection(
  db: Database, key: Buffer, by: { id: string } | { loginPath: string },
): Promise<ConnectionRecord | null> {
  const where = "id" in by ? { id: by.id } : { loginPathNorm: by.loginPath.toLowerCase() };
  if ("id" in by && !/^[0-9a-f-]{36}$/i.test(by.id)) return null;
  const row = await db.dataSource.getRepository(Connection).findOneBy(where);
  return row ? recordOf(key, row) : null;
}
