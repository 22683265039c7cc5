/** Case folding for case-insensitive SCIM strings (RFC 7643 caseExact=false): NFC, then Unicode lower case. */
export function foldCase(value: string): string {
  return value.normalize("NFC").toLowerCase();
}

/** How many characters of a folded copy are kept for a prefix index (src/identity/user-rows.ts): within any index's row size. */
export const FOLDED_PREFIX_LENGTH = 256;

/** The folded copy of a free-text attribute that `sw` filters use: its first FOLDED_PREFIX_LENGTH characters, whole. */
export function foldedPrefix(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const folded = foldCase(value);
  if (folded.length <= FOLDED_PREFIX_LENGTH) return folded;
  const cut = folded.slice(0, FOLDED_PREFIX_LENGTH);
  // Never half a surrogate pair: SQLite would store U+FFFD in its place.
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** Fixed-width ISO-8601 UTC timestamp: sorts and compares as text identically on SQLite and PostgreSQL. */
export function timestamp(date: Date = new Date()): string {
  return date.toISOString();
}

/** Map.groupBy arrived in Node 21; this project runs on 20. */
export function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Values kept in indexed columns (userName, externalId, group displayName) fit any index at this length. */
export const MAX_KEY_LENGTH = 512;
/** Any other text attribute. */
export const MAX_TEXT_LENGTH = 16_384;

/**
 * Why a string cannot be stored, or null if it can: PostgreSQL text refuses U+0000, a lone UTF-16 surrogate is not
 * Unicode (SQLite would store a replacement character, so what we acknowledged would not be what we kept), and the
 * limits keep every write within the columns and indexes of both databases. Each door checks its input against this.
 */
export function unstorableText(value: string, max: number): string | null {
  if (value.length > max) return `is longer than ${max} characters`;
  return unstorableCharacters(value);
}

/** Why a string's characters cannot be stored as sent (the length aside), or null if they can. */
export function unstorableCharacters(value: string): string | null {
  if (value.includes("\0")) return "contains U+0000";
  if (!value.isWellFormed()) return "contains a lone UTF-16 surrogate (such as \\ud800), which is not Unicode text";
  return null;
}
