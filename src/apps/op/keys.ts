import { JsonWebKey } from "node:crypto";
import { importJWK } from "jose";
import { Database } from "../../db/database.js";
import { ensureSigningKeys, KEY_RECHECK_MS, listSigningKeys, privateSigningJwks, publicationOrder, SigningAlgorithm } from "../../identity/op-keys.js";

/** The published keys as this replica last read them, and the private JWKs in signing order. */
export interface KeySet {
  fingerprint: string;
  jwks: JsonWebKey[];
}

/**
 * This replica's view of the OpenID Provider's signing keys: read from the database at most every KEY_RECHECK_MS,
 * so a rotation made by another replica (or the CLI) is seen within that; the first read creates the first keys.
 */
export class SigningKeys {
  private keySet: Promise<KeySet> | null = null;
  private checkedAt = 0;
  /** Imported signing keys of the key set they came from (importing costs about as much as a signature). */
  private imported = new WeakMap<KeySet, Map<SigningAlgorithm, Promise<{ kid: string; key: CryptoKey | Uint8Array }>>>();

  constructor(private readonly db: Database, private readonly secretKey: Buffer) {}

  async current(): Promise<KeySet> {
    if (!this.keySet || Date.now() - this.checkedAt > KEY_RECHECK_MS) {
      this.checkedAt = Date.now();
      const previous = this.keySet;
      this.keySet = this.read(previous);
      this.keySet.catch(() => { this.keySet = previous; });
    }
    return this.keySet;
  }

  /** The key that signs with `alg` now, for tokens Rollcall signs itself (identity header, logout tokens). */
  async signing(alg: SigningAlgorithm): Promise<{ kid: string; key: CryptoKey | Uint8Array }> {
    const set = await this.current();
    let byAlg = this.imported.get(set);
    if (!byAlg) this.imported.set(set, byAlg = new Map());
    let signer = byAlg.get(alg);
    if (!signer) {
      const jwk = set.jwks.find((k) => (k as { alg?: string }).alg === alg)!;
      signer = importJWK(jwk as Parameters<typeof importJWK>[0], alg).then((key) => ({ kid: (jwk as { kid: string }).kid, key }));
      byAlg.set(alg, signer);
    }
    return signer;
  }

  private async read(previous: Promise<KeySet> | null): Promise<KeySet> {
    let rows = await listSigningKeys(this.db);
    if (!rows.length) {
      await ensureSigningKeys(this.db, this.secretKey);
      rows = await listSigningKeys(this.db);
    }
    const ordered = publicationOrder(rows);
    const fingerprint = ordered.map((r) => r.kid).join(",");
    const last = await previous?.catch(() => null);
    if (last?.fingerprint === fingerprint) return last;
    return { fingerprint, jwks: await privateSigningJwks(this.db, this.secretKey, ordered) };
  }
}
