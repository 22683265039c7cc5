import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { Database, openDatabase } from "../../src/db/database.js";
import { listAuditEvents } from "../../src/identity/audit.js";
import { createConnection, getConnection, setConnectionEnabled } from "../../src/identity/connections.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createTeam, replaceTeamMappings } from "../../src/identity/teams.js";
import { samlPreset } from "../../src/sso/presets.js";
import { spUrls } from "../../src/sso/saml/index.js";
import { metadataSettings, parseIdpMetadata } from "../../src/sso/saml/metadata.js";
import { rememberLogout } from "../../src/sso/saml/transactions.js";
import { RunningApp, startAppOn } from "../support/app-server.js";
import { databaseTargets } from "../support/databases.js";
import {
  CookieJarClient, logoutRequestXml, logoutResponseXml, NAMEID, postBinding, readAuthnRequest, readSpLogoutMessage, redirectBinding,
  signingKey, TestIdp,
} from "../support/saml-idp.js";

/**
 * SAML Single Logout through the real app, both ways and by both bindings, with real signatures (xml-crypto, and
 * RSA-SHA256 over the Redirect binding's query): what a session keeps at login, the LogoutRequest we send and the
 * LogoutResponse we check, the IdP's LogoutRequest that ends sessions, and each refusal, which ends nothing.
 */
const system = { type: "system" as const, id: null };
const key = randomBytes(32);
const IDP_SLO = "https://idp.example.test/saml/slo";

for (const target of await databaseTargets()) {
  describe(`SAML Single Logout through the app (${target.name})`, { skip: target.skip }, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let app: RunningApp;
    const logLines: Record<string, unknown>[] = [];
    const idp = new TestIdp();
    /** Three organizations trusting the same IdP: globex and initech with Redirect-binding SLO, hooli with POST. */
    const orgs: Record<"globex" | "hooli" | "initech", { organizationId: string; connectionId: string; urls: ReturnType<typeof spUrls>; spCertificate: string }> = {} as never;

    before(async () => {
      const created = await target.create({ migrated: true });
      drop = created.drop;
      db = await openDatabase({ url: created.url });
      const logger = pino({ level: "info" }, new Writable({ write(chunk, _enc, done) { logLines.push(JSON.parse(String(chunk))); done(); } }));
      app = await startAppOn(db, { secretKey: key, logger });
      for (const [slug, binding] of [["globex", "HTTP-Redirect"], ["hooli", "HTTP-POST"], ["initech", "HTTP-Redirect"]] as const) {
        const org = await createOrganization(db, { slug, name: slug }, system);
        const metadataXml = idp.metadata({ slo: { url: IDP_SLO, binding } });
        const made = await createConnection(db, key, org.id, {
          type: "saml", name: `${slug} IdP`, loginPath: slug, preset: "generic",
          saml: { ...samlPreset("generic"), idpMetadataUrl: null, idpMetadataXml: metadataXml,
            ...metadataSettings(parseIdpMetadata(metadataXml), null), allowIdpInitiated: false },
        }, system);
        await setConnectionEnabled(db, key, org.id, made.id, true, system);
        const team = await createTeam(db, org.id, { name: "Staff", roles: ["member"] }, system);
        await replaceTeamMappings(db, org.id, team.id, [{ idpGroup: "staff" }], system);
        const spCertificate = (await getConnection(db, key, org.id, made.id))!.saml!.spKeys![0].certificate;
        orgs[slug] = { organizationId: org.id, connectionId: made.id, urls: spUrls(app.origin, made.id), spCertificate };
      }
    });
    after(async () => {
      await app?.close();
      await db?.close();
      await drop?.();
    });

    /** A browser logged in to `org` as `nameId`, and the SessionIndex its assertion carried. */
    async function logIn(org: keyof typeof orgs, nameId = "kim-1") {
      const { urls } = orgs[org];
      const browser = new CookieJarClient();
      const start = await browser.get(`${app.origin}/login/${org}`);
      const request = readAuthnRequest(start.headers.get("location")!);
      const xml = idp.responseXml({ acsUrl: urls.acs, audience: urls.entityId, inResponseTo: request.id, nameId,
        attributes: { email: `${nameId}@${org}.test`, groups: "staff" } });
      const sessionIndex = /SessionIndex="([^"]+)"/.exec(xml)![1];
      const posted = await browser.crossSitePost(urls.acs, { SAMLResponse: Buffer.from(xml).toString("base64"), RelayState: request.relayState ?? "" });
      const done = await browser.get(new URL(posted.headers.get("location")!, app.origin).href);
      assert.equal(done.status, 303, await done.text());
      assert.equal(await signedIn(browser), true);
      return { browser, sessionIndex };
    }
    const signedIn = async (browser: CookieJarClient) => (await browser.get(`${app.origin}/auth/verify`)).status === 200;
    const signOut = (browser: CookieJarClient) => browser.postForm(`${app.origin}/logout`, { return_to: "/console/login" });
    /**
     * Where a sign-out page sends the browser: a page, not a 302, since the console's form-action 'self' would block
     * a redirect to the IdP answering its sign-out form (the Chromium test shows it).
     */
    const onwardUrl = async (res: globalThis.Response) => {
      const page = await res.text();
      assert.equal(res.status, 200, page);
      assert.match(res.headers.get("content-security-policy")!, /default-src 'none'/);
      const [, refresh, link] = /<meta http-equiv="refresh" content="0;url=([^"]+)">[\s\S]*<a href="([^"]+)">/.exec(page)!;
      assert.equal(refresh, link);
      return link.replace(/&amp;/g, "&");
    };
    /** The hidden fields of an auto-submitting form page. */
    const formOf = (page: string) => Object.fromEntries([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
    const refused = async (res: globalThis.Response, reason: string) => {
      const page = await res.text();
      assert.equal(res.status, 400, page);
      assert.match(page, /Sign-out failed/);
      assert.match(page, new RegExp(`Reason: <code>${reason}</code>`));
      assert.ok(logLines.some((l) => l.msg === "saml logout refused" && l.reason === reason), `"${reason}" is logged`);
    };

    it("keeps the NameID, its Format and the SessionIndex of the login in the session", async () => {
      const { sessionIndex } = await logIn("globex", "kim-kept");
      const rows = await db.dataSource.query(`SELECT connection_id, saml_login FROM sessions WHERE connection_id IS NOT NULL`);
      const kept = rows.map((r: { connection_id: string; saml_login: string }) => ({ connectionId: r.connection_id, ...JSON.parse(r.saml_login) }))
        .find((r: { nameId: string }) => r.nameId === "kim-kept");
      assert.deepEqual(kept, { connectionId: orgs.globex.connectionId, nameId: "kim-kept", format: NAMEID.persistent, nameQualifier: null, spNameQualifier: null, sessionIndex });
    });

    it("publishes its SLO endpoint for both bindings in the SP metadata", async () => {
      const metadata = await (await fetch(orgs.globex.urls.entityId)).text();
      for (const binding of ["HTTP-Redirect", "HTTP-POST"]) {
        assert.ok(metadata.includes(`<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${orgs.globex.urls.slo}"/>`));
      }
    });

    it("SP-initiated by Redirect: ends the session, sends a signed LogoutRequest for that login, and checks the signed LogoutResponse", async () => {
      const { browser, sessionIndex } = await logIn("globex", "kim-redirect");
      const location = await onwardUrl(await signOut(browser));
      assert.ok(location.startsWith(`${IDP_SLO}?SAMLRequest=`), location);
      assert.equal(await signedIn(browser), false, "the session ends before the IdP answers");
      const sent = readSpLogoutMessage({ location }, orgs.globex.spCertificate);
      assert.match(sent.xml, new RegExp(`Destination="${IDP_SLO}"`));
      assert.match(sent.xml, new RegExp(`<saml:Issuer>${orgs.globex.urls.entityId}</saml:Issuer>`));
      assert.match(sent.xml, new RegExp(`<saml:NameID Format="${NAMEID.persistent}">kim-redirect</saml:NameID>`));
      assert.match(sent.xml, new RegExp(`<samlp:SessionIndex>${sessionIndex}</samlp:SessionIndex>`));

      const answer = redirectBinding(idp, orgs.globex.urls.slo, "SAMLResponse",
        logoutResponseXml(idp, { destination: orgs.globex.urls.slo, inResponseTo: sent.id }));
      const done = await browser.get(answer);
      const page = await done.text();
      assert.equal(done.status, 200, page);
      assert.match(page, /signed out of Rollcall and of your identity provider/);
      assert.match(page, /href="\/console\/login"/);
      await refused(await browser.get(answer), "saml_logout_in_response_to");
    });

    it("SP-initiated by POST: an auto-submitting form with an enveloped signature, answered by a posted LogoutResponse", async () => {
      const { browser } = await logIn("hooli", "kim-post");
      const out = await signOut(browser);
      const page = await out.text();
      assert.equal(out.status, 200, page);
      assert.match(page, new RegExp(`<form method="post" action="${IDP_SLO}">`));
      assert.match(out.headers.get("content-security-policy")!, new RegExp(`form-action ${IDP_SLO}`));
      assert.equal(await signedIn(browser), false);
      const sent = readSpLogoutMessage({ form: formOf(page) }, orgs.hooli.spCertificate);
      assert.match(sent.xml, /<saml:NameID Format="[^"]+">kim-post<\/saml:NameID>/);

      // The IdP could not end every session: we are signed out all the same, and the page says what the IdP said.
      const partial = await browser.crossSitePost(orgs.hooli.urls.slo, postBinding(idp, "SAMLResponse", logoutResponseXml(idp, {
        destination: orgs.hooli.urls.slo, inResponseTo: sent.id, status: "urn:oasis:names:tc:SAML:2.0:status:Responder" })));
      const partialPage = await partial.text();
      assert.equal(partial.status, 200, partialPage);
      assert.match(partialPage, /could not sign you out everywhere \(<code>urn:oasis:names:tc:SAML:2.0:status:Responder<\/code>\)/);
    });

    it("refuses a LogoutResponse unsigned, signed by another key, for another Destination or Issuer, stale, or answering nothing of ours", async () => {
      const { browser } = await logIn("globex", "kim-checks");
      const sent = readSpLogoutMessage({ location: await onwardUrl(await signOut(browser)) }, orgs.globex.spCertificate);
      const { slo } = orgs.globex.urls;
      const answer = (o: Partial<Parameters<typeof logoutResponseXml>[1]> = {}) => logoutResponseXml(idp, { destination: slo, inResponseTo: sent.id, ...o });
      await refused(await browser.get(redirectBinding(idp, slo, "SAMLResponse", answer(), { sign: false })), "saml_logout_unsigned");
      await refused(await browser.crossSitePost(slo, postBinding(idp, "SAMLResponse", answer(), { sign: false })), "saml_logout_unsigned");
      await refused(await browser.get(redirectBinding(idp, slo, "SAMLResponse", answer(), { key: signingKey("attacker") })), "saml_logout_signature");
      await refused(await browser.crossSitePost(slo, postBinding(idp, "SAMLResponse", answer(), { key: signingKey("attacker") })), "saml_logout_signature");
      await refused(await browser.get(redirectBinding(idp, slo, "SAMLResponse", answer({ destination: orgs.initech.urls.slo }))), "saml_logout_destination");
      await refused(await browser.get(redirectBinding(idp, slo, "SAMLResponse", answer({ issuer: "https://evil.example/idp" }))), "saml_logout_issuer");
      await refused(await browser.get(redirectBinding(idp, slo, "SAMLResponse", answer({ issuedAt: -3600 }))), "saml_logout_stale");
      await refused(await browser.get(redirectBinding(idp, slo, "SAMLResponse", answer({ inResponseTo: "_not-ours" }))), "saml_logout_in_response_to");
      // A response to globex's request, sent to initech's endpoint (right Destination there): initech sent no such request.
      await refused(await browser.get(redirectBinding(idp, orgs.initech.urls.slo, "SAMLResponse",
        answer({ destination: orgs.initech.urls.slo }))), "saml_logout_in_response_to");
      // None of the refusals used the pending request up.
      assert.equal((await browser.get(redirectBinding(idp, slo, "SAMLResponse", answer()))).status, 200);
    });

    it("takes Entra's LogoutResponse: Issuer login.microsoftonline.com/<tenant>/ for the entity ID sts.windows.net/<tenant>/, lower-case escapes signed as sent", async () => {
      const tenant = "0d1f2e3c-0000-4000-8000-00000000e17a";
      const entra = new TestIdp(`https://sts.windows.net/${tenant}/`);
      const org = await createOrganization(db, { slug: "contoso", name: "Contoso" }, system);
      const metadataXml = entra.metadata({ slo: { url: IDP_SLO, binding: "HTTP-Redirect" } });
      const made = await createConnection(db, key, org.id, {
        type: "saml", name: "Entra", loginPath: "contoso", preset: "entra",
        saml: { ...samlPreset("generic"), idpMetadataUrl: null, idpMetadataXml: metadataXml, ...metadataSettings(parseIdpMetadata(metadataXml), null), allowIdpInitiated: false },
      }, system);
      const urls = spUrls(app.origin, made.id);
      // What matters here is the answer to a LogoutRequest of ours: one is pending, as a sign-out leaves it.
      const browser = new CookieJarClient();
      await rememberLogout(db, made.id, "_entra-request", { returnTo: "/" });
      const answer = (issuer: string) => redirectBinding(entra, urls.slo, "SAMLResponse",
        logoutResponseXml(entra, { destination: urls.slo, inResponseTo: "_entra-request", issuer }), { lowercaseEscapes: true });
      assert.match(answer(`https://login.microsoftonline.com/${tenant}/`), /%2b|%2f|%3d/, "the escapes are lower case");
      await refused(await browser.get(answer("https://login.microsoftonline.com/another-tenant/")), "saml_logout_issuer");
      const done = await browser.get(answer(`https://login.microsoftonline.com/${tenant}/`));
      assert.equal(done.status, 200, await done.text());
    });

    it("IdP-initiated by Redirect: ends that NameID's session, audited, and answers a signed LogoutResponse", async () => {
      const { browser } = await logIn("globex", "kim-idp");
      const request = logoutRequestXml(idp, { destination: orgs.globex.urls.slo, nameId: "kim-idp" });
      const res = await new CookieJarClient().get(redirectBinding(idp, orgs.globex.urls.slo, "SAMLRequest", request, { relayState: "idp-state" }));
      assert.equal(res.status, 302, await res.text());
      assert.equal(await signedIn(browser), false);
      const answer = readSpLogoutMessage({ location: res.headers.get("location")! }, orgs.globex.spCertificate);
      assert.match(answer.xml, new RegExp(`InResponseTo="${/ID="([^"]+)"/.exec(request)![1]}"`));
      assert.match(answer.xml, /<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"\/>/);
      assert.match(answer.xml, new RegExp(`Destination="${IDP_SLO}"`));
      assert.equal(answer.relayState, "idp-state");
      const audit = await listAuditEvents(db.dataSource.manager, orgs.globex.organizationId, { action: "user.sessions_ended" });
      assert.ok(audit.some((e) => e.actorType === "sso" && e.actorId === orgs.globex.connectionId && e.summary.sessions === 1));
    });

    it("IdP-initiated by POST: ends the session and posts the signed LogoutResponse back", async () => {
      const { browser } = await logIn("hooli", "kim-idp-post");
      const res = await new CookieJarClient().crossSitePost(orgs.hooli.urls.slo,
        postBinding(idp, "SAMLRequest", logoutRequestXml(idp, { destination: orgs.hooli.urls.slo, nameId: "kim-idp-post" })));
      const page = await res.text();
      assert.equal(res.status, 200, page);
      assert.equal(await signedIn(browser), false);
      const answer = readSpLogoutMessage({ form: formOf(page) }, orgs.hooli.spCertificate);
      assert.match(answer.xml, /<samlp:LogoutResponse /);
    });

    it("ends only the login named by the SessionIndex when the IdP gives one", async () => {
      const first = await logIn("globex", "kim-twice");
      const second = await logIn("globex", "kim-twice");
      await new CookieJarClient().get(redirectBinding(idp, orgs.globex.urls.slo, "SAMLRequest",
        logoutRequestXml(idp, { destination: orgs.globex.urls.slo, nameId: "kim-twice", sessionIndex: first.sessionIndex })));
      assert.equal(await signedIn(first.browser), false);
      assert.equal(await signedIn(second.browser), true);
    });

    it("ends nothing for a LogoutRequest unsigned, badly signed, for another organization, replayed, misaddressed, or stale", async () => {
      const globex = await logIn("globex", "kim-safe");
      const initech = await logIn("initech", "kim-safe");
      const { slo } = orgs.globex.urls;
      const request = (o: Partial<Parameters<typeof logoutRequestXml>[1]> = {}) => logoutRequestXml(idp, { destination: slo, nameId: "kim-safe", ...o });
      const attacker = new CookieJarClient();
      await refused(await attacker.get(redirectBinding(idp, slo, "SAMLRequest", request(), { sign: false })), "saml_logout_unsigned");
      await refused(await attacker.crossSitePost(slo, postBinding(idp, "SAMLRequest", request(), { sign: false })), "saml_logout_unsigned");
      await refused(await attacker.get(redirectBinding(idp, slo, "SAMLRequest", request(), { key: signingKey("attacker") })), "saml_logout_signature");
      await refused(await attacker.crossSitePost(slo, postBinding(idp, "SAMLRequest", request(), { key: signingKey("attacker") })), "saml_logout_signature");
      await refused(await attacker.get(redirectBinding(idp, slo, "SAMLRequest", request({ destination: orgs.initech.urls.slo }))), "saml_logout_destination");
      await refused(await attacker.get(redirectBinding(idp, slo, "SAMLRequest", request({ issuer: "https://evil.example/idp" }))), "saml_logout_issuer");
      await refused(await attacker.get(redirectBinding(idp, slo, "SAMLRequest", request({ issuedAt: -600 }))), "saml_logout_stale");
      await refused(await attacker.get(redirectBinding(idp, slo, "SAMLRequest", request({ issuedAt: 600 }))), "saml_logout_stale");
      const sha1 = redirectBinding(idp, slo, "SAMLRequest", request()).replace(/SigAlg=[^&]+/, `SigAlg=${encodeURIComponent("http://www.w3.org/2000/09/xmldsig#rsa-sha1")}`);
      await refused(await attacker.get(sha1), "saml_weak_algorithm");
      await refused(await attacker.get(redirectBinding(idp, slo, "SAMLRequest", request()).replace(/Signature=[^&]+/, "Signature=%E0%A4%A")), "saml_logout_malformed");
      await refused(await attacker.get(`${redirectBinding(idp, slo, "SAMLRequest", request())}&SAMLRequest=again`), "saml_logout_malformed");
      assert.equal(await signedIn(globex.browser), true);
      assert.equal(await signedIn(initech.browser), true);

      // Signed and valid for globex: globex's session of that NameID ends, initech's (same IdP, same NameID) does not.
      const valid = redirectBinding(idp, slo, "SAMLRequest", request());
      assert.equal((await attacker.get(valid)).status, 302);
      assert.equal(await signedIn(globex.browser), false);
      assert.equal(await signedIn(initech.browser), true, "another organization's session of the same NameID stays");

      // The same signed request again, after a new login: refused, and the new session stays.
      const again = await logIn("globex", "kim-safe");
      await refused(await attacker.get(valid), "saml_logout_replay");
      assert.equal(await signedIn(again.browser), true);
    });
  });
}
