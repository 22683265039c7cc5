import { sign, verify, X509Certificate } from "node:crypto";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { getVerifiedXml } from "@node-saml/node-saml/lib/xml.js";
import { SignedXml } from "xml-crypto";
import type { SpKey } from "../../identity/saml-key-material.js";
import { LogoutRefused } from "../errors.js";
import { checkAlgorithm, checkAlgorithms } from "./signatures.js";
import { childElements, NS, parseXml, XmlDtdError } from "./xml.js";

/**
 * The two bindings of Single Logout messages (SAML bindings §3.4 and §3.5), signed both ways: by us with the
 * connection's SP key, and by the IdP, whose signature is verified against the connection's certificates only (never
 * a KeyInfo). A message without a valid signature is refused: an unsigned LogoutRequest would let anyone sign anyone
 * out, and an unsigned LogoutResponse could claim a logout that did not happen.
 */

export type MessageKind = "SAMLRequest" | "SAMLResponse";

const RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/** The hash of each allowed Redirect-binding SigAlg (the allowlist itself is signatures.ts's). */
const SIG_ALG_HASHES: Record<string, string> = {
  [RSA_SHA256]: "sha256",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": "sha512",
  "http://www.w3.org/2000/09/xmldsig#rsa-sha1": "sha1",
};
/** A logout message is a few hundred bytes; this bounds what an inflated (zip-bomb) Redirect message may grow to. */
const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * HTTP-Redirect (§3.4.4.1): the message DEFLATEd and base64-encoded in the query, signed by RSA-SHA256 over the
 * exact octets `SAMLRequest=…&RelayState=…&SigAlg=…` as they appear, URL-encoded, in the URL.
 */
export function redirectUrl(target: string, kind: MessageKind, xml: string, relayState: string | null, key: SpKey): string {
  const encode = encodeURIComponent;
  const signed = `${kind}=${encode(deflateRawSync(xml).toString("base64"))}${relayState !== null ? `&RelayState=${encode(relayState)}` : ""}&SigAlg=${encode(RSA_SHA256)}`;
  const signature = sign("sha256", Buffer.from(signed), key.privateKey).toString("base64");
  const url = new URL(target);
  return `${url.origin}${url.pathname}?${url.search ? `${url.search.slice(1)}&` : ""}${signed}&Signature=${encode(signature)}`;
}

/** HTTP-POST (§3.5): the form fields of a message carrying an enveloped RSA-SHA256 signature after its Issuer. */
export function postFields(kind: MessageKind, xml: string, relayState: string | null, key: SpKey): Record<string, string> {
  const signer = new SignedXml({
    privateKey: key.privateKey, publicCert: key.certificate,
    signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: "http://www.w3.org/2001/10/xml-exc-c14n#",
  });
  const root = "/*";
  signer.addReference({
    xpath: root, digestAlgorithm: "http://www.w3.org/2001/04/xmlenc#sha256",
    transforms: ["http://www.w3.org/2000/09/xmldsig#enveloped-signature", "http://www.w3.org/2001/10/xml-exc-c14n#"],
  });
  signer.computeSignature(xml, { prefix: "ds", location: { reference: `${root}/*[local-name(.)='Issuer']`, action: "after" } });
  return { [kind]: Buffer.from(signer.getSignedXml()).toString("base64"), ...(relayState !== null ? { RelayState: relayState } : {}) };
}

/** A verified inbound message: the signed element alone, re-parsed from the signed bytes, and its RelayState. */
export interface ReceivedMessage {
  kind: MessageKind;
  message: Element;
  relayState: string | null;
}

const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;

/**
 * A Redirect-binding message from the raw query string: its signature is checked over the octets as received (§3.4.4.1
 * says not to re-encode them: IdPs differ in how they percent-encode), with one of the IdP's certificates.
 */
export function receiveRedirect(rawQuery: string, idpCertificates: string[], allowSha1: boolean): ReceivedMessage {
  const raw = new Map<string, string>();
  for (const pair of rawQuery.split("&")) {
    const eq = pair.indexOf("=");
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (raw.has(name)) throw new LogoutRefused("saml_logout_malformed", { check: "each query parameter once", parameter: name });
    raw.set(name, eq < 0 ? "" : pair.slice(eq + 1));
  }
  const decode = (name: string) => {
    try {
      return raw.has(name) ? decodeURIComponent(raw.get(name)!.replace(/\+/g, " ")) : null;
    } catch {
      throw new LogoutRefused("saml_logout_malformed", { check: "URL-encoded query parameters", parameter: name });
    }
  };
  const kinds = (["SAMLRequest", "SAMLResponse"] as const).filter((k) => raw.has(k));
  if (kinds.length !== 1) throw new LogoutRefused("saml_logout_malformed", { check: "one SAMLRequest or SAMLResponse parameter" });
  const kind = kinds[0];
  const sigAlg = decode("SigAlg");
  const signature = decode("Signature");
  if (!sigAlg || !signature) throw new LogoutRefused("saml_logout_unsigned", { check: "a Signature and SigAlg on the Redirect-binding message" });
  checkAlgorithm("signatures", sigAlg, allowSha1);
  const signed = [kind, "RelayState", "SigAlg"].filter((name) => raw.has(name)).map((name) => `${name}=${raw.get(name)}`).join("&");
  const valid = idpCertificates.some((body) =>
    verify(SIG_ALG_HASHES[sigAlg], Buffer.from(signed), new X509Certificate(Buffer.from(body, "base64")).publicKey, Buffer.from(signature, "base64")));
  if (!valid) throw new LogoutRefused("saml_logout_signature", { check: "the query signature verifies with one of the IdP's certificates" });
  let xml: string;
  try {
    xml = inflateRawSync(Buffer.from(decode(kind)!, "base64"), { maxOutputLength: MAX_MESSAGE_BYTES }).toString("utf8");
  } catch (err) {
    throw new LogoutRefused("saml_logout_malformed", { check: "a DEFLATEd message", error: (err as Error).message });
  }
  return { kind, message: parsed(xml), relayState: decode("RelayState") };
}

/**
 * A POST-binding message: one enveloped signature on its root, by one of the IdP's certificates, with allowed
 * algorithms. What is read afterwards comes from the signed bytes only (node-saml's getVerifiedXml), never from the
 * posted document around them.
 */
export function receivePost(kind: MessageKind, value: string, relayState: string | null, idpCertificates: string[], allowSha1: boolean): ReceivedMessage {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(value)) throw new LogoutRefused("saml_logout_malformed", { check: `${kind} is base64` });
  const xml = Buffer.from(value, "base64").toString("utf8");
  const root = parsed(xml);
  const signatures = childElements(root, NS.dsig, "Signature");
  if (signatures.length !== 1) throw new LogoutRefused("saml_logout_unsigned", { check: "one enveloped signature on the message", found: signatures.length });
  checkAlgorithms(signatures, allowSha1);
  let verified: string | null;
  try {
    verified = getVerifiedXml(xml, root, idpCertificates.map(pem));
  } catch (err) {
    throw new LogoutRefused("saml_logout_signature", { check: "the signature references its own message", error: (err as Error).message });
  }
  if (!verified) throw new LogoutRefused("saml_logout_signature", { check: "the signature verifies with one of the IdP's certificates" });
  return { kind, message: parsed(verified), relayState };
}

function parsed(xml: string): Element {
  try {
    return parseXml(xml).documentElement;
  } catch (err) {
    throw new LogoutRefused(err instanceof XmlDtdError ? "saml_dtd" : "saml_logout_malformed", { check: "well-formed XML", error: (err as Error).message });
  }
}
