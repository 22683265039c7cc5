import { randomBytes } from "node:crypto";
import { EntityManager } from "typeorm";
import { Connection, OpClient, Organization } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { recordAudit } from "./audit.js";
import { newSecret, secretDigest } from "./bearer-secrets.js";
import { invalid, notFound } from "./errors.js";
import { Actor } from "./records.js";
import { timestamp } from "./text.js";

/**
 * Apps that sign in through Rollcall's OpenID Provider, registered by the operator (admin API, CLI). An app proves
 * itself with a client secret (shown once, kept as a SHA-256 digest like our other bearer secrets) or with a JWT
 * signed by its own key (`private_key_jwt`, public keys registered here). It may be limited to some organizations
 * and pinned to one connection. Instance-level: the audit events belong to no organization.
 */

export const CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];
const usesSecret = (method: ClientAuthMethod) => method !== "private_key_jwt";

export interface OpClientRecord {
  clientId: string;
  name: string;
  authMethod: ClientAuthMethod;
  /** Public JWKs (private_key_jwt). */
  jwks: { keys: Record<string, unknown>[] } | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** Null: users of every organization may sign in. */
  organizationIds: string[] | null;
  connectionId: string | null;
  backchannelLogoutUri: string | null;
  refreshTokens: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface OpClientInput {
  name: string;
  authMethod?: ClientAuthMethod;
  jwks?: { keys: Record<string, unknown>[] } | null;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  organizationIds?: string[] | null;
  connectionId?: string | null;
  backchannelLogoutUri?: string | null;
  refreshTokens?: boolean;
}

/** The row with its secret's digest, for client authentication (src/apps/op/adapter.ts). */
export type OpClientWithSecret = OpClientRecord & { secretHash: string | null };

const list = (json: string | null) => (json ? (JSON.parse(json) as string[]) : []);

function recordOf(row: OpClient): OpClientWithSecret {
  return {
    clientId: row.id, name: row.name, authMethod: row.authMethod as ClientAuthMethod, jwks: row.jwks ? JSON.parse(row.jwks) : null,
    redirectUris: list(row.redirectUris), postLogoutRedirectUris: list(row.postLogoutRedirectUris),
    organizationIds: row.organizationIds === null ? null : list(row.organizationIds), connectionId: row.connectionId,
    backchannelLogoutUri: row.backchannelLogoutUri, refreshTokens: Boolean(row.refreshTokens), createdAt: row.createdAt,
    updatedAt: row.updatedAt, secretHash: row.secretHash,
  };
}

const withoutSecret = ({ secretHash: _s, ...record }: OpClientWithSecret): OpClientRecord => record;

/** An absolute http(s) URL without a fragment (RFC 6749 §3.1.2); plain http is the app's choice (loopback development). */
function checkUrl(what: string, value: string) {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`${what} must be absolute URLs: ${JSON.stringify(value)}`);
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.hash || value.length > 2000) {
    throw invalid(`${what} must be http(s) URLs without a fragment: ${JSON.stringify(value)}`);
  }
}

async function checkInput(em: EntityManager, input: Required<OpClientInput>) {
  if (typeof input.name !== "string" || !input.name.trim() || input.name.length > 200) throw invalid("name must be 1 to 200 characters");
  if (!input.redirectUris.length) throw invalid("an app needs at least one redirect URI");
  for (const uri of input.redirectUris) checkUrl("redirect URIs", uri);
  for (const uri of input.postLogoutRedirectUris) checkUrl("post-logout redirect URIs", uri);
  if (input.backchannelLogoutUri) checkUrl("the back-channel logout URI", input.backchannelLogoutUri);
  if (!CLIENT_AUTH_METHODS.includes(input.authMethod)) throw invalid(`authMethod must be one of ${CLIENT_AUTH_METHODS.join(", ")}`);
  if (input.authMethod === "private_key_jwt" && !input.jwks?.keys?.length) throw invalid("private_key_jwt needs the app's public keys (jwks)");
  if (input.organizationIds) {
    const found = await em.countBy(Organization, input.organizationIds.map((id) => ({ id })));
    if (!input.organizationIds.length || found !== new Set(input.organizationIds).size) throw invalid("organizationIds must name existing organizations (or be null for all)");
  }
  if (input.connectionId) {
    const connection = await em.findOneBy(Connection, { id: input.connectionId });
    if (!connection) throw invalid(`no connection ${input.connectionId}`);
    if (input.organizationIds && !input.organizationIds.includes(connection.organizationId)) throw invalid("the connection belongs to an organization the app is not open to");
  }
}

const columns = (input: Required<OpClientInput>) => ({
  name: input.name.trim(), authMethod: input.authMethod, jwks: input.jwks ? JSON.stringify(input.jwks) : null,
  redirectUris: JSON.stringify(input.redirectUris), postLogoutRedirectUris: JSON.stringify(input.postLogoutRedirectUris),
  organizationIds: input.organizationIds ? JSON.stringify([...new Set(input.organizationIds)]) : null,
  connectionId: input.connectionId, backchannelLogoutUri: input.backchannelLogoutUri, refreshTokens: input.refreshTokens,
});

const complete = (input: OpClientInput): Required<OpClientInput> => ({
  authMethod: "client_secret_basic", jwks: null, postLogoutRedirectUris: [], organizationIds: null, connectionId: null,
  backchannelLogoutUri: null, refreshTokens: false, ...input,
});

/** What the audit log keeps of a client: everything but keys. */
const described = (c: OpClientRecord) => ({ ...c, jwks: c.jwks ? c.jwks.keys.map((k) => k.kid ?? null) : null });

/** Registers an app; the secret (client_secret_basic) is in the answer only. */
export async function createOpClient(db: Database, input: OpClientInput, actor: Actor): Promise<{ client: OpClientRecord; secret: string | null }> {
  const full = complete(input);
  const secret = usesSecret(full.authMethod) ? newSecret("rcc_") : null;
  const clientId = `app_${randomBytes(12).toString("base64url")}`;
  return db.transaction(async (em) => {
    await checkInput(em, full);
    const now = timestamp();
    await em.insert(OpClient, { id: clientId, ...columns(full), secretHash: secret ? secretDigest(secret) : null, createdAt: now, updatedAt: now });
    const client = withoutSecret(recordOf((await em.findOneBy(OpClient, { id: clientId }))!));
    await recordAudit(em, { organizationId: null, actor, action: "op_client.created", targetType: "op_client", targetId: clientId, summary: described(client) });
    return { client, secret };
  });
}

async function lockedClient(em: EntityManager, clientId: string): Promise<OpClient> {
  const row = await em.findOne(OpClient, { where: { id: clientId }, ...(em.connection.driver.options.type === "postgres" ? { lock: { mode: "pessimistic_write" as const } } : {}) });
  if (!row) throw notFound("app", clientId);
  return row;
}

export async function updateOpClient(db: Database, clientId: string, change: Partial<OpClientInput>, actor: Actor): Promise<OpClientRecord> {
  return db.transaction(async (em) => {
    const before = recordOf(await lockedClient(em, clientId));
    const full = complete({ ...withoutSecret(before), ...change });
    if (full.authMethod !== before.authMethod) throw invalid("authMethod cannot change: register a new app");
    await checkInput(em, full);
    await em.update(OpClient, { id: clientId }, { ...columns(full), updatedAt: timestamp() });
    const after = withoutSecret(recordOf((await em.findOneBy(OpClient, { id: clientId }))!));
    await recordAudit(em, { organizationId: null, actor, action: "op_client.updated", targetType: "op_client", targetId: clientId, summary: { before: described(withoutSecret(before)), after: described(after) } });
    return after;
  });
}

/** A new secret replaces the old one at once; shown in the answer only. */
export async function rotateOpClientSecret(db: Database, clientId: string, actor: Actor): Promise<string> {
  return db.transaction(async (em) => {
    const row = await lockedClient(em, clientId);
    if (!usesSecret(row.authMethod as ClientAuthMethod)) throw invalid("this app authenticates with private_key_jwt: it has no secret");
    const secret = newSecret("rcc_");
    await em.update(OpClient, { id: clientId }, { secretHash: secretDigest(secret), updatedAt: timestamp() });
    await recordAudit(em, { organizationId: null, actor, action: "op_client.secret_rotated", targetType: "op_client", targetId: clientId, summary: {} });
    return secret;
  });
}

export async function deleteOpClient(db: Database, clientId: string, actor: Actor): Promise<void> {
  await db.transaction(async (em) => {
    const row = await lockedClient(em, clientId);
    await em.delete(OpClient, { id: clientId });
    await recordAudit(em, { organizationId: null, actor, action: "op_client.deleted", targetType: "op_client", targetId: clientId, summary: { name: row.name } });
  });
}

export async function listOpClients(db: Database): Promise<OpClientRecord[]> {
  const rows = await db.dataSource.getRepository(OpClient).find({ order: { createdAt: "ASC" } });
  return rows.map((r) => withoutSecret(recordOf(r)));
}

export async function getOpClient(db: Database, clientId: string): Promise<OpClientRecord | null> {
  const found = await findOpClientWithSecret(db, clientId);
  return found && withoutSecret(found);
}

export async function findOpClientWithSecret(db: Database, clientId: string): Promise<OpClientWithSecret | null> {
  if (clientId.length > 64) return null;
  const row = await db.dataSource.getRepository(OpClient).findOneBy({ id: clientId });
  return row && recordOf(row);
}
