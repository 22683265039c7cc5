import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import type { Browser } from "playwright-core";
import supertest from "supertest";
import { createApp } from "../../src/app.js";
import { Database, openDatabase } from "../../src/db/database.js";
import { browserSkip, launchBrowser } from "../support/browser.js";
import { databaseTargets } from "../support/databases.js";
import { ConsoleApp, startConsoleApp } from "./console-app.js";

/**
 * helmet's default CSP carries `upgrade-insecure-requests`. Behind https that is what we want; over plain http at any
 * name but localhost it makes the browser post the console's login form to https://, which fails (and `form-action
 * 'self'` blocks it), so the console could not be used at all.
 */
describe("Content-Security-Policy follows BASE_URL's scheme", () => {
  let db: Database;
  before(async () => void (db = await openDatabase({ url: "sqlite::memory:" })));
  after(() => db.close());

  const policyFor = async (baseUrl: string) => {
    const app = createApp({ db, baseUrl, logger: pino({ level: "silent" }), secretKey: randomBytes(32) });
    const res = await supertest(app).get("/console/login");
    assert.equal(res.status, 200);
    return res.get("Content-Security-Policy") ?? "";
  };

  it("asks browsers to upgrade insecure requests only when BASE_URL is https", async () => {
    assert.match(await policyFor("https://id.example.test"), /(^|;)upgrade-insecure-requests(;|$)/);
    const plain = await policyFor("http://id.example.test");
    assert.doesNotMatch(plain, /upgrade-insecure-requests/);
    assert.match(plain, /form-action 'self'/, "the rest of helmet's policy stays");
  });
});

describe("the console over plain http at a non-loopback name, in Chromium", { skip: browserSkip() }, () => {
  const HOST = "rollcall.test";
  let app: ConsoleApp;
  let browser: Browser;

  before(async () => {
    const [sqlite] = await databaseTargets();
    app = await startConsoleApp(sqlite, { hostName: HOST });
    browser = await launchBrowser({ resolveToLoopback: [HOST] });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it("an admin signs in: the login form posts to http://, not upgraded to https://", async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/console/login`);
    await page.fill("#f-email", app.adminA.email);
    await page.fill("#f-password", app.adminA.password);
    await page.click("button[type=submit]");
    await page.waitForURL(`${app.url}/console/orgs/${app.orgA}`, { timeout: 10_000 });
    assert.equal(await page.locator("h1").innerText(), "Acme Inc (acme)");
  });
});
