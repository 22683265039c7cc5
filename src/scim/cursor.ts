/**
 * RFC 9865 cursors. A cursor carries the position of the last (or, for previousCursor, first) row served (see
 * listing.ts), which way to read from it, a hash of what the query was, when it was issued, and the totalResults
 * counted on the walk's first page (so that no later page counts the matches again), signed with a key derived from the server's secret key. Nothing is stored per
 * cursor, so clients cannot exhaust the server by opening many (RFC 9865 §7), and any replica sharing the key can
 * continue a walk another started.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { Position } from "../identity/listing.js";
import { ScimError } from "./errors.js";

/** Seconds a cursor stays valid after it was issued; advertised as `cursorTimeout` in /ServiceProviderConfig. */
export const CURSOR_TIMEOUT_SECONDS = 3600;

/** What a cursor is only valid for: same resource type, organization, filter and sort (RFC 9865 §2). */
export interface CursorScope {
  resourceType: string;
  organizationId: string;
  filter?: string;
  sortBy?: string;
  descending: boolean;
}

/**
 * One message for every unusable cursor, whatever the reason (tampered, truncated, another query, another
 * organization): RFC 9865 §7.1 asks not to reveal which, and the client's remedy is the same.
 */
const invalidCursor = () => new ScimError(400, "invalidCursor",
  "The cursor is not valid for this request. Send the nextCursor of the previous page with the same filter, sortBy and sortOrder, or an empty cursor to start over.");

/** A key of its own, so that a cursor MAC can never be mistaken for any other use of the secret key. */
const cursorKey = (secretKey: Buffer) => createHmac("sha256", secretKey).update("rollcall/scim-cursor/v1").digest();

const scopeHash = (scope: CursorScope) =>
  createHash("sha256")
    .update(JSON.stringify([scope.resourceType, scope.organizationId, scope.filter ?? null, scope.sortBy ?? null, scope.descending]))
    .digest("base64url").slice(0, 22);

const mac = (key: Buffer, payload: string) => createHmac("sha256", key).update(payload).digest();

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Which way a cursor reads from its position: the page after it (nextCursor) or before it (previousCursor). */
export type CursorDirection = "after" | "before";

/** Payload order: sort key, created_at, id, scope hash, issued-at (seconds), direction, total (absent in cursors sealed before it was carried). */
type Payload = [unknown, string, string, string, number, CursorDirection, number?];

export function sealCursor(secretKey: Buffer, scope: CursorScope, p: Position, direction: CursorDirection, total: number): string {
  const payload: Payload = [p.key, p.createdAt, p.id, scopeHash(scope), nowSeconds(), direction, total];
  const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
  // base64url and "." are RFC 3986 unreserved characters, as RFC 9865 §2 requires of cursor values.
  return `${body}.${mac(cursorKey(secretKey), body).toString("base64url")}`;
}

const isPayload = (v: unknown): v is Payload =>
  Array.isArray(v) && (v.length === 6 || (v.length === 7 && Number.isSafeInteger(v[6]) && v[6] >= 0)) && (v[5] === "after" || v[5] === "before") && (v[0] === null || ["string", "number", "boolean"].includes(typeof v[0]))
  && typeof v[1] === "string" && typeof v[2] === "string" && typeof v[3] === "string" && Number.isSafeInteger(v[4]);

/** The position a cursor reads from, which way, and the walk's total; 400 invalidCursor or expiredCursor when it cannot be used. */
export function openCursor(secretKey: Buffer, scope: CursorScope, cursor: string): { position: Position; direction: CursorDirection; total?: number } {
  const match = /^([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{43})$/.exec(cursor);
  if (!match) throw invalidCursor();
  const [, body, signature] = match;
  const expected = mac(cursorKey(secretKey), body);
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidCursor();
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    throw invalidCursor();
  }
  // Signed by us, so well formed unless the format changed under a running client; checked all the same.
  if (!isPayload(payload) || payload[3] !== scopeHash(scope)) throw invalidCursor();
  if (nowSeconds() - payload[4] > CURSOR_TIMEOUT_SECONDS) {
    throw new ScimError(400, "expiredCursor", `The cursor has expired: cursors are valid for ${CURSOR_TIMEOUT_SECONDS} seconds. Start over with an empty cursor.`);
  }
  return { position: { key: payload[0], createdAt: payload[1], id: payload[2] }, direction: payload[5], total: payload[6] };
}
