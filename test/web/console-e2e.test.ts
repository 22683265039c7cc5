import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { browserSkip, launchBrowser } from "../support/browser.js";
import { databaseTargets } from "../support/databases.js";
import { startDnsServer, TestDns } from "../support/dns-server.js";
import { OpenIdProvider, startOpenIdProvider } from "../support/oidc-op.js";
import { ConsoleApp, signInInBrowser, startConsoleApp } from "./console-app.js";

/**
 * The console end to end in headless Chromium, against the real app (BASE_URL = its own http:// address) and a real
 * OpenID Provider (oidc-provider, in process): an admin signs in, sets up an Okta-style OIDC connection through the
 * wizard, tests it (the claims, groups and teams report), maps the IdP group to a team, tests again, and sees a user
 * provisioned over SCIM (with the token made in the wizard) in the users browser. Each page is screenshotted: into
 * docs/screenshots/ with UPDATE_SCREENSHOTS=1, else into a temporary directory, so that a test run leaves the
 * committed images alone (ports and times differ at every run).
 */

const SHOTS = process.env.UPDATE_SCREENSHOTS === "1" ? "docs/screenshots" : join(tmpdir(), "rollcall-screenshots");
const ALICE = {
  email: "alice@acme.example", email_verified: true, name: "Alice Liddell", given_name: "Alice", family_name: "Liddell",
  groups: ["engineering", "everyone"],
};
const CLIENT = { client_id: "rollcall-acme", client_secret: "acme-client-secret-0123456789" };

describe("the console in Chromium: OIDC wizard, test connection, team mapping, SCIM user", { skip: browserSkip() }, () => {
  let app: ConsoleApp;
  let browser: Browser;
  let page: Page;
  let op: OpenIdProvider | undefined;
  let dns: TestDns;
  const shot = (name: string, on: Page = page) => on.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  const text = (selector: string, on: Page = page) => on.locator(selector).innerText();

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const [sqlite] = await databaseTargets();
    dns = await startDnsServer();
    app = await startConsoleApp(sqlite, { allowInsecureIdp: true, dns: { servers: [dns.server], timeoutMs: 1000 } });
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1200, height: 800 } })).newPage();
  });

  after(async () => {
    await browser?.close();
    await op?.close();
    await app?.close();
    await dns?.close();
  });

  it("signs in as an admin and lands on the organization's overview", async () => {
    await page.goto(`${app.url}/console`);
    assert.equal(new URL(page.url()).pathname, "/console/login");
    await shot("01-admin-login");
    await page.fill("#f-email", app.adminA.email);
    await page.fill("#f-password", "wrong password");
    await page.click("button[type=submit]");
    assert.match(await text("[role=alert]"), /do not match/);
    await page.fill("#f-password", app.adminA.password);
    await page.click("button[type=submit]");
    await page.waitForURL(`${app.url}/console/orgs/${app.orgA}`);
    assert.equal(await text("h1"), "Acme Inc (acme)");
    await shot("02-overview");
  });

  it("an operator picks an organization from the list", async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const operator = await context.newPage();
    await signInInBrowser(operator, app, app.operator, "/console");
    assert.match(await operator.locator("table").innerText(), /Acme Inc\s+acme[\s\S]*Globex\s+globex/);
    await shot("02b-operator-organizations", operator);
    await operator.click("a:text('Globex')");
    assert.equal(await operator.locator("h1").innerText(), "Globex (globex)");
    await context.close();
  });

  let redirectUri = "";
  let scimToken = "";

  it("creates an OIDC connection through the Okta wizard, with the values to paste and a SCIM token", async () => {
    await page.click("nav >> text=SSO connection");
    await shot("03-connections");
    await page.click("a:text-is('Okta')");
    assert.equal(await text("h1"), "New Okta connection");
    // The IdP app comes first: created with a placeholder redirect URI, it gives the issuer and the client.
    // This OP cannot edit a client afterwards, so it is started again with the real redirect URI further down.
    const placeholder = await startOpenIdProvider({
      clients: [{ ...CLIENT, redirect_uris: ["https://example.invalid/callback"] }], accounts: { alice: ALICE },
    });
    await page.fill("#f-loginPath", "acme");
    await page.fill("#f-issuerUrl", placeholder.issuer);
    await page.fill("#f-clientId", CLIENT.client_id);
    await page.fill("#f-clientSecret", CLIENT.client_secret);
    await shot("04-connection-new-okta");
    await page.click("button:text('Save connection')");
    await page.waitForURL(/\/connections\/[0-9a-f-]{36}\?notice=connection-created$/);
    const wizardUrl = page.url().replace(/\?.*/, "");
    await placeholder.close();
    redirectUri = await text("#redirect-uri");
    assert.match(redirectUri, new RegExp(`^${app.url}/sso/[0-9a-f-]{36}/oidc/callback$`));
    assert.equal(await text("#scim-base-url"), `${app.url}/scim/v2`);
    assert.match(await page.locator("h1").innerText(), /disabled/);
    await shot("05-connection-wizard");

    await page.click("button:text('Create a SCIM token for Okta')");
    scimToken = await text("#new-scim-token");
    assert.match(scimToken, /^rcs_/);
    await shot("06-connection-scim-token");

    // The IdP app now gets the generated redirect URI; the OP comes back on another port, so the issuer changes.
    op = await startOpenIdProvider({ clients: [{ ...CLIENT, redirect_uris: [redirectUri] }], accounts: { alice: ALICE } });
    await page.goto(wizardUrl);
    assert.equal(await page.locator("#new-scim-token").count(), 0, "the token is not shown again");
    await page.fill("#f-issuerUrl", op.issuer);
    await page.click("button:text('Save settings')");
    await page.waitForURL(/\?notice=connection-saved$/);
  });

  /** Runs "Test connection" (it opens a new tab), returns the report page. */
  async function testConnection(): Promise<Page> {
    const [report] = await Promise.all([page.context().waitForEvent("page"), page.click("#test-connection")]);
    await report.waitForURL(/\/sso\/[0-9a-f-]{36}\/oidc\/callback/);
    await report.waitForLoadState();
    return report;
  }

  it("tests the connection: the claims and groups arrive, and with no group mapped the login would be refused", async () => {
    const report = await testConnection();
    const body = await report.locator("body").innerText();
    assert.match(body, /Test of Okta \(OIDC\)/);
    assert.match(body, /This login would be refused/);
    assert.match(body, /email\s+alice@acme\.example/);
    assert.match(body, /Groups \(2\)\s+engineering, everyone/);
    assert.match(body, /Nothing was saved/);
    await shot("07-test-connection-unmapped", report);
    await report.close();
  });

  it("maps the IdP group to a team, and the test now shows the team the user would get", async () => {
    await page.click("nav >> text=Teams");
    await page.fill("#f-name", "Engineering");
    await page.fill("#f-roles", "viewer, editor");
    await page.click("button:text('Create team')");
    await page.waitForURL(/notice=team-created/);
    const team = page.locator("fieldset", { has: page.locator("legend:text-is('Engineering')") });
    await team.locator("input[name=idpGroup]").first().fill("engineering");
    await team.locator("button:text('Save mapped groups')").click();
    await page.waitForURL(/notice=team-saved/);
    assert.equal(await page.locator("fieldset", { has: page.locator("legend:text-is('Engineering')") }).locator("input[name=idpGroup]").first().inputValue(), "engineering");
    await shot("08-teams");

    await page.click("nav >> text=SSO connection");
    await page.click("td a:text('Okta')");
    const report = await testConnection();
    const body = await report.locator("body").innerText();
    assert.match(body, /This login would succeed and create the account/);
    assert.match(body, /Engineering\s+viewer, editor\s+idp/);
    await shot("09-test-connection", report);
    await report.close();

    await page.click("button:text('Enable')");
    await page.waitForURL(/notice=connection-enabled/);
    assert.match(await page.locator("h1").innerText(), /enabled/);
  });

  it("a user provisioned over SCIM with the wizard's token appears in the users browser with its SCIM badge and team", async () => {
    const scim = (path: string, body: object) => fetch(`${app.url}/scim/v2${path}`, {
      method: "POST", headers: { authorization: `Bearer ${scimToken}`, "content-type": "application/scim+json" }, body: JSON.stringify(body),
    });
    const created = await scim("/Users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "alice@acme.example", externalId: "00u-alice",
      name: { givenName: "Alice", familyName: "Liddell" }, displayName: "Alice Liddell", emails: [{ value: "alice@acme.example", primary: true, type: "work" }], active: true,
    });
    assert.equal(created.status, 201);
    const alice = await created.json() as { id: string };
    const group = await scim("/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "engineering", members: [{ value: alice.id }] });
    assert.equal(group.status, 201);

    await page.click("nav >> text=Users");
    await page.fill("#f-q", "alice");
    await page.click("button:text('Search')");
    const row = page.locator("tr", { has: page.locator("a:text('alice@acme.example')") });
    assert.match(await row.innerText(), /Alice Liddell\s+alice@acme\.example\s+SCIM-managed\s+active\s+1/);
    await shot("10-users");
    await row.locator("a").click();
    const teams = await page.locator("table").nth(1).innerText();
    assert.match(teams, /Engineering\s+viewer, editor\s+IdP-managed via engineering/);
    assert.match(await page.locator("main").innerText(), /follow the user's groups at your identity provider/);
    await shot("11-user-detail");

    await page.click("nav >> text=Groups");
    assert.match(await page.locator("table").innerText(), /engineering\s+1\s+SCIM-managed/);
    await shot("12-groups");
    await page.click("nav >> text=SCIM tokens");
    assert.match(await page.locator("table").last().innerText(), /Okta SCIM\s+rcs_\S+…\s+\S+ \S+ UTC\s+\S+ \S+ UTC\s+active/, "with its last use");
    await shot("13-scim-tokens");
    await page.click("nav >> text=Audit log");
    await page.selectOption("#f-action", "user.created");
    await page.click("button:text('Filter')");
    assert.match(await page.locator("table").innerText(), /scim_token\s+\S+\s+user\.created/);
    await shot("14-audit-log");
    await page.click("nav >> text=Setup links");
    await page.fill("#f-name", "Acme IT (jane@acme.example)");
    await page.click("button:text('Create link')");
    assert.match(await text("#new-setup-link"), new RegExp(`^${app.url}/setup/rcl_`));
    await shot("15-setup-links");
    // The domain people sign in with: added here, its TXT record published (at the loopback DNS server), verified.
    await page.click("nav >> text=Domains");
    await page.fill("#f-name", "acme.example");
    await page.click("button:text('Add domain')");
    await page.waitForURL(/notice=domain-claimed/);
    const token = (await page.locator("code[id^=challenge-token-]").innerText()).trim();
    dns.records.set("_rollcall-challenge.acme.example", [token]);
    await page.click("button:text('Verify')");
    await page.waitForURL(/notice=domain-checked/);
    assert.match(await page.locator("main h2").first().innerText(), /acme\.example\s+verified/);
    await shot("15b-domains");
  });

  it("a person finds the SSO from /login by email, signs in as the SCIM-provisioned user, and reaches the console only with the admin role", async () => {
    const person = await browser.newPage();
    await person.goto(`${app.url}/login`);
    await person.fill("#f-identifier", "alice@acme.example");
    await shot("16-login", person);
    // /login → /login/acme → the OP (logs alice in at once) → the callback → the return_to default, "/": a landing page.
    await person.click("button[type=submit]");
    await person.waitForURL(`${app.url}/`);
    assert.equal(await person.locator("h1").innerText(), "Signed in");
    assert.match(await person.locator("main table").innerText(), /You\s+Alice Liddell \(alice@acme\.example\)[\s\S]*Organization\s+Acme Inc\s+Teams\s+Engineering \(viewer, editor\)/);
    await shot("17-signed-in", person);
    // The browser's cookies, asked of the sidecar's /session (what an app's front end reads).
    const session = await (await person.request.get(`${app.url}/session`)).json() as { user: { userName: string }; roles: string[] };
    assert.equal(session.user.userName, "alice@acme.example", "linked to the user SCIM created, by verified email");
    assert.deepEqual(session.roles, ["editor", "viewer"]);
    const refused = await person.goto(`${app.url}/console`);
    assert.equal(refused!.status(), 403, "an SSO user without the admin role gets no console");
    assert.match(await person.locator("main").innerText(), /no team with the "admin" role in Acme Inc/);

    // A team granting the admin role makes its members admins of their organization.
    await page.click("nav >> text=Teams");
    const team = page.locator("fieldset", { has: page.locator("legend:text-is('Engineering')") });
    await team.locator("input[name=roles]").fill("viewer, editor, admin");
    await team.locator("button:text('Save team')").click();
    await page.waitForURL(/notice=team-saved/);
    await person.goto(`${app.url}/console`);
    assert.equal(person.url(), `${app.url}/console/orgs/${app.orgA}`);
    assert.equal((await person.goto(`${app.url}/console/orgs/${app.orgB}/users`))!.status(), 404);
    await person.close();
  });
});
