import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { EntityManager } from "typeorm";
import { sql } from "../db/sql.js";
import { timestamp } from "./text.js";

/**
 * Bearer secrets we hand out (SCIM tokens, personal API tokens, setup links): shown once, stored as a SHA-256
 * digest with a short prefix that finds the row and is safe to display. A kind's own prefix (`rcs_`, `rca_`,
 * `rcl_`) tells a leaked secret's reader, and secret scanners, what it is.
 */

const PREFIX_LENGTH = 12;
/** last_used_at is written at most this often per secret, so authentication is not a write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export const secretDigest = (secret: string) => createHash("sha256").update(secret, "utf8").digest("hex");
export const displayPrefix = (secret: string) => secret.slice(0, PREFIX_LENGTH);
export const newSecret = (kindPrefix: string) => kindPrefix + randomBytes(32).toString("base64url");

/**
 * The row (found by its prefix) whose digest is the presented secret's. Digests are compared in constant time, so
 * response timing says nothing about how much of a guess was right.
 */
export function matchingSecret<T extends { hash: string }>(candidates: T[], presented: string): T | undefined {
  const wanted = Buffer.from(secretDigest(presented), "hex");
  return candidates.find((row) => timingSafeEqual(Buffer.from(row.hash, "hex"), wanted));
}

/** Records that a secret was just used, unless that was recorded less than LAST_USED_RESOLUTION_MS ago. */
export async function recordUse(em: EntityManager, table: "scim_tokens" | "api_tokens", row: { id: string; lastUsedAt: string | null }) {
  const now = Date.now();
  if (row.lastUsedAt && now - Date.parse(row.lastUsedAt) <= LAST_USED_RESOLUTION_MS) return;
  row.lastUsedAt = timestamp(new Date(now));
  await sql(em, `UPDATE ${table} SET last_used_at = :lastUsedAt WHERE id = :id`, row);
}
