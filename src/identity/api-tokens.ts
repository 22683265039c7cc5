import { randomUUID } from "node:crypto";
import { AdminAccount, ApiToken } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { sql } from "../db/sql.js";
import { AdminAccountInfo, getAdminAccount } from "./admins.js";
import { recordAudit } from "./audit.js";
import { displayPrefix, matchingSecret, newSecret, recordUse, secretDigest } from "./bearer-secrets.js";
import { conflict, invalid, notFound } from "./errors.js";
import { Actor } from "./records.js";
import { timestamp } from "./text.js";

/**
 * Personal API tokens: an admin account's credential for scripts and the admin API. A token acts as its account
 * (operator or organization admin), is shown once, and stops working when revoked or when the account is disabled.
 */

const TOKEN_PREFIX = "rca_";

export interface ApiTokenInfo {
  id: string;
  adminId: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const info = ({ hash: _hash, ...rest }: ApiToken): ApiTokenInfo => rest;

export async function createApiToken(
  db: Database, adminId: string, options: { name: string }, actor: Actor,
): Promise<{ token: string; info: ApiTokenInfo }> {
  if (typeof options.name !== "string" || options.name.trim() === "" || options.name.length > 200) throw invalid("name must be 1 to 200 characters");
  const token = newSecret(TOKEN_PREFIX);
  return db.transaction(async (em) => {
    const admin = await em.findOneBy(AdminAccount, { id: adminId });
    if (!admin) throw notFound("Admin account", adminId);
    if (admin.disabledAt) throw conflict(`the admin account ${admin.email} is disabled`);
    const row: ApiToken = {
      id: randomUUID(), adminId, name: options.name.trim(), prefix: displayPrefix(token), hash: secretDigest(token),
      createdAt: timestamp(), lastUsedAt: null, revokedAt: null,
    };
    await em.insert(ApiToken, row);
    await recordAudit(em, {
      organizationId: admin.organizationId, actor, action: "api_token.created", targetType: "api_token", targetId: row.id,
      summary: { name: row.name, prefix: row.prefix, admin: admin.email },
    });
    return { token, info: info(row) };
  });
}

/** The token and the (enabled) account a presented API token acts as, or null (see matchingSecret). */
export async function authenticateApiToken(db: Database, presented: string): Promise<{ token: ApiTokenInfo; admin: AdminAccountInfo } | null> {
  const candidates = await sql<ApiToken>(db.dataSource.manager,
    `SELECT id, admin_id AS "adminId", name, prefix, hash, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"
     FROM api_tokens WHERE prefix = :prefix AND revoked_at IS NULL`, { prefix: displayPrefix(presented) });
  const match = matchingSecret(candidates, presented);
  if (!match) return null;
  const admin = await getAdminAccount(db, match.adminId);
  if (!admin || admin.disabledAt) return null;
  await recordUse(db.dataSource.manager, "api_tokens", match);
  return { token: info(match), admin };
}

export async function listApiTokens(db: Database, adminId: string): Promise<ApiTokenInfo[]> {
  const rows = await db.dataSource.getRepository(ApiToken).find({ where: { adminId }, order: { createdAt: "ASC" } });
  return rows.map(info);
}

/** Revokes one of an account's tokens; refused from the next request on. Another account's token is not found. */
export async function revokeApiToken(db: Database, adminId: string, tokenId: string, actor: Actor): Promise<void> {
  await db.transaction(async (em) => {
    const row = await em.findOneBy(ApiToken, { id: tokenId, adminId });
    if (!row) throw notFound("API token", tokenId);
    if (row.revokedAt) return;
    const admin = await em.findOneByOrFail(AdminAccount, { id: adminId });
    await em.update(ApiToken, { id: tokenId }, { revokedAt: timestamp() });
    await recordAudit(em, {
      organizationId: admin.organizationId, actor, action: "api_token.revoked", targetType: "api_token", targetId: tokenId,
      summary: { name: row.name, prefix: row.prefix, admin: admin.email },
    });
  });
}
