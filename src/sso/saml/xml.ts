import { DOMParser } from "@xmldom/xmldom";

/** Reading SAML XML (IdP metadata, responses) with @xmldom/xmldom: namespaces, a DTD-free parser, child lookups. */

export const NS = {
  metadata: "urn:oasis:names:tc:SAML:2.0:metadata",
  assertion: "urn:oasis:names:tc:SAML:2.0:assertion",
  protocol: "urn:oasis:names:tc:SAML:2.0:protocol",
  dsig: "http://www.w3.org/2000/09/xmldsig#",
} as const;

/**
 * Parses XML, refusing any document type declaration: SAML never needs one, and a DTD is how entity expansion
 * (billion laughs) and external entities (XXE) get in. Throws with the parser's own words on malformed input.
 */
export function parseXml(text: string): Document {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new XmlDtdError();
  const fail = (message: string) => {
    throw new Error(message.replace(/\s+/g, " ").trim());
  };
  // Warnings too: xmldom only warns about an unclosed element, and a SAML document is either well-formed or refused.
  const doc = new DOMParser({ locator: {}, errorHandler: { warning: fail, error: fail, fatalError: fail } }).parseFromString(text, "text/xml");
  if (!doc?.documentElement) throw new Error("no root element");
  return doc;
}

export class XmlDtdError extends Error {
  constructor() {
    super("the XML contains a document type declaration (<!DOCTYPE>), which is never allowed");
    this.name = "XmlDtdError";
  }
}

/** Text or an attribute value written into XML we build (metadata, logout messages). */
export const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Element children of `parent` with the given namespace and local name, in document order. */
export function childElements(parent: Element | Document, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).namespaceURI === ns && (node as Element).localName === localName) out.push(node as Element);
  }
  return out;
}

/** The one child element with that name, or null when there is none (several are the caller's to refuse). */
export function childElement(parent: Element | Document, ns: string, localName: string): Element | null {
  return childElements(parent, ns, localName)[0] ?? null;
}

/** All descendant elements with the given namespace and local name. */
export function descendants(root: Element | Document, ns: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(ns, localName));
}

/** Trimmed text content of an element, or null when the element is missing or empty. */
export function textOf(element: Element | null): string | null {
  const text = element?.textContent?.trim();
  return text ? text : null;
}

/** An attribute's value, or null when absent (xmldom answers "" for a missing attribute). */
export function attributeOf(element: Element | null, name: string): string | null {
  return element?.hasAttribute(name) ? element.getAttribute(name) : null;
}
