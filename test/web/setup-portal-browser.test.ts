import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { listSetupLinks } from "../../src/identity/setup-links.js";
import { axe, browserSkip, launchBrowser } from "../support/browser.js";
import { databaseTargets } from "../support/databases.js";
import { ConsoleApp, signInInBrowser, startConsoleApp } from "./console-app.js";

/**
 * The setup portal in headless Chromium: an admin makes a link without SCIM in the console; the IT admin opens it,
 * is welcomed under the vendor's brand, walks the steps to the console's domain page and back, and presses Finish.
 * Each portal page: no serious or critical axe violation and no sideways scroll at 390 px. Screenshots go to
 * docs/screenshots/ with UPDATE_SCREENSHOTS=1, else to a temporary directory.
 */

const SHOTS = process.env.UPDATE_SCREENSHOTS === "1" ? "docs/screenshots" : join(tmpdir(), "rollcall-screenshots");

describe("the setup portal in Chromium", { skip: browserSkip() }, () => {
  let app: ConsoleApp;
  let browser: Browser;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const [sqlite] = await databaseTargets();
    app = await startConsoleApp(sqlite, { brand: { name: "Northwind Cloud", color: "#0b5fff" } });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Screenshots a portal page after checking it with axe and for overflow at phone width. */
  async function check(on: Page, name: string) {
    const { violations } = await axe(on);
    assert.deepEqual(violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id), [], name);
    assert.equal(await on.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0, `${name} scrolls sideways`);
    await on.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  }

  it("an admin makes a link without SCIM; the IT admin walks the portal and finishes", async () => {
    const admin = await (await browser.newContext()).newPage();
    const setupLinks = `/console/orgs/${app.orgA}/setup-links`;
    await signInInBrowser(admin, app, app.adminA, `/console/orgs/${app.orgA}`);
    await admin.goto(`${app.url}${setupLinks}`);
    await admin.fill("#f-name", "Acme IT (jane@acme.example)");
    await admin.uncheck("input[name=capabilities][value=scim]");
    await admin.click("button:has-text('Create link')");
    const url = await admin.locator("#new-setup-link").innerText();

    const it = await (await browser.newContext({ viewport: { width: 390, height: 800 } })).newPage();
    await it.goto(url);
    assert.equal(new URL(it.url()).pathname, "/setup");
    assert.equal(await it.locator("header.brand strong").innerText(), "Northwind Cloud");
    assert.match(await it.locator("h1").innerText(), /set up single sign-on for Acme Inc/);
    await check(it, "20-setup-portal-welcome");

    await it.click("text=Start");
    assert.equal(new URL(it.url()).pathname, "/setup/steps/domain");
    assert.equal(await it.locator("ol.progress li[aria-current=step]").innerText(), "1. Verify your domain");
    assert.deepEqual(await it.locator("ol.progress li").allInnerTexts(),
      ["1. Verify your domain", "2. Connect your identity provider", "3. Test a sign-in", "4. Map groups to teams", "5. Done"]);
    await check(it, "21-setup-portal-step");
    await it.click("text=Open: Verify your domain");
    assert.equal(new URL(it.url()).pathname, `/console/orgs/${app.orgA}/domains`);
    await it.click("text=Setup guide");
    assert.equal(new URL(it.url()).pathname, "/setup");

    await it.goto(`${app.url}/setup/steps/groups`);
    await it.click("text=Next step");
    assert.equal(new URL(it.url()).pathname, "/setup/done");
    await check(it, "22-setup-portal-finish");
    await it.click("button:has-text('Finish')");
    assert.equal(await it.locator("h1").innerText(), "Setup complete");
    await check(it, "23-setup-portal-complete");
    const [link] = await listSetupLinks(app.db, app.orgA);
    assert.deepEqual(link.capabilities, ["sso", "domains", "mappings"]);
    assert.ok(link.completedAt);
  });
});
