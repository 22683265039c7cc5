import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { listConnections } from "../../src/identity/connections.js";
import { createGroup } from "../../src/identity/groups.js";
import { createTeam } from "../../src/identity/teams.js";
import { createUser } from "../../src/identity/users.js";
import { axe, browserSkip, launchBrowser } from "../support/browser.js";
import { databaseTargets } from "../support/databases.js";
import { TestIdp } from "../support/saml-idp.js";
import { ConsoleApp, signInInBrowser, startConsoleApp } from "./console-app.js";

/**
 * Every console page in headless Chromium: axe-core finds no serious or critical violation, ids are unique, and at
 * phone width (390 px) nothing scrolls the page sideways (a wide table scrolls inside its own box). The SAML wizard is
 * walked with the keyboard alone, its copy button included. With UPDATE_SCREENSHOTS=1 each page at phone width is
 * saved to docs/screenshots/phone-<page>.png.
 */

const SHOTS = "docs/screenshots";
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1200, height: 800 };
const system = { type: "system" as const, id: null };

describe("console accessibility, phone width and keyboard, in Chromium", { skip: browserSkip() }, () => {
  let app: ConsoleApp;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let userId = "";
  let groupId = "";

  before(async () => {
    const [sqlite] = await databaseTargets();
    app = await startConsoleApp(sqlite);
    const scim = { type: "scim_token" as const, id: null };
    const longName = "a.user.with.a.rather.long.name.that.does.not.fit.a.phone@acme-subsidiary-with-a-long-name.example";
    userId = (await createUser(app.db, app.orgA, {
      userName: longName, displayName: "Lorem Ipsum-Dolorsitamet", active: true, emails: [{ value: longName, primary: true }], externalId: "00u1a2b3c4d5e6f7g8h9",
    }, scim, "scim")).id;
    await createUser(app.db, app.orgA, { userName: "temp@acme.example", active: true }, system, "manual");
    groupId = (await createGroup(app.db, app.orgA, { displayName: "engineering", externalId: "0c9f1a2e-engineering", memberIds: [userId] }, scim)).group.id;
    await createTeam(app.db, app.orgA, { name: "Engineering", roles: ["viewer", "editor"] }, system);
    browser = await launchBrowser();
    admin = await browser.newContext({ viewport: DESKTOP });
    await admin.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.url });
    page = await admin.newPage();
    await signInInBrowser(page, app, app.adminA, `/console/orgs/${app.orgA}`);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Presses Tab until the element `selector` (Playwright's) has the focus, and checks it shows a focus ring. */
  async function tabTo(selector: string) {
    const target = page.locator(selector).first();
    await target.waitFor();
    for (let presses = 0; presses < 80; presses++) {
      await page.keyboard.press("Tab");
      if (await target.evaluate((element) => element === document.activeElement)) {
        const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
        assert.notEqual(outline, "none", `${selector} shows where the focus is`);
        return;
      }
    }
    assert.fail(`Tab never reached ${selector}`);
  }

  it("walks the SAML wizard with the keyboard alone: pick the IdP, fill in, save, copy a value, make a SCIM token, enable", async () => {
    await tabTo("nav a[href$='/connections']");
    await Promise.all([page.waitForURL(/\/connections$/), page.keyboard.press("Enter")]);
    await tabTo("a[href*='idp=entra']");
    await Promise.all([page.waitForURL(/\/connections\/new\?idp=entra/), page.keyboard.press("Enter")]);
    if (await page.locator("a[href*='protocol=saml']").count()) {
      await tabTo("a[href*='protocol=saml']");
      await Promise.all([page.waitForURL(/protocol=saml/), page.keyboard.press("Enter")]);
    }
    await tabTo("#f-name");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("Entra ID");
    await tabTo("#f-loginPath");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("acmeentra");
    await tabTo("#f-idpMetadataXml");
    const idp = new TestIdp("https://sts.windows.example/tenant/", "https://login.microsoftonline.example/tenant/saml2");
    await page.keyboard.insertText(idp.metadata());
    await tabTo("button[type=submit]:text('Save connection')");
    await Promise.all([page.waitForURL(/notice=connection-created/), page.keyboard.press("Enter")]);

    const acs = await page.locator("#acs-url").innerText();
    await tabTo("button[data-copy='acs-url']");
    await page.keyboard.press("Enter");
    await page.locator("button[data-copy='acs-url']:text('Copied')").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), acs, "the copy button copies the whole value");

    await tabTo("button:text('Create a SCIM token')");
    await Promise.all([page.waitForLoadState("load"), page.keyboard.press("Enter")]);
    assert.match(await page.locator("#new-scim-token").innerText(), /^rcs_/);
    await tabTo("button:text-is('Enable')");
    await Promise.all([page.waitForURL(/notice=connection-enabled/), page.keyboard.press("Enter")]);
    assert.equal((await listConnections(app.db, app.secretKey, app.orgA))[0].enabled, true);
  });

  /** Axe's serious and critical findings, duplicate ids, and how far the page is wider than the window. */
  async function audit(on: Page, withAxe: boolean) {
    const { violations } = withAxe ? await axe(on) : { violations: [] };
    const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
    const duplicateIds = await on.evaluate(() => {
      const ids = [...document.querySelectorAll("[id]")].map((e) => e.id);
      return ids.filter((id, i) => ids.indexOf(id) !== i);
    });
    const overflow = await on.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    return { serious, duplicateIds, overflow };
  }

  it("every console page: no serious or critical axe violation, unique ids, and no sideways scroll at 390 px", async () => {
    const connectionId = (await listConnections(app.db, app.secretKey, app.orgA))[0].id;
    const org = `/console/orgs/${app.orgA}`;
    const adminPages: [string, string][] = [
      ["overview", org], ["connections", `${org}/connections`], ["connection-new-okta", `${org}/connections/new?idp=okta`],
      ["connection-wizard", `${org}/connections/${connectionId}`], ["teams", `${org}/teams`], ["users", `${org}/users`],
      ["user-detail", `${org}/users/${userId}`], ["groups", `${org}/groups`], ["group-detail", `${org}/groups/${groupId}`],
      ["scim-tokens", `${org}/tokens`], ["audit-log", `${org}/audit`], ["setup-links", `${org}/setup-links`],
      ["admins", "/console/admins"], ["account", "/console/account"], ["not-found", `${org}/nothing-here`],
    ];
    const operator = await browser.newContext({ viewport: DESKTOP });
    const operatorPage = await operator.newPage();
    await signInInBrowser(operatorPage, app, app.operator, "/console");
    const anonymous = await (await browser.newContext({ viewport: DESKTOP })).newPage();

    const visits: [string, Page, string][] = [
      ...adminPages.map(([name, path]): [string, Page, string] => [name, page, path]),
      ["operator-organizations", operatorPage, "/console"], ["operator-overview", operatorPage, org], ["operator-apps", operatorPage, "/console/apps"],
      ["login", anonymous, "/login"], ["admin-login", anonymous, "/console/login"],
    ];
    const problems: string[] = [];
    // Axe at phone width, where more can go wrong (a table scrolling in its box must be reachable by keyboard).
    for (const [name, on, path] of visits) {
      for (const viewport of [DESKTOP, PHONE]) {
        await on.setViewportSize(viewport);
        await on.goto(`${app.url}${path}`);
        const { serious, duplicateIds, overflow } = await audit(on, viewport === PHONE);
        const where = `${name} at ${viewport.width} px`;
        if (serious.length) problems.push(`${where}: ${serious.join("; ")}`);
        if (duplicateIds.length) problems.push(`${where}: duplicate ids ${duplicateIds.join(", ")}`);
        if (overflow > 0) problems.push(`${where}: the page scrolls sideways by ${overflow} px`);
        if (viewport === PHONE && process.env.UPDATE_SCREENSHOTS === "1") await on.screenshot({ path: `${SHOTS}/phone-${name}.png`, fullPage: true });
      }
    }
    assert.deepEqual(problems, []);
    await operator.close();
  });
});
