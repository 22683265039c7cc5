import { constants, createDecipheriv, createPrivateKey, KeyObject, privateDecrypt } from "node:crypto";
import { createRequire } from "node:module";
import forge from "node-forge";
import { certificateBody, currentFirst, type SpKey } from "../../identity/saml-key-material.js";
import { rejectedResponse, SsoError } from "../errors.js";
import { attributeOf, childElement, childElements, NS, parseXml, textOf } from "./xml.js";

/**
 * Encrypted assertions (XML Encryption 1.1, SAML core §2.3.4). What we accept, and why we decrypt ourselves:
 *
 * - Key transport RSA-OAEP, both `xmlenc#rsa-oaep-mgf1p` (MGF1 with SHA-1, any digest) and `xmlenc11#rsa-oaep`
 *   (digest and MGF each named). xml-encryption 3.1, which node-saml 5.1 decrypts with, knows only the first, and
 *   unwraps it with MGF1 over the *digest's* hash (wrong for any digest but SHA-1) and misreads the standard
 *   SHA-256 URI. Node's OAEP has one hash for both, so the RSA operation is node's and the OAEP decoding forge's.
 * - RSA-1.5 (PKCS#1 v1.5) key transport is refused with its reason: it is breakable by a padding oracle
 *   (Bleichenbacher), and node ≥ 20.11 refuses it anyway (CVE-2023-46809). 3DES likewise.
 * - Content AES-128/256-CBC and AES-128/256-GCM. CBC carries no integrity of its own: a failure of any kind is one
 *   refusal with one reason, so that a forged ciphertext learns nothing from the answer, and the plaintext counts only
 *   once a signature (the Response's over the ciphertext, or the assertion's own) checks out.
 * - Several SP keys (the current and the next during a rotation): the EncryptedKey whose KeyInfo names one of our
 *   certificates is unwrapped with that key; one that names none is tried with each.
 *
 * node-saml decrypts through xml-encryption's `decrypt` and takes one `decryptionPvk`: `openEncryptedAssertion`
 * runs first (at the ACS) and says which key, and `installDecryptor` makes node-saml's decryption this one.
 */

const XMLENC = "http://www.w3.org/2001/04/xmlenc#";
const XMLENC11 = "http://www.w3.org/2009/xmlenc11#";

interface ContentCipher { cipher: string; keyLength: number; ivLength: number; gcm: boolean }
export const CONTENT_ALGORITHMS: Record<string, ContentCipher> = {
  [`${XMLENC11}aes256-gcm`]: { cipher: "aes-256-gcm", keyLength: 32, ivLength: 12, gcm: true },
  [`${XMLENC11}aes128-gcm`]: { cipher: "aes-128-gcm", keyLength: 16, ivLength: 12, gcm: true },
  [`${XMLENC}aes256-cbc`]: { cipher: "aes-256-cbc", keyLength: 32, ivLength: 16, gcm: false },
  [`${XMLENC}aes128-cbc`]: { cipher: "aes-128-cbc", keyLength: 16, ivLength: 16, gcm: false },
};
const RSA_OAEP_MGF1P = `${XMLENC}rsa-oaep-mgf1p`;
const RSA_OAEP = `${XMLENC11}rsa-oaep`;
export const KEY_TRANSPORT_ALGORITHMS = [RSA_OAEP_MGF1P, RSA_OAEP];

type Hash = "sha1" | "sha256" | "sha384" | "sha512";
const DIGESTS: Record<string, Hash> = {
  "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
  [`${XMLENC}sha256`]: "sha256",
  "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
  [`${XMLENC}sha512`]: "sha512",
};
const MGF1: Record<string, Hash> = {
  [`${XMLENC11}mgf1sha1`]: "sha1", [`${XMLENC11}mgf1sha256`]: "sha256", [`${XMLENC11}mgf1sha384`]: "sha384", [`${XMLENC11}mgf1sha512`]: "sha512",
};
const REFUSED: Record<string, string> = {
  [`${XMLENC}rsa-1_5`]: "RSA-1.5 (PKCS#1 v1.5) key transport is breakable (Bleichenbacher's padding oracle): set the IdP's key encryption to RSA-OAEP",
  [`${XMLENC}tripledes-cbc`]: "3DES content encryption is obsolete: set the IdP's encryption to AES-256-GCM or AES-256-CBC",
};

/** A key that may decrypt: its certificate (to match an EncryptedKey's KeyInfo) when known. */
export interface DecryptionKey { id: string; certificate?: string; privateKey: string | KeyObject }

/** An algorithm we do not accept: the admin can change it at the IdP. */
const refusedAlgorithm = (element: string, algorithm: string | null) => rejectedResponse("saml_encryption_algorithm", {
  element, algorithm, check: (algorithm && REFUSED[algorithm]) ??
    `supported: key transport ${KEY_TRANSPORT_ALGORITHMS.join(", ")}; content ${Object.keys(CONTENT_ALGORITHMS).join(", ")}`,
});

/** One answer for every way decryption can fail (see the module comment). */
const undecryptable = () => rejectedResponse("saml_decryption", {
  check: "the EncryptedAssertion decrypts with one of this connection's SP keys (is the IdP encrypting to the certificate in our SP metadata?)",
});

/** One per recipient: an IdP encrypting to us and, at most, a few others. */
const MAX_ENCRYPTED_KEYS = 4;

interface Wrapped { encryptedKey: Element; certificate: string | null }

/** The EncryptedData of an EncryptedAssertion (or EncryptedID), its content algorithm, and its EncryptedKeys. */
function encryptionOf(container: Element): { data: Element; content: ContentCipher; wrapped: Wrapped[] } {
  const data = container.namespaceURI === XMLENC && container.localName === "EncryptedData"
    ? container : childElement(container, XMLENC, "EncryptedData");
  if (!data) throw rejectedResponse("saml_malformed", { check: "an EncryptedData in the EncryptedAssertion" });
  const algorithm = attributeOf(childElement(data, XMLENC, "EncryptionMethod"), "Algorithm");
  const content = algorithm ? CONTENT_ALGORITHMS[algorithm] : undefined;
  if (!content) throw refusedAlgorithm("EncryptedData", algorithm);
  // The key travels in the EncryptedData's KeyInfo, or beside the EncryptedData (SAML core §2.3.4 allows both).
  const keyInfo = childElement(data, NS.dsig, "KeyInfo");
  const encryptedKeys = [...(keyInfo ? childElements(keyInfo, XMLENC, "EncryptedKey") : []), ...(container === data ? [] : childElements(container, XMLENC, "EncryptedKey"))];
  if (!encryptedKeys.length) throw rejectedResponse("saml_malformed", { check: "an EncryptedKey (RSA key transport) for the EncryptedData" });
  if (encryptedKeys.length > MAX_ENCRYPTED_KEYS) {
    // Each costs an RSA private operation per SP key, before the post is known to be anyone's.
    throw rejectedResponse("saml_malformed", { check: `at most ${MAX_ENCRYPTED_KEYS} EncryptedKeys`, found: encryptedKeys.length });
  }
  const wrapped = encryptedKeys.map((encryptedKey) => {
    const method = attributeOf(childElement(encryptedKey, XMLENC, "EncryptionMethod"), "Algorithm");
    if (!method || !KEY_TRANSPORT_ALGORITHMS.includes(method)) throw refusedAlgorithm("EncryptedKey", method);
    const info = childElement(encryptedKey, NS.dsig, "KeyInfo");
    const certificate = textOf(info && childElement(childElement(info, NS.dsig, "X509Data") ?? info, NS.dsig, "X509Certificate"));
    return { encryptedKey, certificate: certificate?.replace(/\s+/g, "") ?? null };
  });
  return { data, content, wrapped };
}

/** The OAEP parameters of an EncryptedKey; an unknown digest or MGF is refused like any other algorithm. */
function oaepOf(encryptedKey: Element): { digest: Hash; mgf1: Hash; label: string } {
  const method = childElement(encryptedKey, XMLENC, "EncryptionMethod")!;
  const digestUri = attributeOf(childElement(method, NS.dsig, "DigestMethod"), "Algorithm");
  const digest = digestUri === null ? "sha1" : DIGESTS[digestUri];
  if (!digest) throw refusedAlgorithm("EncryptedKey DigestMethod", digestUri);
  let mgf1: Hash = "sha1";
  if (attributeOf(method, "Algorithm") === RSA_OAEP) {
    const mgfUri = attributeOf(childElement(method, XMLENC11, "MGF"), "Algorithm");
    if (mgfUri !== null && !MGF1[mgfUri]) throw refusedAlgorithm("EncryptedKey MGF", mgfUri);
    mgf1 = mgfUri === null ? "sha1" : MGF1[mgfUri];
  }
  const params = textOf(childElement(method, XMLENC, "OAEPparams"));
  return { digest, mgf1, label: params ? Buffer.from(params, "base64").toString("binary") : "" };
}

interface ForgeOaep {
  decode_rsa_oaep(key: { n: { bitLength(): number } }, em: string, options: { md: forge.md.MessageDigest; mgf1: { md: forge.md.MessageDigest }; label: string }): string;
}
const pkcs1 = (forge as unknown as { pkcs1: ForgeOaep }).pkcs1;

/** RSA-OAEP unwrapping of a content key; throws on any failure. */
function unwrap(encryptedKey: Element, privateKey: string | KeyObject): Buffer {
  const { digest, mgf1, label } = oaepOf(encryptedKey);
  const cipherValue = textOf(childElement(childElement(encryptedKey, XMLENC, "CipherData") ?? encryptedKey, XMLENC, "CipherValue"));
  const em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, Buffer.from(cipherValue ?? "", "base64"));
  // forge reads nothing of the key but its modulus length, which is the raw block's.
  const key = pkcs1.decode_rsa_oaep({ n: { bitLength: () => em.length * 8 } }, em.toString("binary"),
    { md: forge.md[digest].create(), mgf1: { md: forge.md[mgf1].create() }, label });
  return Buffer.from(key, "binary");
}

function decryptContent(data: Element, content: ContentCipher, contentKey: Buffer): string {
  if (contentKey.length !== content.keyLength) throw new Error("content key length");
  const cipherValue = textOf(childElement(childElement(data, XMLENC, "CipherData") ?? data, XMLENC, "CipherValue"));
  const bytes = Buffer.from(cipherValue ?? "", "base64");
  const iv = bytes.subarray(0, content.ivLength);
  const decipher = createDecipheriv(content.cipher, contentKey, iv);
  let body = bytes.subarray(content.ivLength);
  if (content.gcm) {
    // XML Encryption 1.1 §5.2.4: IV, ciphertext, then a 128-bit tag.
    (decipher as ReturnType<typeof createDecipheriv> & { setAuthTag(tag: Buffer): void }).setAuthTag(body.subarray(-16));
    body = body.subarray(0, -16);
  } else {
    // §5.2.1: the last byte says how many padding bytes to drop; the others are arbitrary, so node's check is off.
    decipher.setAutoPadding(false);
  }
  let plain = Buffer.concat([decipher.update(body), decipher.final()]);
  if (!content.gcm) {
    const padding = plain.at(-1) ?? 0;
    if (padding < 1 || padding > 16) throw new Error("padding");
    plain = plain.subarray(0, -padding);
  }
  return plain.toString("utf8");
}

/** Decrypts an EncryptedAssertion (or EncryptedID) with the first key that opens it; returns its XML and the key. */
export function decryptElement(container: Element, keys: DecryptionKey[]): { xml: string; keyId: string } {
  const { data, content, wrapped } = encryptionOf(container);
  const bodies = new Map(keys.map((k) => [k.certificate ? certificateBody(k.certificate) : null, k]));
  for (const { encryptedKey, certificate } of wrapped) {
    const named = certificate === null ? undefined : bodies.get(certificate);
    for (const key of named ? [named] : keys) {
      let contentKey: Buffer;
      try {
        contentKey = unwrap(encryptedKey, key.privateKey);
      } catch (err) {
        // A refused algorithm is the admin's to fix; any failure of the RSA operation or the OAEP decoding means
        // only that this key does not open it.
        if (err instanceof SsoError) throw err;
        continue;
      }
      try {
        return { xml: decryptContent(data, content, contentKey), keyId: key.id };
      } catch {
        throw undecryptable();
      }
    }
  }
  throw undecryptable();
}

/**
 * Decrypts a Response's EncryptedAssertion with the connection's SP keys and returns the Assertion element and the
 * key that opened it. The assertion is not trusted here: its signature is node-saml's to check.
 */
export function openEncryptedAssertion(encryptedAssertion: Element, keys: SpKey[]): { assertion: Element; keyId: string } {
  if (!keys.length) throw rejectedResponse("saml_decryption", { check: "the connection has an SP key to decrypt with: publish one" });
  const { xml, keyId } = decryptElement(encryptedAssertion, currentFirst(keys));
  const assertion = readableRoot(xml);
  // Unreadable and readable-but-not-an-Assertion get the same answer: together they would tell a forger whether a
  // tampered CBC ciphertext still decrypts to well-formed XML (the Jager–Somorovsky attack on XML Encryption).
  if (assertion?.namespaceURI !== NS.assertion || assertion.localName !== "Assertion") throw undecryptable();
  return { assertion, keyId };
}

function readableRoot(xml: string): Element | null {
  try {
    return parseXml(xml).documentElement;
  } catch {
    return null;
  }
}

type Callback = (err: Error | null, xml?: string) => void;

/**
 * Makes node-saml's decryption ours: node-saml 5.1 calls xml-encryption's `decrypt(xml, { key: decryptionPvk })` at
 * the time of each decryption (lib/xml.js `decryptXml`), with the EncryptedAssertion's XML. The module resolved is
 * node-saml's own copy, whatever else is installed.
 */
let installed = false;

export function installDecryptor(): void {
  if (installed) return;
  installed = true;
  const nodeSaml = createRequire(import.meta.url).resolve("@node-saml/node-saml");
  const xmlenc = createRequire(nodeSaml)("xml-encryption") as { decrypt: unknown };
  xmlenc.decrypt = (xml: string, options: { key: string | Buffer }, callback: Callback) => {
    try {
      const root = parseXml(xml).documentElement;
      callback(null, decryptElement(root, [{ id: "decryptionPvk", privateKey: createPrivateKey(options.key) }]).xml);
    } catch (err) {
      callback(err as Error);
    }
  };
}
