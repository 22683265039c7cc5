import { generateKeyPair, randomBytes, randomUUID, sign, X509Certificate } from "node:crypto";
import { promisify } from "node:util";
import forge from "node-forge";
import { decryptSecret, encryptSecret } from "./secrets.js";

/**
 * A SAML connection's own key pairs (the SP's): a self-signed certificate the IdP encrypts assertions to and checks
 * our signed AuthnRequests with. `current` is what we sign with; a `next` key is published beside it during a
 * rotation (both decrypt), until an admin promotes it. Private keys are sealed under ROLLCALL_SECRET_KEY at rest.
 */

export type SpKeyState = "current" | "next";

export interface SpKey {
  id: string;
  state: SpKeyState;
  /** PEM. */
  certificate: string;
  /** PKCS#8 PEM, decrypted: only server code sees it. */
  privateKey: string;
  notAfter: string;
  createdAt: string;
}

/** How a key is stored in the connection's settings: the private key sealed. */
export type SealedSpKey = Omit<SpKey, "privateKey"> & { privateKey: string };

/**
 * RSA-2048 is what every IdP we know imports (some refuse larger encryption keys) and is allowed by NIST SP 800-57
 * through 2030, beyond the certificate's life; a private operation costs ≈0.3 ms where 3072 bits cost ≈3 ms a login.
 */
const MODULUS_BITS = 2048;
/** Long enough that rotations are rare, short enough that a forgotten key does not outlive RSA-2048's horizon. */
export const SP_CERTIFICATE_YEARS = 3;

const generateRsa = promisify(generateKeyPair);

/** A fresh key pair and self-signed SHA-256 certificate named after the connection's SP entity ID. */
export async function newSpKey(commonName: string, state: SpKeyState, now = new Date()): Promise<SpKey> {
  const { publicKey, privateKey } = await generateRsa("rsa", {
    modulusLength: MODULUS_BITS,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // 16 random bytes after a 0x01: positive, unique, within RFC 5280's 20 octets.
  cert.serialNumber = `01${randomBytes(15).toString("hex")}`;
  // An hour back, so that an IdP whose clock is a little behind accepts it at once.
  cert.validity.notBefore = new Date(now.getTime() - 3_600_000);
  cert.validity.notAfter = new Date(now);
  cert.validity.notAfter.setUTCFullYear(now.getUTCFullYear() + SP_CERTIFICATE_YEARS);
  const name = [{ name: "commonName", value: commonName.slice(0, 64) }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([{ name: "basicConstraints", cA: false }, { name: "keyUsage", digitalSignature: true, keyEncipherment: true }]);
  // forge would sign in JavaScript (≈0.2 s); node's crypto signs the same TBSCertificate natively.
  cert.signatureOid = cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption;
  cert.tbsCertificate = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), "binary");
  cert.signature = sign("sha256", tbs, privateKey).toString("binary");
  const certificate = forge.pki.certificateToPem(cert);
  return {
    id: randomUUID(), state, certificate, privateKey,
    notAfter: new Date(new X509Certificate(certificate).validTo).toISOString(), createdAt: now.toISOString(),
  };
}

const purpose = (connectionId: string, keyId: string) => `connection:${connectionId}:sp_key:${keyId}`;

export function sealSpKey(secretKey: Buffer, connectionId: string, key: SpKey): SealedSpKey {
  return { ...key, privateKey: encryptSecret(secretKey, purpose(connectionId, key.id), key.privateKey) };
}

export function openSpKey(secretKey: Buffer, connectionId: string, key: SealedSpKey): SpKey {
  return { ...key, privateKey: decryptSecret(secretKey, purpose(connectionId, key.id), key.privateKey) };
}

/** The current key first, then the next one: signing and listing order. */
export const currentFirst = (keys: SpKey[]): SpKey[] => [...keys].sort((a, b) => Number(b.state === "current") - Number(a.state === "current"));

/** The base64 DER body of a PEM certificate, as metadata and KeyInfo carry it. */
export const certificateBody = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s+/g, "");
