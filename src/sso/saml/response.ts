import type { RequiredSignature } from "../../identity/connections.js";
import type { SpKey } from "../../identity/saml-key-material.js";
import { rejectedResponse, SsoError } from "../errors.js";
import { openEncryptedAssertion } from "./decryption.js";
import { inspectSignatures, type SignatureFacts } from "./signatures.js";
import { attributeOf, childElement, childElements, descendants, NS, parseXml, textOf, XmlDtdError } from "./xml.js";

/**
 * The checks on a SAML Response that node-saml 5.1 does not make (note §2), and node-saml's own refusals turned
 * into stable reasons. `inspectResponse` runs on the posted, unsigned document and only ever refuses; the facts a
 * login relies on come from `checkAssertion`, which reads the assertion node-saml verified.
 */

export interface Expected {
  /** The IdP's entity ID from its metadata: the assertion Issuer must equal it. */
  idpEntityId: string;
  /** This connection's ACS URL: the Recipient, and the Destination when present. */
  acsUrl: string;
  requiredSignature: RequiredSignature;
  allowSha1: boolean;
  /** The connection's SP keys: they decrypt an EncryptedAssertion. */
  spKeys: SpKey[];
}
const SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/**
 * Refuses a posted Response that no signature could make acceptable; returns its (unsigned) InResponseTo, which
 * SP key decrypted its assertion when it came encrypted, and which signatures it carries (each of them must then
 * verify).
 */
export function inspectResponse(samlResponse: string, expected: Expected): {
  inResponseTo: string | null; decryptionKeyId: string | null; signatures: SignatureFacts;
} {
  const response = responseElement(samlResponse);
  const status = childElement(response, NS.protocol, "Status");
  if (!status) throw rejectedResponse("saml_malformed", { check: "a Status in the Response" });
  const code = childElement(status, NS.protocol, "StatusCode");
  if (attributeOf(code, "Value") !== SUCCESS) {
    // IdPs send these unsigned (user not assigned to the app, MFA failed): worth logging exactly, never accepting.
    throw rejectedResponse("saml_status", {
      status: attributeOf(code, "Value"),
      subStatus: attributeOf(code && childElement(code, NS.protocol, "StatusCode"), "Value"),
      message: textOf(childElement(status, NS.protocol, "StatusMessage")),
    });
  }
  const { assertion, decryptionKeyId } = usedAssertion(response, expected.spKeys);
  const signatures = inspectSignatures(response, assertion, expected.requiredSignature, expected.allowSha1);
  const destination = attributeOf(response, "Destination");
  if (destination !== null && destination !== expected.acsUrl) {
    throw rejectedResponse("saml_destination", { destination, expected: expected.acsUrl });
  }
  const issuer = textOf(childElement(response, NS.assertion, "Issuer"));
  if (issuer !== null && issuer !== expected.idpEntityId) throw rejectedResponse("saml_issuer", { issuer, expected: expected.idpEntityId });
  return { inResponseTo: attributeOf(response, "InResponseTo"), decryptionKeyId, signatures };
}

/**
 * The one assertion of a Response, a child of it: plain, or encrypted to our SP certificate and decrypted here, so
 * that it is checked before anything is stored. Anything else (a second one, plain or encrypted, or one nested
 * deeper) is how signature wrapping (XSW) begins.
 */
function usedAssertion(response: Element, spKeys: SpKey[]): { assertion: Element; decryptionKeyId: string | null } {
  const found = [...descendants(response, NS.assertion, "Assertion"), ...descendants(response, NS.assertion, "EncryptedAssertion")];
  const child = childElement(response, NS.assertion, "Assertion") ?? childElement(response, NS.assertion, "EncryptedAssertion");
  if (found.length !== 1 || child !== found[0]) {
    throw rejectedResponse("saml_malformed", { check: "one Assertion or EncryptedAssertion, a child of the Response", found: found.length });
  }
  if (child.localName === "Assertion") return { assertion: child, decryptionKeyId: null };
  const { assertion, keyId } = openEncryptedAssertion(child, spKeys);
  const nested = descendants(assertion, NS.assertion, "Assertion").length + descendants(assertion, NS.assertion, "EncryptedAssertion").length;
  if (nested) throw rejectedResponse("saml_malformed", { check: "the decrypted Assertion holds no other assertion", found: nested + 1 });
  return { assertion, decryptionKeyId: keyId };
}

function responseElement(samlResponse: string): Element {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(samlResponse)) throw rejectedResponse("saml_malformed", { check: "SAMLResponse is base64" });
  let doc: Document;
  try {
    doc = parseXml(Buffer.from(samlResponse, "base64").toString("utf8"));
  } catch (err) {
    if (err instanceof XmlDtdError) throw rejectedResponse("saml_dtd", { check: err.message });
    throw rejectedResponse("saml_malformed", { check: "well-formed XML", error: (err as Error).message });
  }
  const root = doc.documentElement;
  if (root.namespaceURI !== NS.protocol || root.localName !== "Response") {
    throw rejectedResponse("saml_malformed", { check: "a samlp:Response", root: root.nodeName });
  }
  return root;
}

/** What a verified assertion says that the login needs beyond the profile. */
export interface AssertionFacts {
  id: string;
  /** Until when the assertion could be replayed: its bearer confirmation's NotOnOrAfter plus the clock skew. */
  replayableUntil: Date;
}

/**
 * Checks a verified assertion (node-saml's `getAssertionXml()`, the signed bytes): Issuer, Recipient, and that
 * its signed InResponseTo is `inResponseTo` (null for an IdP-initiated login: then it must have none).
 */
export function checkAssertion(assertionXml: string, expected: Expected & { inResponseTo: string | null; clockSkewMs: number }): AssertionFacts {
  const assertion = parseXml(assertionXml).documentElement;
  const issuer = textOf(childElement(assertion, NS.assertion, "Issuer"));
  if (issuer !== expected.idpEntityId) throw rejectedResponse("saml_issuer", { issuer, expected: expected.idpEntityId });

  const subject = childElement(assertion, NS.assertion, "Subject");
  const bearer = (subject ? childElements(subject, NS.assertion, "SubjectConfirmation") : [])
    .filter((c) => attributeOf(c, "Method") === BEARER)
    .map((c) => childElement(c, NS.assertion, "SubjectConfirmationData"));
  const data = bearer.find((d) => attributeOf(d, "Recipient") === expected.acsUrl);
  if (!data) {
    throw rejectedResponse("saml_recipient", { recipients: bearer.map((d) => attributeOf(d, "Recipient")), expected: expected.acsUrl });
  }
  const inResponseTo = attributeOf(data, "InResponseTo");
  if (inResponseTo !== expected.inResponseTo) {
    throw rejectedResponse("saml_in_response_to", { check: "the assertion's SubjectConfirmationData InResponseTo", inResponseTo, expected: expected.inResponseTo });
  }
  const id = attributeOf(assertion, "ID");
  const notOnOrAfter = Date.parse(attributeOf(data, "NotOnOrAfter") ?? "");
  if (!id || Number.isNaN(notOnOrAfter)) {
    // The Web Browser SSO profile requires both; without a NotOnOrAfter an assertion could be replayed forever.
    throw rejectedResponse("saml_malformed", { check: "an Assertion ID and a bearer NotOnOrAfter", id });
  }
  return { id, replayableUntil: new Date(notOnOrAfter + expected.clockSkewMs) };
}

/**
 * node-saml reports a refusal as a plain Error with a message (5.1.0; the suite has a case for each pattern). Status
 * errors and missing assertions never reach it (inspectResponse refused them), and errors of any other class (the
 * database, a bug) are not refusals: they pass on unchanged.
 */
const NODE_SAML_REFUSALS: [RegExp, string][] = [
  [/InResponseTo/, "saml_in_response_to"],
  [/expired|No valid subject confirmation/, "saml_expired"],
  [/not yet valid/, "saml_not_yet_valid"],
  [/Audience/i, "saml_audience"],
  [/signature|signed|ref URI/i, "saml_signature"],
  [/multiple conditions|Error parsing/, "saml_malformed"],
];

export function samlRefusal(err: unknown): unknown {
  if (err instanceof SsoError || !(err instanceof Error) || err.constructor !== Error) return err;
  const reason = NODE_SAML_REFUSALS.find(([pattern]) => pattern.test(err.message))?.[1] ?? "saml_invalid";
  return rejectedResponse(reason, { check: err.message });
}
