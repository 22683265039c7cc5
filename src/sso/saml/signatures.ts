import type { RequiredSignature } from "../../identity/connections.js";
import { rejectedResponse } from "../errors.js";
import { attributeOf, childElement, descendants, NS } from "./xml.js";

/**
 * Where a response's signatures may be and which must verify. IdPs sign the Response (Keycloak, PingFederate), the
 * Assertion (Entra, AD FS, Google, PingOne, Auth0) or both (Okta), and admins rarely know which: a response is
 * accepted when at least one valid signature covers the assertion used (a Response signature covers its assertion)
 * and refused when any signature present fails, so a valid signature never vouches for a broken or foreign one
 * beside it. node-saml verifies a signature when told it is wanted; `wantedSignatures` tells it to want every one
 * the response carries, besides those the connection requires.
 */

const SHA256 = {
  signatures: ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"],
  digests: ["http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2001/04/xmlenc#sha512"],
};
const SHA1 = { signatures: ["http://www.w3.org/2000/09/xmldsig#rsa-sha1"], digests: ["http://www.w3.org/2000/09/xmldsig#sha1"] };

/** Which of the Response and its Assertion carry a signature, and whether any uses SHA-1. */
export interface SignatureFacts {
  response: boolean;
  assertion: boolean;
  sha1: boolean;
}

/**
 * On the posted, unsigned document (cheap refusals before anything is stored): signatures only where they can cover
 * the assertion (on the Response or on its Assertion), at least one of them, those the connection requires, and only
 * the algorithms it allows. What xml-crypto implements minus HMAC (a key the IdP would have to share) and, unless the
 * connection allows it, SHA-1 (collisions). `assertion` is the one used: the Response's child, or the decrypted
 * EncryptedAssertion, a document of its own whose signatures the Response's do not include.
 */
export function inspectSignatures(response: Element, assertion: Element, required: RequiredSignature, allowSha1: boolean): SignatureFacts {
  const signatures = [response, ...(assertion.ownerDocument === response.ownerDocument ? [] : [assertion])]
    .flatMap((root) => descendants(root, NS.dsig, "Signature"));
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

  return { ...facts, sha1: checkAlgorithms(signatures, allowSha1) };
}

/**
 * Refuses a signature algorithm or digest outside the allowlist (SHA-1 only when the connection allows it); true when
 * one of them is SHA-1. Inside signatures only: an EncryptedKey's RSA-OAEP DigestMethod is another matter.
 */
export function checkAlgorithms(signatures: Element[], allowSha1: boolean): boolean {
  let sha1 = false;
  for (const [element, kind] of [["SignatureMethod", "signatures"], ["DigestMethod", "digests"]] as const) {
    for (const method of signatures.flatMap((signature) => descendants(signature, NS.dsig, element))) {
      sha1 ||= checkAlgorithm(kind, attributeOf(method, "Algorithm") ?? "", allowSha1);
    }
  }
  return sha1;
}

/** One algorithm URI against the allowlist (a Redirect-binding SigAlg too); true when it is an allowed SHA-1. */
export function checkAlgorithm(kind: "signatures" | "digests", algorithm: string, allowSha1: boolean): boolean {
  const weak = SHA1[kind].includes(algorithm);
  if (!SHA256[kind].includes(algorithm) && !(weak && allowSha1)) {
    throw rejectedResponse("saml_weak_algorithm", { kind, algorithm, ...(weak ? { fix: "switch the IdP to RSA-SHA256, or allow SHA-1 on the connection" } : {}) });
  }
  return weak;
}

/**
 * node-saml's `wantAuthnResponseSigned` / `wantAssertionsSigned` for one response: each signature it carries, and each
 * the connection requires. With both off node-saml would take a valid Response signature and look no further, or skip
 * a failing Response signature for a valid Assertion one. A signature stripped on the way only drops a check the
 * other signature still covers, and a response with none is refused before (`inspectSignatures`) and by node-saml.
 */
export function wantedSignatures(signed: Pick<SignatureFacts, "response" | "assertion">, required: RequiredSignature) {
  return {
    wantAuthnResponseSigned: signed.response || required === "response" || required === "both",
    wantAssertionsSigned: signed.assertion || required === "assertion" || required === "both",
  };
}
