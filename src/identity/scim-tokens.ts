import { randomUUID } from "node:crypto";
import { ScimToken } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { sql } from "../db/sql.js";
import { recordAudit } from "./audit.js";
import { displayPrefix, matchingSecret, newSecret, recordUse, secretDigest } from "./bearer-secrets.js";
import { invalid, notFound } from "./errors.js";
import { Actor } from "./records.js";
import { timestamp } from "./text.js";

const TOKEN_PREFIX = "rcs_";

export interface ScimTokenInfo {
  id: string;
  organizationId: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const info = ({ hash: _hash, ...rest }: ScimToken): ScimTokenInfo => rest;

/**
 * Creates a token and returns it in plain text: the only time it is ever visible. `value` lets an unattended
 * deployment choose the first token (ROLLCALL_BOOTSTRAP_SCIM_TOKEN); it is stored hashed like any other.
 */
export async function createScimToken(
  db: Database,
  organizationId: string,
  options: { name: string; value?: string },
  actor: Actor,
): Promise<{ token: string; info: ScimTokenInfo }> {
  const token = options.value ?? newSecret(TOKEN_PREFIX);
  if (token.length < 24) throw invalid("a SCIM token must be at least 24 characters long");
  return db.transaction(async (em) => {
    const row = em.create(ScimToken, {
      id: randomUUID(), organizationId, name: options.name, prefix: displayPrefix(token), hash: secretDigest(token),
      createdAt: timestamp(), lastUsedAt: null, revokedAt: null,
    });
    await em.insert(ScimToken, row);
    await recordAudit(em, {
      organizationId, actor, action: "scim_token.created", targetType: "scim_token", targetId: row.id,
      summary: { name: row.name, prefix: row.prefix },
    });
    return { token, info: info(row) };
  });
}

/** Finds the organization a presented bearer token belongs to, or null (see matchingSecret). */
export async function authenticateScimToken(db: Database, presented: string): Promise<ScimTokenInfo | null> {
  const candidates = await sql<ScimToken>(db.dataSource.manager,
    `SELECT id, organization_id AS "organizationId", name, prefix, hash, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"
     FROM scim_tokens WHERE prefix = :prefix AND revoked_at IS NULL`, { prefix: displayPrefix(presented) });
  const match = matchingSecret(candidates, presented);
  if (!match) return null;
  await recordUse(db.dataSource.manager, "scim_tokens", match);
  return info(match);
}

export async function listScimTokens(db: Database, organizationId: string): Promise<ScimTokenInfo[]> {
  const rows = await db.dataSource.getRepository(ScimToken).find({ where: { organizationId }, order: { createdAt: "ASC" } });
  return rows.map(info);
}

export async function revokeScimToken(db: Database, organizationId: string, tokenId: string, actor: Actor): Promise<void> {
  await db.transaction(async (em) => {
    const row = await em.findOneBy(ScimToken, { id: tokenId, organizationId });
    if (!row) throw notFound("SCIM token", tokenId);
    if (row.revokedAt) return;
    await em.update(ScimToken, { id: tokenId, organizationId }, { revokedAt: timestamp() });
    await recordAudit(em, {
      organizationId, actor, action: "scim_token.revoked", targetType: "scim_token", targetId: tokenId,
      summary: { name: row.name, prefix: row.prefix },
    });
  });
}
