import { getVerifiedXml, parseDomFromString } from "@node-saml/node-saml/lib/xml.js";
import type { RequiredSignature } from "../../identity/connections.js";
import { rejectedResponse } from "../errors.js";
import { attributeOf, childElement, descendants, NS } from "./xml.js";

/**
 * Where a response's signatures may be and which must verify. IdPs sign the Response (Keycloak, PingFederate), the
 * Assertion (Entra, AD FS, Google, PingOne, Auth0) or both (Okta), and admins rarely know which: a response is
 * accepted when at least one valid signature covers the assertion used (a Response signature covers its assertion)
 * and refused when any signature present fails, so a valid signature never vouches for a broken or foreign one
 * beside it. node-saml checks only the signature it needs; `verifySignatures` checks every one.
 */

const SHA256 = {
  signatures: ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"],
  digests: ["http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2001/04/xmlenc#sha512"],
};
const SHA1 = { signatures: ["http://www.w3.org/2000/09/xmldsig#rsa-sha1"], digests: ["http://www.w3.org/2000/09/xmldsig#sha1"] };

/** Which of the Response and its Assertion carry a valid signature, and whether any of those uses SHA-1. */
export interface SignatureFacts {
  response: boolean;
  assertion: boolean;
  sha1: boolean;
}

/**
 * On the posted, unsigned document (cheap refusals before anything is stored): signatures only where they can cover
 * the assertion (on the Response or on its Assertion), at least one of them, those the connection requires, and only
 * the algorithms it allows. What xml-crypto implements minus HMAC (a key the IdP would have to share) and, unless the
 * connection allows it, SHA-1 (collisions).
 */
export function inspectSignatures(response: Element, assertion: Element, required: RequiredSignature, allowSha1: boolean): void {
  const signatures = descendants(response, NS.dsig, "Signature");
  for (const signature of signatures) {
    if (signature.parentNode !== response && signature.parentNode !== assertion) {
      throw rejectedResponse("saml_malformed", { check: "signatures only on the Response and its Assertion", parent: (signature.parentNode as Element | null)?.nodeName });
    }
  }
  const facts = { response: childElement(response, NS.dsig, "Signature") !== null, assertion: childElement(assertion, NS.dsig, "Signature") !== null };
  const missing = !facts.response && !facts.assertion ? "a signature on the Response or the Assertion"
    : (required === "response" || required === "both") && !facts.response ? "a signed Response (the connection requires one)"
      : (required === "assertion" || required === "both") && !facts.assertion ? "a signed Assertion (the connection requires one)" : null;
  if (missing) throw rejectedResponse("saml_unsigned", { check: missing, ...facts });

  for (const [element, kind] of [["SignatureMethod", "signatures"], ["DigestMethod", "digests"]] as const) {
    // Inside signatures only: an EncryptedKey's RSA-OAEP DigestMethod is another matter.
    for (const method of signatures.flatMap((signature) => descendants(signature, NS.dsig, element))) {
      const algorithm = attributeOf(method, "Algorithm") ?? "";
      const weak = SHA1[kind].includes(algorithm);
      if (!SHA256[kind].includes(algorithm) && !(weak && allowSha1)) {
        throw rejectedResponse("saml_weak_algorithm", { element, algorithm, ...(weak ? { fix: "switch the IdP to RSA-SHA256, or allow SHA-1 on the connection" } : {}) });
      }
    }
  }
}

/**
 * Verifies every signature of a SAML document against the connection's certificates (never one from KeyInfo), with
 * node-saml's own rules (one reference, to the signed element itself; a unique ID; at most two transforms). `xml`
 * is a Response, or an Assertion on its own (a decrypted one). Refuses when any signature present fails; answers
 * which elements carried one.
 */
export async function verifySignatures(xml: string, certificates: string[]): Promise<SignatureFacts> {
  const root = (await parseDomFromString(xml)).documentElement;
  const assertion = root.localName === "Assertion" ? root : childElement(root, NS.assertion, "Assertion");
  const pems = certificates.map(pem);
  const signed = { response: false, assertion: false, sha1: false };
  for (const [element, part] of [[root === assertion ? null : root, "response"], [assertion, "assertion"]] as const) {
    const signature = element && childElement(element, NS.dsig, "Signature");
    if (!signature) continue;
    let verified: string | null;
    try {
      verified = getVerifiedXml(xml, element, pems);
    } catch (err) {
      // node-saml throws on a signature that cannot be checked at all (a reference to another element, a duplicate ID).
      throw rejectedResponse("saml_signature", { check: `the ${part}'s signature`, error: (err as Error).message });
    }
    if (verified === null) throw rejectedResponse("saml_signature", { check: `the ${part}'s signature verifies with the connection's certificates` });
    signed[part] = true;
    signed.sha1 ||= algorithmsOf(signature).some((algorithm) => SHA1.signatures.includes(algorithm) || SHA1.digests.includes(algorithm));
  }
  return signed;
}

const algorithmsOf = (signature: Element) => ["SignatureMethod", "DigestMethod"]
  .flatMap((name) => descendants(signature, NS.dsig, name)).map((method) => attributeOf(method, "Algorithm") ?? "");

const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
