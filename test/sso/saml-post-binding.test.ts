import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, IncomingMessage, Server } from "node:http";
import { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { SignedXml } from "xml-crypto";
import { Database, openDatabase } from "../../src/db/database.js";
import { ConnectionRecord, createConnection, setConnectionEnabled } from "../../src/identity/connections.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createTeam, replaceTeamMappings } from "../../src/identity/teams.js";
import { connectionFormSchema, connectionInputFrom } from "../../src/sso/connection-setup.js";
import { spUrls } from "../../src/sso/saml/index.js";
import { RunningApp, startAppOn } from "../support/app-server.js";
import { browserSkip, launchBrowser } from "../support/browser.js";
import { TestIdp } from "../support/saml-idp.js";

/**
 * An IdP whose metadata lists only the HTTP-POST SingleSignOnService (JumpCloud's export, older OneLogin): accepted
 * at setup, and a login in Chromium through the real app, whose CSP allows the auto-submitting page's one script and
 * a form post to that IdP only. The IdP checks the AuthnRequest's enveloped signature with our SP certificate.
 */
describe("SAML AuthnRequest by HTTP-POST, in Chromium through the app", { skip: browserSkip() }, () => {
  const key = randomBytes(32);
  const system = { type: "system" as const, id: null };
  let db: Database;
  let app: RunningApp;
  let idpServer: Server;
  let browser: Browser;
  let connection: ConnectionRecord;
  const received: { signatureValid: boolean; deflated: boolean }[] = [];

  const readForm = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
  };

  before(async () => {
    db = await openDatabase({ url: "sqlite::memory:" });
    app = await startAppOn(db, { secretKey: key, allowInsecureIdp: true });
    let idp: TestIdp | undefined;
    // The IdP: takes the posted AuthnRequest, checks its signature, and posts a signed answer back to the ACS.
    idpServer = createServer(async (req, res) => {
      if (req.method !== "POST" || req.url !== "/sso") return void res.writeHead(405).end();
      const form = await readForm(req);
      const xml = Buffer.from(form.get("SAMLRequest") ?? "", "base64").toString("utf8");
      const verifier = new SignedXml({ publicCert: connection.saml!.spKeys![0].certificate });
      const signature = /<(?:ds:)?Signature[\s\S]*<\/(?:ds:)?Signature>/.exec(xml)?.[0];
      if (signature) verifier.loadSignature(signature);
      received.push({ signatureValid: signature !== undefined && verifier.checkSignature(xml), deflated: !xml.startsWith("<") });
      const urls = spUrls(app.origin, connection.id);
      const response = idp!.response({
        acsUrl: urls.acs, audience: urls.entityId, inResponseTo: /\bID="([^"]+)"/.exec(xml)![1],
        nameId: "pat@example.com", attributes: { email: "pat@example.com", memberOf: "staff" },
      });
      res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action="${urls.acs}"><input type="hidden" name="SAMLResponse" value="${response}">
<input type="hidden" name="RelayState" value="${form.get("RelayState")}"></form></body></html>`);
    }).listen(0, "127.0.0.1");
    await once(idpServer, "listening");
    // "localhost", another site than the app's 127.0.0.1: the ACS post is cross-site, as with a real IdP.
    idp = new TestIdp(undefined, `http://localhost:${(idpServer.address() as AddressInfo).port}/sso`);

    const org = await createOrganization(db, { slug: "jumpco", name: "JumpCo" }, system);
    const form = connectionFormSchema.parse({
      type: "saml", name: "JumpCloud", loginPath: "jumpco", preset: "jumpcloud",
      saml: { idpMetadataXml: idp.metadata({ bindings: ["HTTP-POST"] }), signAuthnRequests: true },
    });
    connection = await createConnection(db, key, org.id, await connectionInputFrom(form, { allowInsecureIdp: true }), system);
    assert.equal(connection.saml!.idpSsoBinding, "HTTP-POST");
    await setConnectionEnabled(db, key, org.id, connection.id, true, system);
    const team = await createTeam(db, org.id, { name: "Staff", roles: ["member"] }, system);
    await replaceTeamMappings(db, org.id, team.id, [{ idpGroup: "staff" }], system);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    idpServer?.closeAllConnections();
    idpServer?.close();
    await app?.close();
    await db?.close();
  });

  /** Logs in from the login page; the pages that post the request to the IdP and the answer back submit themselves. */
  async function logIn() {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const start = await page.goto(`${app.origin}/login/jumpco`);
    const csp = start!.headers()["content-security-policy"];
    await page.waitForURL(`${app.origin}/`);
    const session = await page.goto(`${app.origin}/session`);
    const who = await session!.json() as { user?: { email?: string } };
    await context.close();
    return { csp, violations, who };
  }

  it("posts a signed, uncompressed AuthnRequest from a page whose own CSP allows its script and the IdP's SSO URL", async () => {
    const { csp, violations, who } = await logIn();
    assert.equal(who.user?.email, "pat@example.com");
    assert.deepEqual(violations, []);
    assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.match(csp, new RegExp(`form-action ${connection.saml!.idpSsoUrl}(;|$)`));
    assert.doesNotMatch(csp, /unsafe-inline|form-action 'self'/);
    assert.deepEqual(received.at(-1), { signatureValid: true, deflated: false });
  });

  it("works without JavaScript: the page's Continue button posts the request to the IdP", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${app.origin}/login/jumpco`);
    const posts = received.length;
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(connection.saml!.idpSsoUrl);
    assert.equal(received.length, posts + 1);
    assert.deepEqual(received.at(-1), { signatureValid: true, deflated: false });
    await context.close();
  });
});
