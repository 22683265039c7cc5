import { constants, createCipheriv, publicEncrypt, randomBytes } from "node:crypto";
import forge from "node-forge";

/**
 * The test IdP's side of XML Encryption: an assertion encrypted to an SP certificate the way IdPs do it, written
 * from the spec here (independently of src/sso/saml/decryption.ts, so that the two check each other) and synchronous,
 * so that TestIdp.responseXml stays so. test/sso/saml-decryption.test.ts also feeds xml-encryption's own output to
 * the SP.
 */

const XMLENC = "http://www.w3.org/2001/04/xmlenc#";
const XMLENC11 = "http://www.w3.org/2009/xmlenc11#";
const DSIG = "http://www.w3.org/2000/09/xmldsig#";

export const CONTENT = {
  "aes128-cbc": { uri: `${XMLENC}aes128-cbc`, cipher: "aes-128-cbc", keyLength: 16, ivLength: 16 },
  "aes256-cbc": { uri: `${XMLENC}aes256-cbc`, cipher: "aes-256-cbc", keyLength: 32, ivLength: 16 },
  "aes128-gcm": { uri: `${XMLENC11}aes128-gcm`, cipher: "aes-128-gcm", keyLength: 16, ivLength: 12 },
  "aes256-gcm": { uri: `${XMLENC11}aes256-gcm`, cipher: "aes-256-gcm", keyLength: 32, ivLength: 12 },
  "tripledes-cbc": { uri: `${XMLENC}tripledes-cbc`, cipher: "des-ede3-cbc", keyLength: 24, ivLength: 8 },
} as const;

/** Key transports: `rsa-oaep` is XML Encryption 1.1's, with its digest and MGF1 hash each named. */
export type KeyTransport =
  | { name: "rsa-oaep-mgf1p" }
  | { name: "rsa-oaep"; digest: "sha1" | "sha256"; mgf1: "sha1" | "sha256" }
  | { name: "rsa-1_5" };

export interface EncryptionShape {
  /** The SP certificate (PEM) to encrypt to. */
  certificate: string;
  content?: keyof typeof CONTENT;
  transport?: KeyTransport;
  /** Where the EncryptedKey goes: the EncryptedData's KeyInfo (AD FS, Okta), or beside the EncryptedData. */
  keyPlacement?: "keyInfo" | "beside";
  /** Name the certificate in the EncryptedKey's KeyInfo (default true). */
  nameCertificate?: boolean;
}

const DIGEST_URI = { sha1: `${DSIG}sha1`, sha256: `${XMLENC}sha256` };
const body = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s+/g, "");

function wrapKey(contentKey: Buffer, certificate: string, transport: KeyTransport): { method: string; cipher: Buffer } {
  switch (transport.name) {
    case "rsa-oaep-mgf1p":
      return { method: `<xenc:EncryptionMethod Algorithm="${XMLENC}rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="${DIGEST_URI.sha1}"/></xenc:EncryptionMethod>`,
        cipher: publicEncrypt({ key: certificate, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, contentKey) };
    case "rsa-1_5":
      return { method: `<xenc:EncryptionMethod Algorithm="${XMLENC}rsa-1_5"/>`,
        cipher: publicEncrypt({ key: certificate, padding: constants.RSA_PKCS1_PADDING }, contentKey) };
    case "rsa-oaep": {
      // Node's OAEP uses one hash for both: forge lets them differ, as XML Encryption 1.1 does.
      const publicKey = forge.pki.certificateFromPem(certificate).publicKey as forge.pki.rsa.PublicKey;
      const wrapped = publicKey.encrypt(contentKey.toString("binary"), "RSA-OAEP",
        { md: forge.md[transport.digest].create(), mgf1: { md: forge.md[transport.mgf1].create() } });
      return {
        method: `<xenc:EncryptionMethod Algorithm="${XMLENC11}rsa-oaep"><ds:DigestMethod Algorithm="${DIGEST_URI[transport.digest]}"/>` +
          `<xenc11:MGF xmlns:xenc11="${XMLENC11}" Algorithm="${XMLENC11}mgf1${transport.mgf1}"/></xenc:EncryptionMethod>`,
        cipher: Buffer.from(wrapped, "binary"),
      };
    }
  }
}

/** `<saml:EncryptedAssertion>` holding `assertionXml` (which must declare its own namespaces) encrypted to `shape.certificate`. */
export function encryptAssertion(assertionXml: string, shape: EncryptionShape): string {
  const content = CONTENT[shape.content ?? "aes256-cbc"];
  const contentKey = randomBytes(content.keyLength);
  const iv = randomBytes(content.ivLength);
  const cipher = createCipheriv(content.cipher, contentKey, iv);
  const encrypted = Buffer.concat([iv, cipher.update(assertionXml, "utf8"), cipher.final(),
    ...(content.cipher.endsWith("gcm") ? [(cipher as unknown as { getAuthTag(): Buffer }).getAuthTag()] : [])]);
  const { method, cipher: wrapped } = wrapKey(contentKey, shape.certificate, shape.transport ?? { name: "rsa-oaep-mgf1p" });
  const keyId = `_k${randomBytes(8).toString("hex")}`;
  const encryptedKey = `<xenc:EncryptedKey Id="${keyId}" xmlns:xenc="${XMLENC}" xmlns:ds="${DSIG}">${method}` +
    ((shape.nameCertificate ?? true) ? `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${body(shape.certificate)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` : "") +
    `<xenc:CipherData><xenc:CipherValue>${wrapped.toString("base64")}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>`;
  const beside = shape.keyPlacement === "beside";
  return `<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">` +
    `<xenc:EncryptedData xmlns:xenc="${XMLENC}" Type="${XMLENC}Element"><xenc:EncryptionMethod Algorithm="${content.uri}"/>` +
    `<ds:KeyInfo xmlns:ds="${DSIG}">${beside ? `<ds:RetrievalMethod Type="${XMLENC}EncryptedKey" URI="#${keyId}"/>` : encryptedKey}</ds:KeyInfo>` +
    `<xenc:CipherData><xenc:CipherValue>${encrypted.toString("base64")}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>` +
    (beside ? encryptedKey : "") + `</saml:EncryptedAssertion>`;
}
