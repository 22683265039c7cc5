import { randomBytes } from "node:crypto";
import type { Request, Response } from "express";
import type { ConnectionRecord, SamlSettings } from "../../identity/connections.js";
import { endSamlSessions, type SamlLogin } from "../../identity/sessions.js";
import { html, page } from "../../web/html.js";
import { LogoutRefused } from "../errors.js";
import type { SsoDeps } from "../protocol.js";
import { postFields, redirectUrl, type MessageKind, type ReceivedMessage } from "./bindings.js";
import { sendAutoPostForm, sendRedirectPage, SIGN_OUT } from "./post-binding.js";
import { recordOnce, rememberLogout, takeLogout } from "./transactions.js";
import { attributeOf, childElement, childElements, escapeXml as esc, NS, textOf } from "./xml.js";

/**
 * SAML Single Logout (SAML profiles §4.4), both ways, for a connection whose IdP metadata has a SingleLogoutService.
 *
 * - SP-initiated: when a person signs out of a session a SAML login opened, the session ends here first (whatever the
 *   IdP does next), then a LogoutRequest signed with the connection's current SP key goes to the IdP, naming the
 *   NameID and SessionIndex of that login. Its id waits in `sso_transactions`; the LogoutResponse must answer it,
 *   once, signed by the IdP, addressed to our SLO endpoint.
 * - IdP-initiated: a LogoutRequest signed by the IdP, addressed to this connection's SLO endpoint, fresh and never
 *   seen before ends the sessions of its NameID (and SessionIndex, when named) opened through this connection, in
 *   its organization only, through the identity core (audited). The answer is a signed LogoutResponse.
 *
 * Anything else (unsigned, another key, another Destination or Issuer, stale, replayed) is refused by a
 * LogoutRefused, logged with the failed check, and ends nothing.
 */

type SamlConnection = ConnectionRecord & { saml: SamlSettings };

export interface LogoutDeps extends SsoDeps {
  clockSkewMs: number;
  /** This connection's SP entity ID (our Issuer) and SLO endpoint (the Destination an IdP message must name). */
  urlsOf(connectionId: string): { entityId: string; slo: string };
}

const SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success";
/** A logout message older than this (beyond the clock skew) is refused: the IdP sends it as the person clicks. */
export const MAX_MESSAGE_AGE_MS = 5 * 60_000;

const optional = (name: string, value: string | null) => (value === null ? "" : ` ${name}="${esc(value)}"`);
const newId = () => `_${randomBytes(20).toString("hex")}`;
const header = (id: string, destination: string) => `ID="${id}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${esc(destination)}"`;
const PROTOCOL = `xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}"`;

function logoutRequestXml(id: string, issuer: string, destination: string, login: SamlLogin): string {
  return `<samlp:LogoutRequest ${PROTOCOL} ${header(id, destination)}><saml:Issuer>${esc(issuer)}</saml:Issuer>` +
    `<saml:NameID${optional("Format", login.format)}${optional("NameQualifier", login.nameQualifier)}${optional("SPNameQualifier", login.spNameQualifier)}>${esc(login.nameId)}</saml:NameID>` +
    (login.sessionIndex === null ? "" : `<samlp:SessionIndex>${esc(login.sessionIndex)}</samlp:SessionIndex>`) + `</samlp:LogoutRequest>`;
}

function logoutResponseXml(id: string, issuer: string, destination: string, inResponseTo: string): string {
  return `<samlp:LogoutResponse ${PROTOCOL} ${header(id, destination)} InResponseTo="${esc(inResponseTo)}"><saml:Issuer>${esc(issuer)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${SUCCESS}"/></samlp:Status></samlp:LogoutResponse>`;
}

const currentKey = (saml: SamlSettings) => saml.spKeys?.find((k) => k.state === "current");

/**
 * Sends a signed message to the IdP's SLO endpoint by the binding its metadata offers. A Redirect-binding message
 * answering a form post of ours (`answersForm`) goes by a page rather than a 302, which `form-action` would block.
 */
function sendToIdp(res: Response, saml: SamlSettings, url: string, message: { kind: MessageKind; xml: string; relayState: string | null; answersForm: boolean }): void {
  const key = currentKey(saml)!;
  if (saml.idpSlo!.binding === "HTTP-POST") return sendAutoPostForm(res, url, postFields(message.kind, message.xml, message.relayState, key), SIGN_OUT);
  const location = redirectUrl(url, message.kind, message.xml, message.relayState, key);
  if (message.answersForm) sendRedirectPage(res, location, SIGN_OUT);
  else res.redirect(302, location);
}

/**
 * After the local session has ended: sends the browser to the IdP with a LogoutRequest for the login that opened it.
 * False when there is nothing to send (no SingleLogoutService, no SP key, a session from before logins were kept).
 */
export async function startSingleLogout(deps: LogoutDeps, res: Response, connection: SamlConnection, login: SamlLogin | null, returnTo: string): Promise<boolean> {
  const { saml } = connection;
  if (!saml.idpSlo || !currentKey(saml) || !login) return false;
  const id = newId();
  await rememberLogout(deps.db, connection.id, id, { returnTo });
  const xml = logoutRequestXml(id, deps.urlsOf(connection.id).entityId, saml.idpSlo.url, login);
  sendToIdp(res, saml, saml.idpSlo.url, { kind: "SAMLRequest", xml, relayState: null, answersForm: true });
  return true;
}

/** Answers a verified SLO message from the IdP: a LogoutResponse to ours, or a LogoutRequest of its own. */
export async function answerLogoutMessage(deps: LogoutDeps, req: Request, res: Response, connection: SamlConnection, received: ReceivedMessage): Promise<void> {
  const message = checkEnvelope(deps, connection, received);
  if (received.kind === "SAMLResponse") return loggedOut(deps, req, res, connection, message);
  return logoutRequested(deps, req, res, connection, message, received.relayState);
}

/** The checks every logout message passes: its type, Issuer, Destination and IssueInstant. */
function checkEnvelope(deps: LogoutDeps, connection: SamlConnection, { kind, message }: ReceivedMessage): { id: string; element: Element; issuedAt: number } {
  const expected = kind === "SAMLRequest" ? "LogoutRequest" : "LogoutResponse";
  if (message.namespaceURI !== NS.protocol || message.localName !== expected || attributeOf(message, "Version") !== "2.0") {
    throw new LogoutRefused("saml_logout_malformed", { check: `a SAML 2.0 samlp:${expected} in ${kind}`, root: message.nodeName });
  }
  const id = attributeOf(message, "ID");
  if (!id) throw new LogoutRefused("saml_logout_malformed", { check: "an ID" });
  const issuer = textOf(childElement(message, NS.assertion, "Issuer"));
  if (!issuer || !logoutIssuers(connection.saml.idpEntityId).includes(issuer)) {
    throw new LogoutRefused("saml_logout_issuer", { issuer, expected: connection.saml.idpEntityId });
  }
  const destination = attributeOf(message, "Destination");
  const ours = deps.urlsOf(connection.id).slo;
  // Signed messages must carry it (bindings §3.4.5.2, §3.5.5.2): it stops one SP's message being replayed at another.
  if (destination !== ours) throw new LogoutRefused("saml_logout_destination", { destination, expected: ours });
  const issuedAt = Date.parse(attributeOf(message, "IssueInstant") ?? "");
  const now = Date.now();
  if (Number.isNaN(issuedAt) || issuedAt > now + deps.clockSkewMs || issuedAt < now - MAX_MESSAGE_AGE_MS - deps.clockSkewMs) {
    throw new LogoutRefused("saml_logout_stale", { issueInstant: attributeOf(message, "IssueInstant"), maxAgeSeconds: MAX_MESSAGE_AGE_MS / 1000 });
  }
  return { id, element: message, issuedAt };
}

/**
 * The Issuers an IdP's logout messages may carry. Entra issues assertions as `https://sts.windows.net/<tenant>/` but
 * logout messages as `https://login.microsoftonline.com/<tenant>/` (note: saml-idp-shapes §1); the signature, by the
 * connection's certificate, is what vouches for both.
 */
export function logoutIssuers(entityId: string): string[] {
  const entra = /^https:\/\/sts\.windows\.net\/([0-9a-f-]{36})\/$/i.exec(entityId);
  return entra ? [entityId, `https://login.microsoftonline.com/${entra[1]}/`] : [entityId];
}

/** The IdP's answer to our LogoutRequest: a page that says whether the IdP signed the person out too. */
async function loggedOut(deps: LogoutDeps, req: Request, res: Response, connection: SamlConnection, { element }: { element: Element }): Promise<void> {
  const inResponseTo = attributeOf(element, "InResponseTo");
  const pending = inResponseTo ? await takeLogout(deps.db, connection.id, inResponseTo) : null;
  if (!pending) {
    throw new LogoutRefused("saml_logout_in_response_to", { check: "the LogoutResponse answers a LogoutRequest of ours, once", inResponseTo });
  }
  const code = childElement(childElement(element, NS.protocol, "Status") ?? element, NS.protocol, "StatusCode");
  const status = attributeOf(code, "Value");
  const succeeded = status === SUCCESS;
  req.log.info({ connectionId: connection.id, status, subStatus: attributeOf(code && childElement(code, NS.protocol, "StatusCode"), "Value") }, "saml single logout answered");
  res.status(200).type("html").send(page("Signed out", html`<h1>You are signed out</h1>${succeeded
    ? html`<div class="ok"><p>You are signed out of Rollcall and of your identity provider (${connection.name}).</p></div>`
    : html`<div class="warning"><p>You are signed out of Rollcall, but your identity provider (${connection.name}) reported that it could not sign you out everywhere (<code>${status ?? "no status"}</code>). Close your browser to end its session.</p></div>`}
<p><a href="${pending.returnTo}">Continue</a></p>`));
}

/** The IdP asks us to end the sessions of one of its logins. */
async function logoutRequested(
  deps: LogoutDeps, req: Request, res: Response, connection: SamlConnection, { id, element, issuedAt }: { id: string; element: Element; issuedAt: number },
  relayState: string | null,
): Promise<void> {
  const notOnOrAfter = attributeOf(element, "NotOnOrAfter");
  if (notOnOrAfter !== null && !(Date.parse(notOnOrAfter) + deps.clockSkewMs > Date.now())) {
    throw new LogoutRefused("saml_logout_stale", { notOnOrAfter });
  }
  const nameIdElement = childElement(element, NS.assertion, "NameID");
  const nameId = textOf(nameIdElement);
  if (!nameId) {
    // An EncryptedID (or a BaseID) is not read: no IdP in saml-idp-shapes.md sends one by default.
    throw new LogoutRefused("saml_logout_name_id", { check: "a plain saml:NameID", encrypted: childElement(element, NS.assertion, "EncryptedID") !== null });
  }
  const sessionIndexes = childElements(element, NS.protocol, "SessionIndex").map(textOf).filter((s): s is string => s !== null);
  if (!(await recordOnce(deps.db, connection.id, "logout-request", id, new Date(issuedAt + MAX_MESSAGE_AGE_MS + 2 * deps.clockSkewMs)))) {
    throw new LogoutRefused("saml_logout_replay", { requestId: id });
  }
  const ended = await endSamlSessions(deps.db, connection.organizationId, connection.id, { nameId, sessionIndexes }, { type: "sso", id: connection.id });
  req.log.info({ connectionId: connection.id, sessionsEnded: ended, sessionIndexes: sessionIndexes.length }, "saml single logout from the IdP");
  const { saml } = connection;
  if (saml.idpSlo && currentKey(saml)) {
    const responseXml = logoutResponseXml(newId(), deps.urlsOf(connection.id).entityId, saml.idpSlo.responseUrl, id);
    return sendToIdp(res, saml, saml.idpSlo.responseUrl, { kind: "SAMLResponse", xml: responseXml, relayState, answersForm: false });
  }
  res.status(200).type("html").send(page("Signed out", html`<h1>You are signed out</h1><div class="ok"><p>Your identity provider signed you out of Rollcall.</p></div>`));
}
