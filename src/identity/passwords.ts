import { randomBytes, scrypt, ScryptOptions, timingSafeEqual } from "node:crypto";

// OWASP's scrypt floor (N=2^17, r=8, p=1) needs 128 MiB per hash; 2^15 keeps concurrent IdP pushes within memory.
const PARAMS: ScryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, params: ScryptOptions = PARAMS, length = KEY_LENGTH): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFC"), salt, length, params, (err, key) => (err ? reject(err) : resolve(key))));
}

/** A self-describing scrypt digest: `scrypt$N$r$p$salt$key`. SCIM passwords are kept only in this form. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt);
  return ["scrypt", PARAMS.N, PARAMS.r, PARAMS.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/**
 * Whether a password matches a digest made by hashPassword, under the parameters stored in the digest (so digests
 * made before a change of PARAMS still verify). Keys are compared in constant time.
 */
export async function verifyPassword(password: string, digest: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = digest.split("$");
  if (scheme !== "scrypt" || !salt || !key) return false;
  const expected = Buffer.from(key, "base64url");
  const params = { N: Number(n), r: Number(r), p: Number(p), maxmem: PARAMS.maxmem };
  const actual = await derive(password, Buffer.from(salt, "base64url"), params, expected.length);
  return timingSafeEqual(actual, expected);
}
