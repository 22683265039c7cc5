import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { listDomains } from "../../src/identity/domains.js";
import { createSetupLink, revokeSetupLink } from "../../src/identity/setup-links.js";
import { listScimTokens } from "../../src/identity/scim-tokens.js";
import { databaseTargets } from "../support/databases.js";
import { ConsoleApp, startConsoleApp } from "./console-app.js";

/** Who may open which console page: sessions, organization scope, setup links and the cross-site check. */

const SECTIONS = ["", "/connections", "/connections/new?idp=okta", "/domains", "/teams", "/users", "/groups", "/tokens", "/audit", "/webhooks",
  "/setup-links"];

for (const target of await databaseTargets()) {
  describe(`console access control (${target.name})`, { skip: target.skip }, () => {
    let app: ConsoleApp;
    const orgPage = (org: string, section = "") => `/console/orgs/${org}${section}`;

    /** Every log line, at debug (which records each request's URL). */
    const logged: string[] = [];
    before(async () => {
      app = await startConsoleApp(target, { logger: pino({ level: "debug" }, { write: (line: string) => void logged.push(line) }) });
    });
    after(() => app?.close());

    it("without a session every console page redirects to the admin login, keeping where it was going", async () => {
      const agent = app.agent();
      for (const path of ["/console", ...SECTIONS.map((s) => orgPage(app.orgA, s)), orgPage(app.orgA, "/users/anything")]) {
        const res = await agent.get(path);
        assert.equal(res.status, 303, path);
        assert.equal(res.headers.location, `/console/login?return_to=${encodeURIComponent(path)}`, path);
      }
      const post = await agent.post(orgPage(app.orgA, "/tokens"), { name: "sneaky" });
      assert.equal(post.status, 303);
      assert.equal(post.headers.location, "/console/login");
      assert.equal((await listScimTokens(app.db, app.orgA)).length, 0, "nothing was created");
    });

    it("the admin login refuses a wrong password and lands on the page asked for", async () => {
      const agent = app.agent();
      const wrong = await agent.post("/console/login", { email: app.adminA.email, password: "not-the-password" });
      assert.equal(wrong.status, 401);
      assert.match(wrong.text, /do not match an active administrator account/);
      assert.doesNotMatch(wrong.text, /not-the-password/, "the password is never echoed");
      const ok = await agent.post("/console/login", { ...app.adminA, return_to: orgPage(app.orgA, "/users") });
      assert.equal(ok.status, 303);
      assert.equal(ok.headers.location, orgPage(app.orgA, "/users"));
      const outside = await app.agent().post("/console/login", { ...app.adminA, return_to: "//evil.example/x" });
      assert.equal(outside.headers.location, "/console", "a foreign return_to falls back to the console");
    });

    it("an organization admin sees every page of its organization and none of another's (404)", async () => {
      const agent = app.agent();
      await agent.logIn(app.adminA);
      assert.equal((await agent.get("/console")).headers.location, orgPage(app.orgA));
      for (const section of SECTIONS) {
        const own = await agent.get(orgPage(app.orgA, section));
        assert.equal(own.status, 200, `own ${section}: ${own.text.slice(0, 300)}`);
        const other = await agent.get(orgPage(app.orgB, section));
        assert.equal(other.status, 404, `other ${section}`);
        assert.doesNotMatch(other.text, /Globex/, "the other organization's name is not shown");
      }
      const post = await agent.post(orgPage(app.orgB, "/tokens"), { name: "cross-tenant" });
      assert.equal(post.status, 404);
      assert.equal((await agent.post(orgPage(app.orgB, "/domains"), { name: "cross-tenant.example" })).status, 404);
      assert.deepEqual(await listDomains(app.db, app.orgB), [], "no domain was claimed for the other organization");
      assert.equal((await listScimTokens(app.db, app.orgB)).length, 0, "no token was created in the other organization");
      assert.equal((await agent.get("/console/orgs/not-an-id/users")).status, 404);
    });

    it("an operator picks any organization from the list", async () => {
      const agent = app.agent();
      await agent.logIn(app.operator);
      const list = await agent.get("/console");
      assert.equal(list.status, 200);
      assert.match(list.text, /Acme Inc/);
      assert.match(list.text, /Globex/);
      for (const org of [app.orgA, app.orgB]) assert.equal((await agent.get(orgPage(org, "/users"))).status, 200);
    });

    it("a POST without this server's Origin (or Sec-Fetch-Site: same-origin) is refused", async () => {
      const agent = app.agent();
      await agent.logIn(app.adminA);
      for (const origin of [null, "https://evil.example", app.url.replace("127.0.0.1", "localhost")]) {
        const res = await agent.postFrom(origin, orgPage(app.orgA, "/tokens"), { name: "forged" });
        assert.equal(res.status, 403, String(origin));
      }
      assert.equal((await listScimTokens(app.db, app.orgA)).length, 0);
      const sameSite = await agent.postFrom(null, orgPage(app.orgA, "/tokens"), { name: "fetch-metadata" }).set("Sec-Fetch-Site", "same-origin");
      assert.equal(sameSite.status, 200);
      const forgedLogin = await app.agent().postFrom("https://evil.example", "/console/login", { ...app.adminA });
      assert.equal(forgedLogin.status, 403, "login CSRF is refused too");
    });

    it("a setup link opens only the pages of its organization its capabilities allow, until revoked", async () => {
      const { token, info } = await createSetupLink(app.db, app.orgA, { name: "Acme IT", capabilities: ["sso", "scim", "domains"] }, { type: "system", id: null });
      const agent = app.agent();
      const opened = await agent.get(`/setup/${token}`);
      assert.equal(opened.status, 303);
      assert.equal(opened.headers.location, "/setup", "it lands on the setup portal");
      assert.equal((await agent.get("/console")).headers.location, "/setup");
      for (const section of ["/connections", "/connections/new?idp=entra", "/domains", "/tokens"]) {
        assert.equal((await agent.get(orgPage(app.orgA, section))).status, 200, section);
      }
      for (const section of ["", "/teams", "/users", "/groups", "/audit", "/setup-links", "/users/x"]) {
        const res = await agent.get(orgPage(app.orgA, section));
        assert.equal(res.status, 403, section);
        assert.match(res.text, /This setup link lets you configure only: sso, scim, domains\./);
      }
      for (const section of ["/connections", "/domains", "/tokens"]) assert.equal((await agent.get(orgPage(app.orgB, section))).status, 404);
      const page = await agent.get(orgPage(app.orgA, "/tokens"));
      assert.doesNotMatch(page.text, /href="[^"]*\/(teams|users|audit)"/, "the navigation offers only what the link opens");

      const created = await agent.post(orgPage(app.orgA, "/tokens"), { name: "okta" });
      assert.equal(created.status, 200);
      assert.match(created.text, /rcs_[A-Za-z0-9_-]{20,}/, "the setup link can create a SCIM token");

      await revokeSetupLink(app.db, app.orgA, info.id, { type: "system", id: null });
      assert.equal((await agent.get(orgPage(app.orgA, "/tokens"))).status, 303, "a revoked link's session ends at once");
      assert.equal((await app.agent().get(`/setup/${token}`)).status, 404, "and the link opens nothing any more");
      assert.equal((await app.agent().get("/setup/rcl_not-a-real-link")).status, 404);
      assert.ok(logged.some((line) => line.includes("/setup/[redacted]")), "the request log has the redemption");
      assert.ok(!logged.some((line) => line.includes(token)), "but never the link's secret");
    });

    it("signing out ends the console session", async () => {
      const agent = app.agent();
      await agent.logIn(app.adminA);
      assert.equal((await agent.get(orgPage(app.orgA))).status, 200);
      const out = await agent.post("/logout", { return_to: "/console/login" });
      assert.equal(out.status, 303);
      assert.equal((await agent.get(orgPage(app.orgA))).status, 303);
    });
  });
}
