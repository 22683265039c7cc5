import { generateKeyPairSync, randomBytes, randomUUID, sign as rsaSign, verify as rsaVerify } from "node:crypto";
import { once } from "node:events";
import { AddressInfo } from "node:net";
import { Server } from "node:http";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import assert from "node:assert/strict";
import { DOMParser } from "@xmldom/xmldom";
import express, { NextFunction, Request, Response } from "express";
import session from "express-session";
import forge from "node-forge";
import { pino } from "pino";
import { SignedXml } from "xml-crypto";
import type { Database } from "../../src/db/database.js";
import type { ConnectionRecord, SamlSettings } from "../../src/identity/connections.js";
import { newSpKey, type SpKey } from "../../src/identity/saml-key-material.js";
import type { IdpProfile } from "../../src/identity/sign-in.js";
import { SsoError } from "../../src/sso/errors.js";
import { samlPreset } from "../../src/sso/presets.js";
import type { LoginIntent } from "../../src/sso/protocol.js";
import { samlProtocol, spUrls } from "../../src/sso/saml/index.js";
import { encryptAssertion, type EncryptionShape } from "./saml-encryption.js";

/**
 * Everything a SAML test needs: a real IdP (RSA keys and self-signed certificates from node-forge, responses signed
 * with xml-crypto as note §5.3 describes, with switches that break each property a relying party must check), the
 * SP app under test (the protocol module on Express with express-session), and a cookie-keeping HTTP client.
 */

// ---------------------------------------------------------------------------------------------------------------
// Keys and certificates

export interface SigningKey {
  privateKey: string;
  certificate: string;
  /** The certificate's base64 DER body, as metadata and SamlSettings.idpCertificates hold it. */
  certBody: string;
}

const keys = new Map<string, SigningKey>();

/** An RSA-2048 key with a self-signed sha256 certificate, made once per name and process. */
export function signingKey(name: string): SigningKey {
  let key = keys.get(name);
  if (!key) {
    // Node's native key generation: forge's own takes seconds of CPU on a busy machine, and blocks while it does.
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const privateKey = forge.pki.privateKeyFromPem(pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(pair.publicKey.export({ type: "spki", format: "pem" }).toString());
    cert.serialNumber = `01${randomBytes(8).toString("hex")}`;
    cert.validity.notBefore = new Date(Date.now() - 86_400_000);
    cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
    const subject = [{ name: "commonName", value: name }];
    cert.setSubject(subject);
    cert.setIssuer(subject);
    cert.sign(privateKey, forge.md.sha256.create());
    const certificate = forge.pki.certificateToPem(cert);
    key = {
      privateKey: forge.pki.privateKeyToPem(privateKey),
      certificate,
      certBody: certificate.replace(/-----[A-Z ]+-----|\s+/g, ""),
    };
    keys.set(name, key);
  }
  return key;
}

// ---------------------------------------------------------------------------------------------------------------
// The IdP

export const NAMEID = {
  persistent: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
  unspecified: "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
  transient: "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
  email: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
};

const XMLDSIG_MORE = "http://www.w3.org/2001/04/xmldsig-more#";
const XMLENC = "http://www.w3.org/2001/04/xmlenc#";
const XMLDSIG = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ALGORITHMS = {
  sha256: { signature: `${XMLDSIG_MORE}rsa-sha256`, digest: `${XMLENC}sha256` },
  sha1: { signature: `${XMLDSIG}rsa-sha1`, digest: `${XMLDSIG}sha1` },
} as const;

export interface ResponseOptions {
  /** The SP's ACS URL: Destination and Recipient unless overridden. */
  acsUrl: string;
  /** The SP's entity ID: the Audience unless overridden. */
  audience: string;
  /** The AuthnRequest ID answered (Response and SubjectConfirmationData InResponseTo); omit for IdP-initiated. */
  inResponseTo?: string;
  /** Overrides the SubjectConfirmationData InResponseTo (null: none) without touching the Response's. */
  subjectInResponseTo?: string | null;
  nameId?: string;
  /** null: a NameID without a Format attribute. */
  nameIdFormat?: string | null;
  /** A record, or a list of [name, values] where a name may repeat: one Attribute element per entry (Keycloak's roles). */
  attributes?: Record<string, string | string[]> | [string, string | string[]][];
  /** The Attribute elements' NameFormat (Keycloak's X500 mappers use the uri format). */
  attributeNameFormat?: string;
  /** The assertion's Issuer; the Response's too unless `responseIssuer` says otherwise (null: none). */
  issuer?: string;
  responseIssuer?: string | null;
  recipient?: string;
  /** null: no Destination attribute. */
  destination?: string | null;
  /** Seconds from now. */
  notBefore?: number;
  notOnOrAfter?: number;
  status?: string;
  signAssertion?: boolean;
  signResponse?: boolean;
  /** Signs with this key instead of the IdP's first one. */
  key?: SigningKey;
  /** Signs the Response with this key (default: `key`): an attacker's signature around a validly signed assertion. */
  responseKey?: SigningKey;
  /** Put the signing certificate in the signature's KeyInfo (default true). */
  keyInfo?: boolean;
  algorithm?: keyof typeof ALGORITHMS;
  /** Encrypts the (signed) assertion to an SP certificate, before the Response is signed. */
  encrypt?: EncryptionShape;
  /** Edits the signed assertion before it is encrypted (a broken signature that only decryption reveals). */
  tamperAssertion?: (xml: string) => string;
  /** Edits the assertion XML before it is signed (to build odd but validly signed assertions). */
  editAssertion?: (xml: string) => string;
  /** Edits the finished document after signing (tampering, wrapping, comment injection, DTDs). */
  tamper?: (xml: string) => string;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const at = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();
const attr = (name: string, value: string | null | undefined) => (value == null ? "" : ` ${name}="${esc(value)}"`);

export class TestIdp {
  constructor(
    readonly entityId = "https://idp.example.test/saml/metadata",
    readonly ssoUrl = "https://idp.example.test/saml/sso",
    readonly keys: SigningKey[] = [signingKey("idp-1")],
  ) {}

  /**
   * IdP metadata listing every key as a signing certificate, with both SSO bindings unless `bindings` says which
   * (JumpCloud's export lists HTTP-POST only).
   */
  metadata(options: { bindings?: ("HTTP-POST" | "HTTP-Redirect")[]; wantsSignedRequests?: boolean; slo?: { url: string; binding: "HTTP-POST" | "HTTP-Redirect" } } = {}): string {
    const keyDescriptors = this.keys.map((k) => `
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
      ${k.certBody.match(/.{1,64}/g)!.join("\n      ")}
    </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`).join("");
    return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${esc(this.entityId)}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="${options.wantsSignedRequests ?? false}" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${keyDescriptors}
    <md:NameIDFormat>${NAMEID.persistent}</md:NameIDFormat>
    <md:NameIDFormat>${NAMEID.email}</md:NameIDFormat>${(options.bindings ?? ["HTTP-POST", "HTTP-Redirect"]).map((binding) => `
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${esc(this.ssoUrl)}"/>`).join("")}${options.slo ? `
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${options.slo.binding}" Location="${esc(options.slo.url)}"/>` : ""}
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
  }

  /** A SAML Response as the HTTP-POST binding carries it (base64). */
  response(options: ResponseOptions): string {
    return Buffer.from(this.responseXml(options)).toString("base64");
  }

  responseXml(o: ResponseOptions): string {
    const issuer = o.issuer ?? this.entityId;
    const responseIssuer = o.responseIssuer === undefined ? issuer : o.responseIssuer;
    const subjectInResponseTo = o.subjectInResponseTo === undefined ? o.inResponseTo : o.subjectInResponseTo;
    const notOnOrAfter = at(o.notOnOrAfter ?? 300);
    const entries = Array.isArray(o.attributes) ? o.attributes : Object.entries(o.attributes ?? {});
    const nameFormat = o.attributeNameFormat ?? "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified";
    const attributes = entries.map(([name, values]) =>
      `<saml:Attribute Name="${esc(name)}" NameFormat="${esc(nameFormat)}">${
        [values].flat().map((v) => `<saml:AttributeValue xsi:type="xs:string">${esc(v)}</saml:AttributeValue>`).join("")}</saml:Attribute>`).join("");
    let assertion = `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="_${randomUUID()}" Version="2.0" IssueInstant="${at(0)}">` +
      `<saml:Issuer>${esc(issuer)}</saml:Issuer>` +
      `<saml:Subject><saml:NameID${attr("Format", o.nameIdFormat === undefined ? NAMEID.persistent : o.nameIdFormat)}>${esc(o.nameId ?? "00u1abcd")}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${
        attr("InResponseTo", subjectInResponseTo)} NotOnOrAfter="${notOnOrAfter}" Recipient="${esc(o.recipient ?? o.acsUrl)}"/></saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${at(o.notBefore ?? -30)}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${at(-5)}" SessionIndex="_${randomUUID()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : "") +
      `</saml:Assertion>`;
    if (o.editAssertion) assertion = o.editAssertion(assertion);
    let xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${randomUUID()}" Version="2.0" IssueInstant="${at(0)}"${
      attr("Destination", o.destination === undefined ? o.acsUrl : o.destination)}${attr("InResponseTo", o.inResponseTo)}>` +
      (responseIssuer === null ? "" : `<saml:Issuer>${esc(responseIssuer)}</saml:Issuer>`) +
      `<samlp:Status><samlp:StatusCode Value="${esc(o.status ?? "urn:oasis:names:tc:SAML:2.0:status:Success")}"/></samlp:Status>` +
      assertion + `</samlp:Response>`;
    const key = o.key ?? this.keys[0];
    const sign = (target: "Assertion" | "Response", by: SigningKey) => { xml = signXml(xml, target, by, o.algorithm ?? "sha256", o.keyInfo ?? true); };
    if (o.signAssertion ?? true) sign("Assertion", key);
    if (o.encrypt) {
      const shape = o.encrypt;
      xml = xml.replace(/<saml:Assertion [\s\S]*<\/saml:Assertion>/, (signed) => encryptAssertion(o.tamperAssertion?.(signed) ?? signed, shape));
    }
    if (o.signResponse) sign("Response", o.responseKey ?? key);
    return o.tamper ? o.tamper(xml) : xml;
  }
}

/** A Single Logout message from the IdP, with switches that break each property the SP must check. */
export interface LogoutMessageOptions {
  /** The SP's SLO endpoint: the Destination unless overridden (null: none). */
  destination: string | null;
  issuer?: string;
  /** Seconds from now. */
  issuedAt?: number;
  id?: string;
}

export function logoutRequestXml(idp: TestIdp, o: LogoutMessageOptions & { nameId: string; nameIdFormat?: string; sessionIndex?: string }): string {
  return `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${o.id ?? `_${randomUUID()}`}" Version="2.0" IssueInstant="${at(o.issuedAt ?? 0)}"${attr("Destination", o.destination)}>` +
    `<saml:Issuer>${esc(o.issuer ?? idp.entityId)}</saml:Issuer><saml:NameID Format="${esc(o.nameIdFormat ?? NAMEID.persistent)}">${esc(o.nameId)}</saml:NameID>` +
    (o.sessionIndex ? `<samlp:SessionIndex>${esc(o.sessionIndex)}</samlp:SessionIndex>` : "") + `</samlp:LogoutRequest>`;
}

export function logoutResponseXml(idp: TestIdp, o: LogoutMessageOptions & { inResponseTo: string; status?: string }): string {
  return `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${o.id ?? `_${randomUUID()}`}" Version="2.0" IssueInstant="${at(o.issuedAt ?? 0)}"${attr("Destination", o.destination)} InResponseTo="${esc(o.inResponseTo)}">` +
    `<saml:Issuer>${esc(o.issuer ?? idp.entityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="${esc(o.status ?? "urn:oasis:names:tc:SAML:2.0:status:Success")}"/></samlp:Status></samlp:LogoutResponse>`;
}

type MessageKind = "SAMLRequest" | "SAMLResponse";
/**
 * `sign: false` sends the message unsigned; `key` signs with another key than the IdP's. `lowercaseEscapes`: the
 * query's percent-escapes in lower case, as Entra writes (and signs) them (php-saml#433).
 */
export interface SigningChoice { sign?: boolean; key?: SigningKey; relayState?: string; lowercaseEscapes?: boolean }

/** The HTTP-Redirect binding (bindings §3.4.4.1) as an IdP sends it: the SP's endpoint with a signed query. */
export function redirectBinding(idp: TestIdp, endpoint: string, kind: MessageKind, xml: string, o: SigningChoice = {}): string {
  const query = new URLSearchParams({ [kind]: deflateRawSync(Buffer.from(xml)).toString("base64") });
  if (o.relayState) query.set("RelayState", o.relayState);
  if (o.sign === false) return `${endpoint}?${query}`;
  query.set("SigAlg", ALGORITHMS.sha256.signature);
  const signed = o.lowercaseEscapes ? query.toString().replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()) : query.toString();
  const signature = rsaSign("sha256", Buffer.from(signed), (o.key ?? idp.keys[0]).privateKey).toString("base64");
  return `${endpoint}?${signed}&${new URLSearchParams({ Signature: signature })}`;
}

/** The HTTP-POST binding's form fields, the message signed (enveloped) unless `sign` is false. */
export function postBinding(idp: TestIdp, kind: MessageKind, xml: string, o: SigningChoice = {}): Record<string, string> {
  const root = kind === "SAMLRequest" ? "LogoutRequest" : "LogoutResponse";
  const signed = o.sign === false ? xml : signXml(xml, root, o.key ?? idp.keys[0], "sha256", true);
  return { [kind]: Buffer.from(signed).toString("base64"), ...(o.relayState ? { RelayState: o.relayState } : {}) };
}

/**
 * What the SP sent to the IdP's SLO endpoint, by either binding: the message XML once its signature verified with
 * `certificate` (the SP's), or an exception.
 */
export function readSpLogoutMessage(sent: { location: string } | { form: Record<string, string> }, certificate: string): { xml: string; id: string; relayState: string | null } {
  let xml: string;
  let relayState: string | null;
  if ("location" in sent) {
    const url = new URL(sent.location);
    const raw = url.search.slice(1);
    const signed = raw.slice(0, raw.indexOf("&Signature="));
    assert(url.searchParams.get("SigAlg") === ALGORITHMS.sha256.signature, "signed with RSA-SHA256");
    assert(rsaVerify("sha256", Buffer.from(signed), certificate, Buffer.from(url.searchParams.get("Signature") ?? "", "base64")), "the query signature verifies with the SP certificate");
    const kind = url.searchParams.has("SAMLRequest") ? "SAMLRequest" : "SAMLResponse";
    xml = inflateRawSync(Buffer.from(url.searchParams.get(kind)!, "base64")).toString("utf8");
    relayState = url.searchParams.get("RelayState");
  } else {
    xml = Buffer.from(sent.form.SAMLRequest ?? sent.form.SAMLResponse, "base64").toString("utf8");
    const verifier = new SignedXml({ publicCert: certificate });
    verifier.loadSignature(new DOMParser().parseFromString(xml, "text/xml").getElementsByTagNameNS(XMLDSIG, "Signature")[0]);
    assert(verifier.checkSignature(xml), "the enveloped signature verifies with the SP certificate");
    relayState = sent.form.RelayState ?? null;
  }
  const id = /\bID="([^"]+)"/.exec(xml)?.[1];
  if (!id) throw new Error(`no ID in ${xml}`);
  return { xml, id, relayState };
}

/** Note §5.3: an enveloped exc-c14n signature placed after the element's Issuer, where the schema wants it. */
function signXml(xml: string, target: string, key: SigningKey, algorithm: keyof typeof ALGORITHMS, keyInfo: boolean): string {
  const select = `//*[local-name(.)='${target}']`;
  const signer = new SignedXml({
    privateKey: key.privateKey,
    publicCert: keyInfo ? key.certificate : undefined,
    signatureAlgorithm: ALGORITHMS[algorithm].signature,
    canonicalizationAlgorithm: EXC_C14N,
  });
  signer.addReference({ xpath: select, digestAlgorithm: ALGORITHMS[algorithm].digest, transforms: [`${XMLDSIG}enveloped-signature`, EXC_C14N] });
  signer.computeSignature(xml, { prefix: "ds", location: { reference: `${select}/*[local-name(.)='Issuer']`, action: "after" } });
  return signer.getSignedXml();
}

/** The AuthnRequest an SP redirected to: its XML, ID and the RelayState beside it. */
export function readAuthnRequest(location: string): { xml: string; id: string; relayState: string | null } {
  const url = new URL(location);
  const xml = inflateRawSync(Buffer.from(url.searchParams.get("SAMLRequest") ?? "", "base64")).toString("utf8");
  const id = /\bID="([^"]+)"/.exec(xml)?.[1];
  if (!id) throw new Error(`no AuthnRequest ID in ${xml}`);
  return { xml, id, relayState: url.searchParams.get("RelayState") };
}

// ---------------------------------------------------------------------------------------------------------------
// The SP under test

export interface RecordedLogin {
  connectionId: string;
  intent: LoginIntent;
  profile: IdpProfile;
}

export interface SamlSp {
  baseUrl: string;
  server: Server;
  logins: RecordedLogin[];
  /** The SP key every connection gets unless its settings name others. */
  spKey: SpKey;
  /** Adds a SAML connection trusting `idp`, with the generic preset and `settings` on top. */
  connect(idp: TestIdp, settings?: Partial<SamlSettings>, preset?: string): ConnectionRecord;
  urls(connection: ConnectionRecord): ReturnType<typeof spUrls>;
  close(): Promise<void>;
}

/**
 * The protocol module on a small app: express-session (MemoryStore, SameSite=Lax, saveUninitialized false), a
 * `/login/:connectionId` route that calls `start`, the protocol's routes under `/sso/:connectionId/saml`, a
 * `finishLogin` that records the profile and answers it as JSON, and an error handler answering `{ reason }`.
 */
export async function startSamlSp(db: Database, options: { host?: string; clockSkewMs?: number } = {}): Promise<SamlSp> {
  const host = options.host ?? "127.0.0.1";
  const app = express();
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const baseUrl = `http://${host}:${(server.address() as AddressInfo).port}`;
  const connections = new Map<string, ConnectionRecord>();
  const logins: RecordedLogin[] = [];
  const spKey = await newSpKey("test SP", "current");
  const protocol = samlProtocol({ db, baseUrl, logger: pino({ level: "silent" }), allowInsecureIdp: true }, { clockSkewMs: options.clockSkewMs });

  app.use(session({
    secret: randomBytes(16).toString("hex"), resave: false, saveUninitialized: false, name: "rc_session",
    cookie: { sameSite: "lax", httpOnly: true, secure: false },
  }));
  app.get("/login/:connectionId", async (req, res) => {
    const connection = connections.get(req.params.connectionId);
    if (!connection) return void res.status(404).end();
    await protocol.start(req, res, connection, { returnTo: "/home", dryRun: req.query.dryRun === "1" });
  });
  const samlRoutes = express.Router({ mergeParams: true });
  protocol.mount(samlRoutes, async (_req, res, connection, intent, profile) => {
    logins.push({ connectionId: connection.id, intent, profile });
    res.json({ connectionId: connection.id, intent, profile });
  });
  app.use("/sso/:connectionId/saml", (req, res, next) => {
    res.locals.connection = connections.get(req.params.connectionId as string);
    if (!res.locals.connection) return void res.status(404).end();
    next();
  }, samlRoutes);
  app.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof SsoError) return void res.status(err.status).json({ reason: err.reason, detail: err.detail });
    res.status(err.status ?? 500).json({ error: err.message });
  });

  return {
    baseUrl, server, logins, spKey,
    connect(idp, settings = {}, preset = "generic") {
      const now = new Date().toISOString();
      const connection: ConnectionRecord = {
        id: randomUUID(), organizationId: randomUUID(), type: "saml", name: `${preset} test`, loginPath: randomUUID(),
        enabled: true, isDefault: false, allowOtherDomains: false, preset, oidc: null, version: 1, createdAt: now, updatedAt: now,
        saml: {
          ...samlPreset(preset),
          idpMetadataUrl: null, idpMetadataXml: idp.metadata(), idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl,
          idpCertificates: idp.keys.map((k) => k.certBody), metadataFetchedAt: null, allowIdpInitiated: false, spKeys: [spKey],
          ...settings,
        },
      };
      connections.set(connection.id, connection);
      return connection;
    },
    urls: (connection) => spUrls(baseUrl, connection.id),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A browser without SameSite: fetch with a cookie jar

/**
 * Keeps cookies like a browser, but plain HTTP ignores SameSite, so `crossSitePost` leaves them out on purpose:
 * that is what a browser does with a SameSite=Lax cookie on the IdP's cross-site POST to the ACS.
 */
export class CookieJarClient {
  private readonly jar = new Map<string, string>();

  async get(url: string): Promise<globalThis.Response> {
    return this.keep(await fetch(url, { redirect: "manual", headers: { cookie: this.cookieHeader() } }));
  }

  async crossSitePost(url: string, form: Record<string, string>): Promise<globalThis.Response> {
    return this.keep(await fetch(url, { method: "POST", redirect: "manual", body: new URLSearchParams(form) }));
  }

  /** A same-site form POST (the console's sign-out button), with the cookies. */
  async postForm(url: string, form: Record<string, string>): Promise<globalThis.Response> {
    return this.keep(await fetch(url, { method: "POST", redirect: "manual", body: new URLSearchParams(form), headers: { cookie: this.cookieHeader() } }));
  }

  /** A same-site JSON POST (the console's API calls), keeping the cookies it sets. */
  async postJson(url: string, body: unknown): Promise<globalThis.Response> {
    return this.keep(await fetch(url, {
      method: "POST", redirect: "manual", body: JSON.stringify(body),
      headers: { cookie: this.cookieHeader(), "content-type": "application/json", origin: new URL(url).origin },
    }));
  }

  private cookieHeader(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  private keep(res: globalThis.Response): globalThis.Response {
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const eq = pair.indexOf("=");
      this.jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return res;
  }
}
