import { generateKeyPair, JsonWebKey, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { Database } from "../db/database.js";
import { sql } from "../db/sql.js";
import { recordAudit } from "./audit.js";
import { Actor } from "./records.js";
import { decryptSecret, encryptSecret } from "./secrets.js";
import { timestamp } from "./text.js";

/**
 * The OpenID Provider's signing keys: one ES256 and one RS256 key signing at a time, private parts sealed under
 * ROLLCALL_SECRET_KEY. A rotation publishes the new pair at once and signs with it only KEY_ACTIVATION_DELAY_MS
 * later, by when every replica publishes it too (they re-read the keys every KEY_RECHECK_MS); the old pair stays
 * published RETIRED_KEY_HOURS after that, longer than any token it signed lives, then the next rotation drops it.
 */

export const SIGNING_ALGORITHMS = ["ES256", "RS256"] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** How often a replica looks for keys another one rotated. */
export const KEY_RECHECK_MS = 30_000;
export const KEY_ACTIVATION_DELAY_MS = 2 * KEY_RECHECK_MS;
export const RETIRED_KEY_HOURS = 24;

export interface SigningKeyRow {
  kid: string;
  alg: SigningAlgorithm;
  activatesAt: string;
  retiredAt: string | null;
  createdAt: string;
}

const generate = promisify(generateKeyPair);
const purpose = (kid: string) => `op_signing_key:${kid}`;

async function newKey(alg: SigningAlgorithm): Promise<{ kid: string; publicJwk: JsonWebKey; privateJwk: JsonWebKey }> {
  const { privateKey, publicKey } = alg === "ES256"
    ? await generate("ec", { namedCurve: "P-256" })
    : await generate("rsa", { modulusLength: 2048 });
  const kid = randomBytes(12).toString("base64url");
  const meta = { kid, alg, use: "sig" };
  return { kid, publicJwk: { ...publicKey.export({ format: "jwk" }), ...meta }, privateJwk: { ...privateKey.export({ format: "jwk" }), ...meta } };
}

async function insertKeys(db: Database, secretKey: Buffer, activatesAt: Date, actor: Actor, action: string, retire: boolean): Promise<SigningKeyRow[]> {
  // Generated before the transaction: an RSA key takes up to a second to find.
  const keys = await Promise.all(SIGNING_ALGORITHMS.map(async (alg) => ({ alg, ...await newKey(alg) })));
  const now = timestamp();
  return db.transaction(async (em) => {
    if (retire) {
      await sql(em, "DELETE FROM op_signing_keys WHERE retired_at IS NOT NULL AND retired_at <= :cutoff",
        { cutoff: timestamp(new Date(Date.now() - RETIRED_KEY_HOURS * 3_600_000)) });
      await sql(em, "UPDATE op_signing_keys SET retired_at = :at WHERE retired_at IS NULL", { at: timestamp(activatesAt) });
    }
    for (const key of keys) {
      await sql(em, `INSERT INTO op_signing_keys (kid, alg, public_jwk, private_jwk, created_at, activates_at, retired_at)
        VALUES (:kid, :alg, :publicJwk, :privateJwk, :now, :activatesAt, NULL)`, {
        kid: key.kid, alg: key.alg, publicJwk: JSON.stringify(key.publicJwk),
        privateJwk: encryptSecret(secretKey, purpose(key.kid), JSON.stringify(key.privateJwk)), now, activatesAt: timestamp(activatesAt),
      });
    }
    // Instance-level, like operator accounts: the audit event belongs to no organization.
    await recordAudit(em, { organizationId: null, actor, action, targetType: "signing_key", targetId: null,
      summary: { kids: keys.map((k) => ({ kid: k.kid, alg: k.alg })), activatesAt: timestamp(activatesAt) } });
    return listSigningKeys(db, em);
  });
}

export async function listSigningKeys(db: Database, em = db.dataSource.manager): Promise<SigningKeyRow[]> {
  const rows = await sql<{ kid: string; alg: SigningAlgorithm; activates_at: string; retired_at: string | null; created_at: string }>(em,
    "SELECT kid, alg, activates_at, retired_at, created_at FROM op_signing_keys ORDER BY created_at DESC, kid");
  return rows.map((r) => ({ kid: r.kid, alg: r.alg, activatesAt: r.activates_at, retiredAt: r.retired_at, createdAt: r.created_at }));
}

/**
 * The first keys, signing at once (nothing was published before them): run when the OP finds none. Two replicas
 * starting together may both create a pair; every replica orders keys alike, so all sign with the same one.
 */
export async function ensureSigningKeys(db: Database, secretKey: Buffer): Promise<void> {
  if ((await listSigningKeys(db)).length) return;
  await insertKeys(db, secretKey, new Date(), { type: "system", id: null }, "signing_keys.created", false);
}

/** `npm run cli -- keys rotate`: a new pair, published now, signing in KEY_ACTIVATION_DELAY_MS. */
export function rotateSigningKeys(db: Database, secretKey: Buffer, actor: Actor): Promise<SigningKeyRow[]> {
  return insertKeys(db, secretKey, new Date(Date.now() + KEY_ACTIVATION_DELAY_MS), actor, "signing_keys.rotated", true);
}

/**
 * Every published key, the signing one of each algorithm first (oidc-provider and the identity header sign with the
 * first key of an algorithm): the newest key that is active by `now` and not retired.
 */
export function publicationOrder(rows: SigningKeyRow[], now = timestamp()): SigningKeyRow[] {
  const signing = SIGNING_ALGORITHMS.map((alg) => rows.find((r) => r.alg === alg && r.activatesAt <= now && (!r.retiredAt || r.retiredAt > now)))
    .filter((r): r is SigningKeyRow => r !== undefined);
  return [...signing, ...rows.filter((r) => !signing.includes(r))];
}

/** The private JWKs of these keys, in this order (server code only). */
export async function privateSigningJwks(db: Database, secretKey: Buffer, rows: SigningKeyRow[]): Promise<JsonWebKey[]> {
  if (!rows.length) return [];
  const sealed = await sql<{ kid: string; private_jwk: string }>(db.dataSource.manager,
    "SELECT kid, private_jwk FROM op_signing_keys WHERE kid IN (:...kids)", { kids: rows.map((r) => r.kid) });
  const byKid = new Map(sealed.map((s) => [s.kid, s.private_jwk]));
  return rows.filter((r) => byKid.has(r.kid)).map((r) => JSON.parse(decryptSecret(secretKey, purpose(r.kid), byKid.get(r.kid)!)) as JsonWebKey);
}
