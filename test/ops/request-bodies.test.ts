import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createConnection } from "../../src/identity/connections.js";
import { createTeam } from "../../src/identity/teams.js";
import { samlPreset } from "../../src/sso/presets.js";
import { adminSnapshot, AdminHarness, api, ORIGIN, startAdminHarness, system } from "../support/admin.js";
import { databaseTargets } from "../support/databases.js";
import { TestIdp } from "../support/saml-idp.js";

/**
 * Issue 9: nothing costly before authentication, no body that overflows a recursive walk, and oversized or broken
 * bodies answered 4xx by the door they reach (never a 500 with a stack trace), on every door that reads a body.
 */
const deepArrays = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

for (const target of await databaseTargets()) {
  describe(`request bodies on every door (${target.name})`, { skip: target.skip }, () => {
    let h: AdminHarness;
    let acs: string;

    before(async () => {
      h = await startAdminHarness(target);
      const idp = new TestIdp();
      const connection = await createConnection(h.db, h.secretKey, h.orgA, {
        type: "saml", name: "Okta", loginPath: "orga", preset: "okta",
        saml: { ...samlPreset("okta"), idpMetadataUrl: null, idpMetadataXml: idp.metadata(),
          idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCertificates: idp.keys.map((k) => k.certBody),
          metadataFetchedAt: null, allowIdpInitiated: false },
      }, system);
      acs = `/sso/${connection.id}/saml/acs`;
    });
    after(() => h?.close());

    describe("admin API", () => {
      it("an anonymous caller may send 8 KiB at most, even to a public route", async () => {
        const res = await h.browser().post(api("/auth/login"), { email: "a@b.test", password: "x".repeat(9 * 1024) }).expect(413);
        assert.match(res.headers["content-type"], /^application\/problem\+json/);
        assert.equal(res.body.type, "urn:rollcall:problem:too_large");
      });

      it("an authenticated caller may send up to 2 MiB", async () => {
        const res = await h.as(h.adminA.token).post(api(`/organizations/${h.orgA}/teams`), { name: "Big", roles: ["x".repeat(1024 * 1024)] });
        assert.notEqual(res.status, 413, JSON.stringify(res.body));
      });

      it("500,000 nested arrays from a valid token: 400, never parsed into a stack overflow", async () => {
        const before = await adminSnapshot(h.db);
        const res = await h.as(h.adminA.token).post(api(`/organizations/${h.orgA}/teams`))
          .set("Content-Type", "application/json").send(`{"name": ${deepArrays(500_000)}}`).expect(400);
        assert.match(res.body.detail, /deeper than 32 levels/);
        assert.equal(await adminSnapshot(h.db), before);
      });

      it("33 levels of nesting from an anonymous caller: 400 without reaching a handler", async () => {
        const res = await h.browser().post(api("/auth/login")).set("Content-Type", "application/json")
          .send(`{"email": ${deepArrays(33)}}`).expect(400);
        assert.match(res.body.detail, /deeper than 32 levels/);
      });

      it("a bad token is refused before its body is read", async () => {
        const res = await h.as("rca_not-a-token").post(api(`/organizations/${h.orgA}/teams`))
          .set("Content-Type", "application/json").send("{{{").expect(401);
        assert.equal(res.body.type, "urn:rollcall:problem:unauthenticated");
      });

      for (const [name, value] of [["a lone high surrogate", "crew\ud800"], ["a lone low surrogate", "\udc00crew"], ["U+0000", "cr\u0000ew"]]) {
        it(`text with ${name} is refused (400) and nothing is stored`, async () => {
          const before = await adminSnapshot(h.db);
          const res = await h.as(h.adminA.token).post(api(`/organizations/${h.orgA}/teams`), { name: value, roles: [] }).expect(400);
          assert.equal(res.body.type, "urn:rollcall:problem:bad_request");
          assert.equal(await adminSnapshot(h.db), before);
        });
      }

      it("a well-formed pair of surrogates (an emoji) is stored as sent", async () => {
        const res = await h.as(h.adminA.token).post(api(`/organizations/${h.orgA}/teams`), { name: "Crew 🚀", roles: [] }).expect(201);
        assert.equal(res.body.name, "Crew 🚀");
      });
    });

    describe("SSO and console forms (anyone may post them)", () => {
      it("an ACS post over 256 kB answers 413 with the sign-in error page", async () => {
        const res = await h.browser().post(acs).type("form").send(`SAMLResponse=${"A".repeat(300 * 1024)}`).expect(413);
        assert.match(res.text, /request_too_large/);
      });

      it("a /logout post over 1 kB answers 413", async () => {
        const res = await h.browser().post("/logout").type("form").send(`return_to=${"a".repeat(2048)}`).expect(413);
        assert.match(res.text, /request_too_large/);
      });

      it("the console's login form takes 16 kB from a caller not signed in", async () => {
        const res = await h.browser().post("/console/login").type("form").send(`email=a%40b.test&password=${"x".repeat(20 * 1024)}`).expect(413);
        assert.match(res.text, /The form is too large/);
      });

      it("a signed-in console session may post larger forms (pasted metadata)", async () => {
        const browser = h.browser();
        await browser.post("/console/login").type("form").send(`email=${encodeURIComponent(h.adminA.email)}&password=${encodeURIComponent(h.adminA.password)}`);
        const team = await createTeam(h.db, h.orgA, { name: "Forms", roles: [] }, system);
        const res = await browser.post(`/console/orgs/${h.orgA}/teams/${team.id}/mappings`).type("form")
          .send(`groups=${"g".repeat(100 * 1024)}`);
        assert.notEqual(res.status, 413);
      });
    });

    describe("requests without a body", () => {
      it("Content-Length: 0 without a Content-Type is no body: SCIM GET and DELETE are served (Python requests sends it)", async () => {
        const token = (await h.as(h.adminA.token).post(api(`/organizations/${h.orgA}/scim-tokens`), { name: "py" }).expect(201)).body.token;
        const scim = (method: "get" | "delete" | "post", path: string) => h.browser().agent[method](`/scim/v2${path}`)
          .set("Authorization", `Bearer ${token}`).set("Origin", ORIGIN);
        const created = await scim("post", "/Users").set("Content-Type", "application/scim+json").send({ userName: "py@a.test" }).expect(201);
        await scim("get", `/Users/${created.body.id}`).set("Content-Length", "0").expect(200);
        await scim("delete", `/Users/${created.body.id}`).set("Content-Length", "0").expect(204);
      });
    });
  });
}
