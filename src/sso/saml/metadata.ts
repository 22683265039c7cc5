import { X509Certificate } from "node:crypto";
import type { IdpSingleLogout, SamlBinding, SamlSettings } from "../../identity/connections.js";
import { assertPublicUrl } from "../outbound.js";
import { attributeOf, childElement, childElements, NS, parseXml, textOf, XmlDtdError } from "./xml.js";

/**
 * IdP metadata (SAML 2.0 metadata, the XML an admin downloads from Okta, Entra, … or gives us the URL of): what we
 * need from it, read with clear messages about what is wrong, and fetched safely from an admin-entered URL.
 */

export interface IdpMetadata {
  entityId: string;
  /** The SingleSignOnService for the HTTP-Redirect binding, else the HTTP-POST one (JumpCloud, older OneLogin). */
  ssoUrl: string;
  ssoBinding: SamlBinding;
  /** WantAuthnRequestsSigned="true": the IdP refuses unsigned AuthnRequests. */
  wantsSignedRequests: boolean;
  /** Base64 DER bodies (no PEM armour, no whitespace) of every signing certificate: several during a rollover. */
  certificates: string[];
  nameIdFormats: string[];
  /** The SingleLogoutService (HTTP-Redirect preferred, else HTTP-POST), or null when the IdP offers none (Google). */
  slo: IdpSingleLogout | null;
}

/** Something wrong with IdP metadata; the message says what, in words an admin can act on. */
export class SamlMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SamlMetadataError";
  }
}

const BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:";
const SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol";

export function parseIdpMetadata(xml: string): IdpMetadata {
  const descriptor = entityDescriptor(xml);
  const entityId = attributeOf(descriptor, "entityID")?.trim();
  if (!entityId) throw new SamlMetadataError("The EntityDescriptor has no entityID attribute.");
  const idps = childElements(descriptor, NS.metadata, "IDPSSODescriptor");
  if (idps.length !== 1) {
    const sp = childElement(descriptor, NS.metadata, "SPSSODescriptor") !== null;
    throw new SamlMetadataError(idps.length ? "The metadata has several IDPSSODescriptor elements; expected one."
      : sp ? "This is service-provider metadata (SPSSODescriptor), not the identity provider's: download the IdP metadata from the IdP."
        : "The metadata has no IDPSSODescriptor: it does not describe a SAML identity provider.");
  }
  const idp = idps[0];
  const protocols = (attributeOf(idp, "protocolSupportEnumeration") ?? "").split(/\s+/);
  if (!protocols.includes(SAML2_PROTOCOL)) throw new SamlMetadataError("The IDPSSODescriptor does not support SAML 2.0 (protocolSupportEnumeration).");
  return {
    entityId,
    ...singleSignOnService(idp),
    wantsSignedRequests: attributeOf(idp, "WantAuthnRequestsSigned") === "true",
    certificates: signingCertificates(idp),
    nameIdFormats: childElements(idp, NS.metadata, "NameIDFormat").map(textOf).filter((f): f is string => f !== null),
    slo: singleLogoutService(idp),
  };
}

function entityDescriptor(xml: string): Element {
  let doc: Document;
  try {
    doc = parseXml(xml);
  } catch (err) {
    throw new SamlMetadataError(err instanceof XmlDtdError ? "The metadata contains a <!DOCTYPE>, which is never allowed."
      : `The metadata is not well-formed XML (${(err as Error).message}).`);
  }
  const root = doc.documentElement;
  if (root.namespaceURI === NS.metadata && root.localName === "EntityDescriptor") return root;
  if (root.namespaceURI === NS.metadata && root.localName === "EntitiesDescriptor") {
    // A federation aggregate: usable only when exactly one of its entities is an IdP.
    const idps = childElements(root, NS.metadata, "EntityDescriptor").filter((e) => childElement(e, NS.metadata, "IDPSSODescriptor"));
    if (idps.length === 1) return idps[0];
    throw new SamlMetadataError(`The metadata describes ${idps.length} identity providers; use the metadata of the one for this application.`);
  }
  throw new SamlMetadataError(`The root element is <${root.nodeName}>, not a SAML metadata EntityDescriptor (namespace ${NS.metadata}).`);
}

/** Redirect first: a plain 302, where POST needs a page of ours that the browser submits. */
const BINDINGS: SamlBinding[] = ["HTTP-Redirect", "HTTP-POST"];

/** The first service of this kind with a binding we speak, in the order of BINDINGS, or null. */
function serviceOf(idp: Element, kind: "SingleSignOnService" | "SingleLogoutService"): { service: Element; binding: SamlBinding } | null {
  const services = childElements(idp, NS.metadata, kind);
  for (const binding of BINDINGS) {
    const service = services.find((s) => attributeOf(s, "Binding") === BINDING + binding);
    if (service) return { service, binding };
  }
  return null;
}

function httpUrl(service: Element, attribute: "Location" | "ResponseLocation"): string {
  const location = attributeOf(service, attribute)?.trim() ?? "";
  if (!/^https?:\/\//i.test(location) || !URL.canParse(location)) {
    throw new SamlMetadataError(`The ${service.localName} ${attribute} "${location}" is not an http(s) URL.`);
  }
  return location;
}

function singleSignOnService(idp: Element): { ssoUrl: string; ssoBinding: SamlBinding } {
  const found = serviceOf(idp, "SingleSignOnService");
  if (!found) {
    const bindings = childElements(idp, NS.metadata, "SingleSignOnService").map((s) => attributeOf(s, "Binding") ?? "(no Binding)");
    throw new SamlMetadataError(`The IDPSSODescriptor has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding` +
      (bindings.length ? ` (found: ${bindings.join(", ")}).` : "."));
  }
  return { ssoUrl: httpUrl(found.service, "Location"), ssoBinding: found.binding };
}

function singleLogoutService(idp: Element): IdpSingleLogout | null {
  const found = serviceOf(idp, "SingleLogoutService");
  if (!found) return null;
  const url = httpUrl(found.service, "Location");
  const responseUrl = attributeOf(found.service, "ResponseLocation") ? httpUrl(found.service, "ResponseLocation") : url;
  return { url, responseUrl, binding: found.binding };
}

function signingCertificates(idp: Element): string[] {
  const signing = childElements(idp, NS.metadata, "KeyDescriptor").filter((k) => (attributeOf(k, "use") ?? "signing") === "signing");
  const bodies = signing.flatMap((k) => childElements(k, NS.dsig, "KeyInfo"))
    .flatMap((info) => childElements(info, NS.dsig, "X509Data"))
    .flatMap((data) => childElements(data, NS.dsig, "X509Certificate"))
    .map((cert) => (cert.textContent ?? "").replace(/\s+/g, ""));
  if (!bodies.length) {
    throw new SamlMetadataError("The IDPSSODescriptor has no signing certificate (a KeyDescriptor with use=\"signing\" or no use, holding a ds:X509Certificate).");
  }
  bodies.forEach((body, i) => {
    try {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new Error("not base64");
      new X509Certificate(Buffer.from(body, "base64"));
    } catch {
      throw new SamlMetadataError(`Signing certificate ${i + 1} in the metadata is not a valid base64 X.509 certificate.`);
    }
  });
  return [...new Set(bodies)];
}

/** The SamlSettings fields that come from metadata. */
export type MetadataSettings = Pick<SamlSettings,
  "idpEntityId" | "idpSsoUrl" | "idpSsoBinding" | "idpWantsSignedRequests" | "idpCertificates" | "metadataFetchedAt" | "idpSlo">;

export function metadataSettings(metadata: IdpMetadata, fetchedAt: string | null): MetadataSettings {
  return {
    idpEntityId: metadata.entityId, idpSsoUrl: metadata.ssoUrl, idpSsoBinding: metadata.ssoBinding,
    idpWantsSignedRequests: metadata.wantsSignedRequests, idpCertificates: metadata.certificates, metadataFetchedAt: fetchedAt,
    idpSlo: metadata.slo,
  };
}

export interface FetchOptions {
  /** Allows http:// and loopback or private addresses (tests, local development); see SsoDeps. */
  allowInsecureIdp: boolean;
  timeoutMs?: number;
}

const MAX_METADATA_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 3;

/** Downloads and parses IdP metadata from an admin-entered URL. */
export async function fetchIdpMetadata(url: string, options: FetchOptions): Promise<{ xml: string; metadata: IdpMetadata }> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  let target = url;
  try {
    for (let hops = 0; ; hops++) {
      await assertPublicUrl(target, options.allowInsecureIdp).catch((err: Error) => {
        throw new SamlMetadataError(`The metadata URL cannot be used: ${err.message}`);
      });
      // Redirects are followed by hand so that every hop passes the same checks as the first URL.
      const res = await fetch(target, { redirect: "manual", signal, headers: { accept: "application/samlmetadata+xml, application/xml, text/xml" } });
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location && hops < MAX_REDIRECTS) {
        await res.body?.cancel();
        target = new URL(location, target).toString();
        continue;
      }
      if (!res.ok) throw new SamlMetadataError(`Fetching the IdP metadata from ${url} failed: HTTP ${res.status}.`);
      const xml = await readLimited(res, MAX_METADATA_BYTES);
      return { xml, metadata: parseIdpMetadata(xml) };
    }
  } catch (err) {
    if (err instanceof SamlMetadataError) throw err;
    const why = (err as Error).name === "TimeoutError" ? "it did not answer in time" : (err as Error).message;
    throw new SamlMetadataError(`Fetching the IdP metadata from ${url} failed: ${why}.`);
  }
}

async function readLimited(res: Response, limit: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.byteLength;
    if (size > limit) throw new SamlMetadataError(`The IdP metadata is larger than ${limit} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}


/** Metadata older than this is fetched again by `refreshedMetadata`. */
export const METADATA_MAX_AGE_MS = 24 * 3_600_000;

/**
 * The metadata settings of a connection whose metadata came from a URL and is older than `maxAgeMs`: certificates
 * roll over at the IdP and the URL is how they reach us. Returns null when nothing is due. Writing the settings is
 * the identity core's job, so the caller saves what this returns.
 */
export async function refreshedMetadata(
  saml: SamlSettings, options: FetchOptions & { maxAgeMs?: number; now?: Date },
): Promise<MetadataSettings | null> {
  if (!saml.idpMetadataUrl) return null;
  const now = options.now ?? new Date();
  const fetchedAt = saml.metadataFetchedAt ? Date.parse(saml.metadataFetchedAt) : 0;
  if (now.getTime() - fetchedAt < (options.maxAgeMs ?? METADATA_MAX_AGE_MS)) return null;
  const { metadata } = await fetchIdpMetadata(saml.idpMetadataUrl, options);
  return metadataSettings(metadata, now.toISOString());
}
