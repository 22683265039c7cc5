import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, IncomingMessage, Server } from "node:http";
import { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { Database, openDatabase } from "../../src/db/database.js";
import type { ConnectionRecord } from "../../src/identity/connections.js";
import { browserSkip, launchBrowser } from "../support/browser.js";
import { readAuthnRequest, SamlSp, startSamlSp, TestIdp } from "../support/saml-idp.js";

/**
 * The reason for POST → 303 → GET at the ACS, shown in a real browser: the SP runs on http://localhost, the IdP's
 * auto-submitting form is served from http://127.0.0.1 (another site), so Chromium leaves the SameSite=Lax session
 * cookie off the POST to the ACS, and sends it with the top-level GET that follows.
 */
describe("SAML in Chromium: the IdP's cross-site POST completes a login with a SameSite=Lax session", { skip: browserSkip() }, () => {
  let db: Database;
  let sp: SamlSp;
  let idpServer: Server;
  let browser: Browser;
  let connection: ConnectionRecord;
  const cookiesAt: Record<"acs" | "complete", (string | undefined)[]> = { acs: [], complete: [] };

  before(async () => {
    db = await openDatabase({ url: "sqlite::memory:" });
    sp = await startSamlSp(db, { host: "localhost" });
    // Ahead of Express, which rewrites req.url while routing.
    sp.server.prependListener("request", (req: IncomingMessage) => {
      const step = /\/saml\/(acs|complete)\b/.exec(req.url ?? "")?.[1] as "acs" | "complete" | undefined;
      if (step) cookiesAt[step].push(req.headers.cookie);
    });

    let idp: TestIdp | undefined;
    // The IdP's SSO endpoint: reads the AuthnRequest, signs an answer, and posts it back with an auto-submitting form.
    idpServer = createServer((req, res) => {
      if (!req.url?.startsWith("/sso?")) return void res.writeHead(404).end();
      const request = readAuthnRequest(new URL(req.url!, "http://127.0.0.1").toString());
      const urls = sp.urls(connection);
      const response = idp!.response({
        acsUrl: urls.acs, audience: urls.entityId, inResponseTo: request.id,
        nameId: "00u-browser", attributes: { email: "pat@example.com", groups: "staff" },
      });
      res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action="${urls.acs}"><input type="hidden" name="SAMLResponse" value="${response}">
<input type="hidden" name="RelayState" value="${request.relayState}"></form></body></html>`);
    }).listen(0, "127.0.0.1");
    await once(idpServer, "listening");
    idp = new TestIdp(undefined, `http://127.0.0.1:${(idpServer.address() as AddressInfo).port}/sso`);
    connection = sp.connect(idp);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    idpServer?.closeAllConnections();
    idpServer?.close();
    await sp?.close();
    await db?.close();
  });

  it("logs in: no cookie on the ACS post, the Lax cookie on the GET that completes it", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${sp.baseUrl}/login/${connection.id}`);
    await page.waitForURL(/\/saml\/complete\?k=/);
    const body = JSON.parse(await page.locator("body").innerText()) as { profile: { subject: string; email: string; groups: string[] } };

    assert.equal(body.profile.subject, "00u-browser");
    assert.equal(body.profile.email, "pat@example.com");
    assert.deepEqual(body.profile.groups, ["staff"]);
    const session = (await context.cookies(sp.baseUrl)).find((c) => c.name === "rc_session");
    assert.equal(session?.sameSite, "Lax");
    assert.deepEqual(cookiesAt.acs, [undefined], "the cross-site POST to the ACS carries no session cookie");
    assert.equal(cookiesAt.complete.length, 1);
    assert.match(cookiesAt.complete[0] ?? "", /\brc_session=/, "the top-level GET to /complete carries it");
    await context.close();
  });
});
