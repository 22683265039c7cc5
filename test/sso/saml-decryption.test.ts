import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { before, describe, it } from "node:test";
import { promisify } from "node:util";
import { newSpKey, type SpKey } from "../../src/identity/saml-key-material.js";
import { SsoError } from "../../src/sso/errors.js";
import { openEncryptedAssertion } from "../../src/sso/saml/decryption.js";
import { parseXml } from "../../src/sso/saml/xml.js";

/**
 * The SP's decryption fed what xml-encryption 3.1 (the library IdPs built on Node use, and node-saml's own) writes,
 * so that our reading of XML Encryption is checked against another implementation than the test IdP's.
 */
const xmlenc = createRequire(import.meta.url)("xml-encryption") as {
  encrypt(content: string, options: Record<string, unknown>, callback: (err: Error | null, xml: string) => void): void;
};
const encrypt = promisify(xmlenc.encrypt);

const ASSERTION = `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="2030-01-01T00:00:00Z"><saml:Issuer>https://idp.example.test</saml:Issuer></saml:Assertion>`;
const XMLENC = "http://www.w3.org/2001/04/xmlenc#";
const XMLENC11 = "http://www.w3.org/2009/xmlenc11#";

async function encryptedAssertion(key: SpKey, content: string, keyEncryption = `${XMLENC}rsa-oaep-mgf1p`, plaintext = ASSERTION): Promise<Element> {
  const data = await encrypt(plaintext, { rsa_pub: key.certificate, pem: key.certificate, encryptionAlgorithm: content, keyEncryptionAlgorithm: keyEncryption, warnInsecureAlgorithm: false });
  return parseXml(`<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">${data}</saml:EncryptedAssertion>`).documentElement;
}

const refusal = (fn: () => unknown, reason: string) => assert.throws(fn, (err: unknown) => err instanceof SsoError && err.reason === reason);

describe("openEncryptedAssertion with xml-encryption's output", () => {
  let current: SpKey;
  let next: SpKey;
  before(async () => {
    [current, next] = await Promise.all([newSpKey("current", "current"), newSpKey("next", "next")]);
  });

  for (const content of [`${XMLENC}aes256-cbc`, `${XMLENC}aes128-cbc`, `${XMLENC11}aes128-gcm`, `${XMLENC11}aes256-gcm`]) {
    it(`decrypts ${content.split("#")[1]} with RSA-OAEP, with the key whose certificate the EncryptedKey names`, async () => {
      const opened = openEncryptedAssertion(await encryptedAssertion(next, content), [current, next]);
      assert.equal(opened.keyId, next.id);
      assert.equal(opened.assertion.localName, "Assertion");
      assert.equal(opened.assertion.getAttribute("ID"), "_a1");
    });
  }

  it("refuses RSA-1.5 key transport with the reason, and a key it does not hold", async () => {
    const rsa15 = await encryptedAssertion(current, `${XMLENC}aes256-cbc`, `${XMLENC}rsa-1_5`);
    refusal(() => openEncryptedAssertion(rsa15, [current]), "saml_encryption_algorithm");
    const toNext = await encryptedAssertion(next, `${XMLENC11}aes256-gcm`);
    refusal(() => openEncryptedAssertion(toNext, [current]), "saml_decryption");
  });

  it("answers a plaintext that is XML but no Assertion as it answers an undecryptable one (no well-formedness oracle)", async () => {
    for (const plaintext of ["<x/>", "<saml:Issuer xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\">x</saml:Issuer>", "not XML <"]) {
      const element = await encryptedAssertion(current, `${XMLENC}aes256-cbc`, undefined, plaintext);
      refusal(() => openEncryptedAssertion(element, [current]), "saml_decryption");
    }
  });

  it("refuses an EncryptedAssertion with more EncryptedKeys than recipients (each would cost RSA operations)", async () => {
    const element = await encryptedAssertion(current, `${XMLENC11}aes128-gcm`);
    const encryptedKey = element.getElementsByTagNameNS(XMLENC, "EncryptedKey")[0];
    for (let i = 0; i < 4; i++) encryptedKey.parentNode!.appendChild(encryptedKey.cloneNode(true));
    refusal(() => openEncryptedAssertion(element, [current]), "saml_malformed");
    encryptedKey.parentNode!.removeChild(encryptedKey);
    assert.equal(openEncryptedAssertion(element, [current]).keyId, current.id, "four are fine");
  });

  it("refuses a wrapped key larger than the modulus (a key for a bigger foreign modulus) as one that does not open", async () => {
    const element = await encryptedAssertion(current, `${XMLENC11}aes128-gcm`);
    const wrapped = element.getElementsByTagNameNS(XMLENC, "EncryptedKey")[0].getElementsByTagNameNS(XMLENC, "CipherValue")[0];
    wrapped.textContent = Buffer.alloc(256, 0xff).toString("base64");
    refusal(() => openEncryptedAssertion(element, [current]), "saml_decryption");
  });

  it("refuses a GCM ciphertext whose tag no longer matches", async () => {
    const element = await encryptedAssertion(current, `${XMLENC11}aes128-gcm`);
    const values = element.getElementsByTagNameNS(XMLENC, "CipherValue");
    const data = values[values.length - 1];
    const bytes = Buffer.from(data.textContent!, "base64");
    bytes[20] ^= 0xff;
    data.textContent = bytes.toString("base64");
    refusal(() => openEncryptedAssertion(element, [current]), "saml_decryption");
  });

});
