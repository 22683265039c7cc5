import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, RequestListener, Server } from "node:http";
import { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { generateKeyPair, SignJWT } from "jose";
import type { Browser } from "playwright-core";
import { pino } from "pino";
import { exampleApp, RollcallEvent } from "../../examples/express-app/app.js";
import { Database, openDatabase } from "../../src/db/database.js";
import { sql } from "../../src/db/sql.js";
import { createAdminAccount } from "../../src/identity/admins.js";
import { createApiToken } from "../../src/identity/api-tokens.js";
import { createConnection, setConnectionEnabled } from "../../src/identity/connections.js";
import { createOpClient } from "../../src/identity/op-clients.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createScimToken } from "../../src/identity/scim-tokens.js";
import { createTeam, replaceTeamMappings } from "../../src/identity/teams.js";
import { createWebhookEndpoint, listDeliveries } from "../../src/identity/webhooks.js";
import { startBackchannelLogout } from "../../src/apps/op/backchannel-logout.js";
import { SigningKeys } from "../../src/apps/op/keys.js";
import { samlPreset } from "../../src/sso/presets.js";
import { spUrls } from "../../src/sso/saml/index.js";
import { metadataSettings, parseIdpMetadata } from "../../src/sso/saml/metadata.js";
import { WebhookWorker } from "../../src/apps/webhooks/worker.js";
import { RunningApp, startAppOn } from "../support/app-server.js";
import { browserSkip, launchBrowser } from "../support/browser.js";
import { databaseTargets } from "../support/databases.js";
import { CookieJarClient, logoutRequestXml, readAuthnRequest, redirectBinding, TestIdp } from "../support/saml-idp.js";

/**
 * examples/express-app end to end, in Chromium: the app signs a person in through Rollcall (OIDC, code + PKCE),
 * Rollcall through their organization's SAML IdP; the app shows their organization, teams and roles, and the
 * organization's teams read with the typed admin client. Then their IdP deactivates them over SCIM: the app's
 * session ends by OIDC back-channel logout, and a signed `user.deactivated` webhook arrives at the app.
 * Rollcall runs as the server runs it: the real app, the back-channel logout sender and the webhook worker.
 */
const system = { type: "system" as const, id: null };
const SCIM = "application/scim+json";
/** How long a delivery may take to show: on a shared PostgreSQL server another suite's open transaction holds the outbox back for a while (docs/decisions.md). */
const DELIVERY_BOUND_MS = 60_000;

/** Polls `condition` every 100 ms until it answers a value, for at most `boundMs`. */
async function eventually<T>(what: string, condition: () => Promise<T | undefined | null | false>, boundMs = DELIVERY_BOUND_MS): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A server on a loopback port whose handler is set once its origin is known (the app's URLs are registered in Rollcall first). */
async function listenFirst(host: string): Promise<{ origin: string; server: Server; handle(listener: RequestListener): void }> {
  let listener: RequestListener | undefined;
  const server = createServer((req, res) => (listener ? listener(req, res) : res.writeHead(503).end()));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { origin: `http://${host}:${(server.address() as AddressInfo).port}`, server, handle: (l) => { listener = l; } };
}

const closeServer = async (server?: Server) => {
  if (!server?.listening) return;
  server.closeAllConnections();
  server.close();
  await once(server, "close");
};

for (const target of await databaseTargets()) {
  describe(`examples/express-app end to end (${target.name})`, { skip: browserSkip() ?? target.skip }, () => {
    const key = randomBytes(32);
    let db: Database;
    let drop: () => Promise<void>;
    let rollcall: RunningApp;
    let idpServer: Server;
    let appServer: Server;
    let appOrigin: string;
    let browser: Browser;
    let example: Awaited<ReturnType<typeof exampleApp>>;
    let stopLogouts: () => void;
    let webhooks: WebhookWorker;
    let orgId: string;
    let scimToken: string;
    let clientId: string;
    let endpointId: string;
    let urls: ReturnType<typeof spUrls>;
    let idp: TestIdp;
    /** Whom the IdP signs in next. */
    let idpUser = { nameId: "ada-at-idp", email: "ada@acme.test" };

    before(async () => {
      const created = await target.create({ migrated: true });
      drop = created.drop;
      db = await openDatabase({ url: created.url });
      rollcall = await startAppOn(db, { secretKey: key, allowInsecureIdp: true });
      const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
      // What src/run-server.ts starts beside the app, polling faster than there so that the test waits less.
      stopLogouts = startBackchannelLogout({ db, baseUrl: rollcall.origin, keys: new SigningKeys(db, key), logger, allowInsecureIdp: true }, 200);
      webhooks = new WebhookWorker({ db, secretKey: key, logger, timeoutMs: 5_000, allowPrivateUrls: true });
      webhooks.start(200);

      // The organization's SAML IdP, on another site than Rollcall (localhost, Rollcall is on 127.0.0.1): signs in
      // anyone as `idpUser`, in the IdP group "engineering".
      const org = await createOrganization(db, { slug: "acme", name: "Acme" }, system);
      orgId = org.id;
      const idpSite = await listenFirst("localhost");
      idpServer = idpSite.server;
      idpSite.handle((req, res) => {
        const url = new URL(req.url!, idpSite.origin);
        if (url.pathname !== "/sso") return void res.writeHead(404).end();
        const request = readAuthnRequest(url.href);
        const response = idp.response({ acsUrl: urls.acs, audience: urls.entityId, inResponseTo: request.id, nameId: idpUser.nameId,
          attributes: { email: idpUser.email, groups: "engineering" } });
        res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action="${urls.acs}"><input type="hidden" name="SAMLResponse" value="${response}">
<input type="hidden" name="RelayState" value="${request.relayState ?? ""}"></form></body></html>`);
      });
      idp = new TestIdp(undefined, `${idpSite.origin}/sso`);
      const metadataXml = idp.metadata({ slo: { url: `${idpSite.origin}/slo`, binding: "HTTP-Redirect" } });
      const connection = await createConnection(db, key, orgId, {
        type: "saml", name: "Acme IdP", loginPath: "acme", preset: "generic",
        saml: { ...samlPreset("generic"), idpMetadataUrl: null, idpMetadataXml: metadataXml, ...metadataSettings(parseIdpMetadata(metadataXml), null), allowIdpInitiated: false },
      }, system);
      await setConnectionEnabled(db, key, orgId, connection.id, true, system);
      urls = spUrls(rollcall.origin, connection.id);
      const engineering = await createTeam(db, orgId, { name: "Engineering", roles: ["deploy"] }, system);
      await replaceTeamMappings(db, orgId, engineering.id, [{ idpGroup: "engineering" }], system);
      await createTeam(db, orgId, { name: "Sales", roles: ["crm"] }, system);
      scimToken = (await createScimToken(db, orgId, { name: "Acme IdP" }, system)).token;

      // The example app, registered as the operator would (README: app create, webhook create, an org admin's token).
      const site = await listenFirst("localhost");
      appServer = site.server;
      appOrigin = site.origin;
      const registered = await createOpClient(db, {
        name: "Example", redirectUris: [`${appOrigin}/auth/callback`], backchannelLogoutUri: `${appOrigin}/backchannel-logout`,
      }, system);
      clientId = registered.client.clientId;
      const webhook = await createWebhookEndpoint(db, key, orgId, { url: `${appOrigin}/webhooks` }, system, { allowPrivateUrls: true });
      endpointId = webhook.endpoint.id;
      const orgAdmin = await createAdminAccount(db, { email: "it@acme.test", name: "Acme IT", password: "correct horse battery staple", organizationId: orgId }, system);
      const apiToken = (await createApiToken(db, orgAdmin.id, { name: "example app" }, system)).token;
      example = await exampleApp({
        appUrl: appOrigin, rollcallUrl: rollcall.origin, clientId, clientSecret: registered.secret!,
        webhookSecret: webhook.secret, apiToken, sessionSecret: randomBytes(16).toString("hex"),
      });
      site.handle(example.app);
      browser = await launchBrowser();
    });

    after(async () => {
      await browser?.close();
      stopLogouts?.();
      await webhooks?.stop();
      await closeServer(appServer);
      await closeServer(idpServer);
      await rollcall?.close();
      await db?.close();
      await drop?.();
    });

    const scim = (method: string, path: string, body: unknown) => fetch(`${rollcall.origin}/scim/v2${path}`, {
      method, headers: { authorization: `Bearer ${scimToken}`, "content-type": SCIM }, body: JSON.stringify(body),
    });

    it("signs in through the organization's SAML IdP, shows the teams, and ends the session when SCIM deactivates the person", async () => {
      // The IdP provisions ada first; the SAML login links to that account by the externalId (the NameID).
      const provisioned = await scim("POST", "/Users", {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "ada@acme.test", externalId: "ada-at-idp", active: true,
        name: { givenName: "Ada", familyName: "Lovelace" }, displayName: "Ada Lovelace", emails: [{ value: "ada@acme.test", primary: true }],
      });
      assert.equal(provisioned.status, 201);
      const scimId = (await provisioned.json() as { id: string }).id;

      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${appOrigin}/`);
      await page.getByText("You are signed out.").waitFor();
      await page.fill("#organization", "acme");
      await page.click("button");
      // Through Rollcall's authorization endpoint, the IdP, Rollcall's ACS and back to the app's callback and home page.
      await page.locator("#who").waitFor({ timeout: 30_000 }).catch(async (err: Error) => {
        throw new Error(`not signed in at ${page.url()}: ${await page.locator("body").innerText()}`, { cause: err });
      });

      assert.equal(await page.title(), "Signed in to acme");
      assert.equal(await page.locator("#who").innerText(), "Ada Lovelace, of acme");
      assert.equal(await page.locator("#teams").innerText(), "Engineering", "from the ID token: the team the IdP group maps to");
      assert.equal(await page.locator("#roles").innerText(), "deploy");
      assert.equal(await page.locator("#org-teams").innerText(), "Engineering, Sales", "from the admin API, with the org admin's token");

      const deactivated = await scim("PATCH", `/Users/${scimId}`, {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }],
      });
      assert.equal(deactivated.status, 200);

      // The logout token reached the app, which answered 200 only after validating it and ending the session.
      const delivered = await eventually("the back-channel logout delivered", async () => {
        const [row] = await sql<{ attempts: number | string; last_error: string | null }>(db.dataSource.manager,
          "SELECT attempts, last_error FROM op_logout_deliveries WHERE client_id = :clientId AND delivered_at IS NOT NULL", { clientId });
        return row;
      });
      assert.equal(Number(delivered.attempts), 1, "accepted at the first attempt");
      await page.reload();
      assert.equal(await page.title(), "Signed out", "the app's session is gone");

      // The webhook: the app keeps an event only once its Standard Webhooks signature verified; Rollcall's delivery log
      // shows the app's 204 (it answers 400 to a bad signature).
      const event = await eventually("the user.deactivated webhook", async () =>
        example.events.find((e: RollcallEvent) => e.type === "user.deactivated"));
      assert.equal(event.organizationId, orgId);
      assert.equal((event.data as { userName?: string }).userName, "ada@acme.test");
      const deliveries = await listDeliveries(db, orgId, endpointId, { limit: 100 });
      const logged = deliveries.find((d) => d.eventId === event.id);
      assert.equal(logged?.status, "delivered");
      assert.equal(logged?.responseStatus, 204);
      await context.close();
    });

    it("ends the app's session when the IdP signs the person out of Rollcall (SAML Single Logout → back-channel logout)", async () => {
      idpUser = { nameId: "bea-at-idp", email: "bea@acme.test" };
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${appOrigin}/login?organization=acme`);
      await page.locator("#who").waitFor({ timeout: 30_000 });
      assert.equal(await page.locator("#teams").innerText(), "Engineering");

      const slo = await new CookieJarClient().get(redirectBinding(idp, urls.slo, "SAMLRequest", logoutRequestXml(idp, { destination: urls.slo, nameId: "bea-at-idp" })));
      assert.equal(slo.status, 302, "Rollcall accepted the LogoutRequest");
      const [bea] = await sql<{ id: string }>(db.dataSource.manager, "SELECT id FROM users WHERE organization_id = :orgId AND user_name = :userName",
        { orgId, userName: "bea@acme.test" });
      await eventually("the back-channel logout after Single Logout", async () => (await sql(db.dataSource.manager,
        "SELECT id FROM op_logout_deliveries WHERE client_id = :clientId AND user_id = :userId AND delivered_at IS NOT NULL", { clientId, userId: bea.id }))[0]);
      await page.reload();
      assert.equal(await page.title(), "Signed out");
      await context.close();
    });

    it("answers a sign-in Rollcall refused with the reason, not a session", async () => {
      const started = await fetch(`${appOrigin}/login?organization=acme`, { redirect: "manual" });
      const cookie = started.headers.get("set-cookie")!.split(";")[0];
      const state = new URL(started.headers.get("location")!).searchParams.get("state")!;
      const callback = new URL("/auth/callback", appOrigin);
      Object.entries({ error: "access_denied", state, iss: rollcall.origin }).forEach(([k, v]) => callback.searchParams.set(k, v));
      const refused = await fetch(callback, { headers: { cookie }, redirect: "manual" });
      assert.equal(refused.status, 400);
      assert.match(await refused.text(), /<p id="reason">access_denied<\/p>/);
    });

    it("refuses a webhook without a valid signature and a logout token Rollcall did not sign", async () => {
      // A well-formed Standard Webhooks request whose signature is not by the endpoint's secret.
      const body = JSON.stringify({ id: "forged", type: "user.deactivated", timestamp: new Date().toISOString(), organizationId: orgId, data: {} });
      const forged = await fetch(`${appOrigin}/webhooks`, {
        method: "POST", body, headers: {
          "content-type": "application/json", "webhook-id": "msg_forged", "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
          "webhook-signature": `v1,${randomBytes(32).toString("base64")}`,
        },
      });
      assert.equal(forged.status, 400);
      assert.ok(!example.events.some((e: RollcallEvent) => e.id === "forged"));

      const { privateKey } = await generateKeyPair("RS256");
      const token = await new SignJWT({ events: { "http://schemas.openid.net/event/backchannel-logout": {} } })
        .setProtectedHeader({ alg: "RS256", kid: "not-rollcalls", typ: "logout+jwt" })
        .setIssuer(rollcall.origin).setAudience(clientId).setSubject("someone").setJti("j1").setIssuedAt().setExpirationTime("2m").sign(privateKey);
      const refused = await fetch(`${appOrigin}/backchannel-logout`, { method: "POST", body: new URLSearchParams({ logout_token: token }) });
      assert.equal(refused.status, 400);
      assert.equal(refused.headers.get("cache-control"), "no-store");
    });
  });
}
