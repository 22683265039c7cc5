import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { Database, openDatabase } from "../../src/db/database.js";
import { createConnection, setConnectionEnabled } from "../../src/identity/connections.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createTeam, replaceTeamMappings } from "../../src/identity/teams.js";
import { samlPreset } from "../../src/sso/presets.js";
import { spUrls } from "../../src/sso/saml/index.js";
import { metadataSettings, parseIdpMetadata } from "../../src/sso/saml/metadata.js";
import { RunningApp, startAppOn } from "../support/app-server.js";
import { browserSkip, launchBrowser } from "../support/browser.js";
import { logoutResponseXml, readAuthnRequest, readSpLogoutMessage, redirectBinding, TestIdp } from "../support/saml-idp.js";

/**
 * A Single Logout round trip in Chromium through the real app: log in at a test IdP (another site), press "sign out",
 * follow the signed LogoutRequest to the IdP's SLO endpoint, which checks it with the SP certificate and sends the
 * browser back with a signed LogoutResponse; the app shows the signed-out page and the session is gone.
 */
describe("SAML Single Logout in Chromium: sign out → IdP's SLO endpoint → LogoutResponse → session gone", { skip: browserSkip() }, () => {
  const system = { type: "system" as const, id: null };
  const key = randomBytes(32);
  let db: Database;
  let app: RunningApp;
  let idpServer: Server;
  let browser: Browser;
  let idp: TestIdp;
  let urls: ReturnType<typeof spUrls>;
  let spCertificate: string;
  const logoutRequests: string[] = [];

  before(async () => {
    db = await openDatabase({ url: "sqlite::memory:" });
    app = await startAppOn(db, { secretKey: key });
    // The IdP, on another site (localhost vs the app's 127.0.0.1): logs anyone in as kim, and answers LogoutRequests.
    idpServer = createServer((req, res) => {
      const url = new URL(req.url!, "http://localhost");
      if (url.pathname === "/sso") {
        const request = readAuthnRequest(url.href);
        const response = idp.response({ acsUrl: urls.acs, audience: urls.entityId, inResponseTo: request.id, nameId: "kim-browser",
          attributes: { email: "kim@globex.test", groups: "staff" } });
        return void res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action="${urls.acs}"><input type="hidden" name="SAMLResponse" value="${response}">
<input type="hidden" name="RelayState" value="${request.relayState}"></form></body></html>`);
      }
      if (url.pathname === "/slo") {
        const request = readSpLogoutMessage({ location: url.href }, spCertificate);
        logoutRequests.push(request.xml);
        const answer = redirectBinding(idp, urls.slo, "SAMLResponse", logoutResponseXml(idp, { destination: urls.slo, inResponseTo: request.id }));
        return void res.writeHead(302, { location: answer }).end();
      }
      res.writeHead(404).end();
    }).listen(0, "127.0.0.1");
    await once(idpServer, "listening");
    const idpOrigin = `http://localhost:${(idpServer.address() as AddressInfo).port}`;
    idp = new TestIdp(undefined, `${idpOrigin}/sso`);

    const org = await createOrganization(db, { slug: "globex", name: "Globex" }, system);
    const metadataXml = idp.metadata({ slo: { url: `${idpOrigin}/slo`, binding: "HTTP-Redirect" } });
    const connection = await createConnection(db, key, org.id, {
      type: "saml", name: "Test IdP", loginPath: "globex", preset: "generic",
      saml: { ...samlPreset("generic"), idpMetadataUrl: null, idpMetadataXml: metadataXml, ...metadataSettings(parseIdpMetadata(metadataXml), null), allowIdpInitiated: false },
    }, system);
    await setConnectionEnabled(db, key, org.id, connection.id, true, system);
    const team = await createTeam(db, org.id, { name: "Staff", roles: ["member"] }, system);
    await replaceTeamMappings(db, org.id, team.id, [{ idpGroup: "staff" }], system);
    urls = spUrls(app.origin, connection.id);
    spCertificate = connection.saml!.spKeys![0].certificate;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    idpServer?.closeAllConnections();
    idpServer?.close();
    await app?.close();
    await db?.close();
  });

  it("signs out here and at the IdP", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${app.origin}/login/globex?return_to=/auth/verify`);
    await page.waitForURL(`${app.origin}/auth/verify`);
    assert.equal((await page.request.get(`${app.origin}/auth/verify`)).status(), 200, "logged in");

    // The console's sign-out button, on a console page under the console's CSP (form-action 'self').
    await page.goto(`${app.origin}/console/login`);
    await page.evaluate(() => {
      document.body.insertAdjacentHTML("beforeend", `<form method="post" action="/logout" id="sign-out"><input type="hidden" name="return_to" value="/console/login"><button>Sign out</button></form>`);
    });
    assert.match((await page.request.get(`${app.origin}/console/login`)).headers()["content-security-policy"] ?? "", /form-action 'self'/);
    await Promise.all([page.waitForURL(`${urls.slo}?**`), page.click("#sign-out button")]);
    await page.getByText("You are signed out of Rollcall and of your identity provider").waitFor();

    assert.deepEqual(violations, [], "a 302 to the IdP answering the sign-out form would break form-action 'self'");
    assert.equal(logoutRequests.length, 1);
    assert.match(logoutRequests[0], />kim-browser<\/saml:NameID>/);
    assert.equal((await page.request.get(`${app.origin}/auth/verify`)).status(), 401, "the session is gone");
    await context.close();
  });
});
