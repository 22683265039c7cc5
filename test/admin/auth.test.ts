import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import supertest from "supertest";
import { sql } from "../../src/db/sql.js";
import { createAdminAccount, setAdminAccountDisabled } from "../../src/identity/admins.js";
import { createSetupLink } from "../../src/identity/setup-links.js";
import { createTeam, setManualTeamMembership, setTeamMappingMode } from "../../src/identity/teams.js";
import { createUser } from "../../src/identity/users.js";
import { SESSION_COOKIE } from "../../src/web-session.js";
import { AdminHarness, adminSnapshot, api, ORIGIN, PASSWORD, startAdminHarness, system } from "../support/admin.js";
import { databaseTargets } from "../support/databases.js";

for (const target of await databaseTargets()) {
  describe(`admin authentication (${target.name})`, { skip: target.skip }, () => {
    let h: AdminHarness;
    before(async () => { h = await startAdminHarness(target); });
    after(() => h.close());

    it("logs in with the right password, and answers a wrong password, an unknown email and a disabled account alike", async () => {
      const passwordLogins = async (outcome: string) => {
        const line = (await h.browser().get("/metrics").expect(200)).text.split("\n")
          .find((l) => l.startsWith(`sso_logins_total{protocol="password",outcome="${outcome}"`));
        return line ? Number(line.split(" ").at(-1)) : 0;
      };
      const counted = { success: await passwordLogins("success"), failure: await passwordLogins("failure") };
      const browser = h.browser();
      const ok = await browser.post(api("/auth/login"), { email: "ADMIN@a.test", password: PASSWORD }).expect(200);
      assert.equal(ok.body.kind, "org_admin");
      assert.equal(ok.body.organizationId, h.orgA);
      assert.match(String(ok.headers["set-cookie"]), new RegExp(`${SESSION_COOKIE}=.*HttpOnly`));
      const me = await browser.get(api("/auth/me")).expect(200);
      assert.equal(me.body.account.email, "admin@a.test");
      assert.ok(me.body.account.lastLoginAt);

      const disabled = await extraAccount(h, { disabled: true });
      const refusals = await Promise.all([
        h.browser().post(api("/auth/login"), { email: "admin@a.test", password: `${PASSWORD}!` }),
        h.browser().post(api("/auth/login"), { email: "nobody@a.test", password: PASSWORD }),
        h.browser().post(api("/auth/login"), { email: disabled, password: PASSWORD }),
      ]);
      for (const res of refusals) {
        assert.equal(res.status, 401);
        assert.equal(res.type, "application/problem+json");
        assert.deepEqual(res.body, refusals[0].body, "no difference tells which emails have accounts");
        assert.equal(res.headers["set-cookie"], undefined);
      }
      assert.equal(refusals[0].body.detail, "The email, password or code is not right.");
      assert.equal(await passwordLogins("success"), counted.success + 1, "counted in /metrics");
      assert.equal(await passwordLogins("failure"), counted.failure + 3);
    });

    it("logs out: the session no longer authenticates", async () => {
      const browser = h.browser();
      await browser.post(api("/auth/login"), { email: "admin@b.test", password: PASSWORD }).expect(200);
      await browser.post(api("/auth/logout")).expect(204);
      const res = await browser.get(api("/auth/me")).expect(401);
      assert.equal(res.body.title, "Authentication required");
    });

    it("ends the session of an account that is disabled, at its next request", async () => {
      const browser = h.browser();
      const email = await extraAccount(h, { disabled: false });
      const login = await browser.post(api("/auth/login"), { email, password: PASSWORD }).expect(200);
      await setAdminAccountDisabled(h.db, login.body.adminId, true, system);
      await browser.get(api("/auth/me")).expect(401);
    });

    it("a session whose account was disabled behind its back gives way to a new login in the same request", async () => {
      const browser = h.browser();
      const login = await browser.post(api("/auth/login"), { email: await extraAccount(h, { disabled: false }), password: PASSWORD }).expect(200);
      // As if another replica disabled the account between two statements: the session row is still there.
      await h.db.dataSource.query(`UPDATE admin_accounts SET disabled_at = '${new Date().toISOString()}' WHERE id = '${login.body.adminId}'`);
      const other = await extraAccount(h, { disabled: false });
      await browser.post(api("/auth/login"), { email: other, password: PASSWORD }).expect(200);
      assert.equal((await browser.get(api("/auth/me")).expect(200)).body.account.email, other);
    });

    it("changes the caller's password given the current one", async () => {
      const email = await extraAccount(h, { disabled: false });
      const browser = h.browser();
      await browser.post(api("/auth/login"), { email, password: PASSWORD }).expect(200);
      const wrong = await browser.post(api("/auth/password"), { currentPassword: "not the password", newPassword: "a new long passphrase" }).expect(400);
      assert.match(wrong.body.detail, /current password/);
      const short = await browser.post(api("/auth/password"), { currentPassword: PASSWORD, newPassword: "short" }).expect(400);
      assert.equal(short.body.invalid_parameters[0].field, "newPassword");
      await browser.post(api("/auth/password"), { currentPassword: PASSWORD, newPassword: "a new long passphrase" }).expect(204);
      await h.browser().post(api("/auth/login"), { email, password: PASSWORD }).expect(401);
      await h.browser().post(api("/auth/login"), { email, password: "a new long passphrase" }).expect(200);
    });

    it("personal API tokens: shown once, listed without their value, refused at once when revoked", async () => {
      const created = await h.as(h.adminA.token).post(api("/api-tokens"), { name: "ci" }).expect(201);
      const token: string = created.body.token;
      assert.match(token, /^rca_/);
      assert.equal(created.body.prefix, token.slice(0, 12));
      const me = await h.as(token).get(api("/auth/me")).expect(200);
      assert.equal(me.body.adminId, h.adminA.id);

      const listed = await h.as(token).get(api("/api-tokens")).expect(200);
      assert.ok(!JSON.stringify(listed.body).includes(token));
      const row = listed.body.items.find((t: { id: string }) => t.id === created.body.id);
      assert.ok(row.lastUsedAt, "the use just made is recorded");

      // Another account's token is not found, and stays valid.
      await h.as(h.adminB.token).delete(api(`/api-tokens/${created.body.id}`)).expect(404);
      await h.as(token).get(api("/auth/me")).expect(200);

      await h.as(h.adminA.token).delete(api(`/api-tokens/${created.body.id}`)).expect(204);
      const refused = await h.as(token).get(api("/auth/me")).expect(401);
      assert.equal(refused.headers["www-authenticate"], 'Bearer realm="rollcall-admin"');
    });

    it("a bad token is refused even alongside a valid session cookie", async () => {
      const browser = h.browser();
      await browser.post(api("/auth/login"), { email: "admin@a.test", password: PASSWORD }).expect(200);
      await browser.get(api("/auth/me")).set("Authorization", "Bearer rca_not-a-real-token-000000000000").expect(401);
      await browser.get(api("/auth/me")).set("Authorization", "Basic YWRtaW46YWRtaW4=").expect(401);
    });

    it("refuses cookie-authenticated changes from another origin or without one, and changes nothing", async () => {
      const browser = h.browser();
      await browser.post(api("/auth/login"), { email: "admin@a.test", password: PASSWORD }).expect(200);
      const before = await adminSnapshot(h.db);
      const team = { name: "From elsewhere", roles: [] };
      const crossSite = await browser.agent.post(api(`/organizations/${h.orgA}/teams`)).set("Origin", "https://evil.test").send(team).expect(403);
      assert.equal(crossSite.body.type, "urn:rollcall:problem:cross_site");
      await browser.agent.post(api(`/organizations/${h.orgA}/teams`)).send(team).expect(403);
      await browser.agent.post(api(`/organizations/${h.orgA}/teams`)).set("Sec-Fetch-Site", "cross-site").send(team).expect(403);
      // A form post cannot carry JSON, and is refused before anything else.
      await browser.agent.post(api(`/organizations/${h.orgA}/teams`)).set("Origin", ORIGIN).type("form").send("name=x").expect(415);
      assert.equal(await adminSnapshot(h.db), before);
      // Login CSRF: a login form posted from another site does not log the browser in.
      await supertest(h.server).post(api("/auth/login")).set("Origin", "https://evil.test").send({ email: "admin@a.test", password: PASSWORD }).expect(403);

      // Same-origin fetches pass (Origin, or Sec-Fetch-Site without one); a bearer token needs neither.
      await browser.agent.post(api(`/organizations/${h.orgA}/teams`)).set("Sec-Fetch-Site", "same-origin").send({ name: "Same origin" }).expect(201);
      await browser.post(api(`/organizations/${h.orgA}/teams`), { name: "With origin" }).expect(201);
      await h.as(h.adminA.token).post(api(`/organizations/${h.orgA}/teams`), { name: "Scripted" }).expect(201);
      // Reads are not checked.
      await browser.agent.get(api(`/organizations/${h.orgA}/teams`)).expect(200);
    });

    it("an SSO user is an org admin when one of its teams grants the admin role, and only then", async () => {
      await setTeamMappingMode(h.db, h.orgA, "manual", system);
      const alice = await createUser(h.db, h.orgA, { userName: "alice@a.test" }, system, "manual");
      const bob = await createUser(h.db, h.orgA, { userName: "bob@a.test" }, system, "manual");
      const admins = await createTeam(h.db, h.orgA, { name: "Admins", roles: ["admin"] }, system);
      const staff = await createTeam(h.db, h.orgA, { name: "Staff", roles: ["viewer"] }, system);
      await setManualTeamMembership(h.db, h.orgA, admins.id, alice.id, true, system);
      await setManualTeamMembership(h.db, h.orgA, staff.id, bob.id, true, system);

      const asAlice = await h.sessionAs({ type: "user", userId: alice.id, organizationId: h.orgA });
      const me = await asAlice.get(api("/auth/me")).expect(200);
      assert.deepEqual([me.body.kind, me.body.userId, me.body.organizationId], ["org_admin", alice.id, h.orgA]);
      await asAlice.get(api(`/organizations/${h.orgA}/users`)).expect(200);
      await asAlice.get(api(`/organizations/${h.orgB}/users`)).expect(404);
      // An SSO admin has no admin account, so no personal API tokens.
      await asAlice.post(api("/api-tokens"), { name: "x" }).expect(403);
      // Its changes are audited as the user's.
      const created = await asAlice.post(api(`/organizations/${h.orgA}/teams`), { name: "By Alice" }).expect(201);
      const events = await asAlice.get(api(`/organizations/${h.orgA}/audit-events?targetId=${created.body.id}`)).expect(200);
      assert.deepEqual(events.body.items.map((e: { actorType: string; actorId: string }) => [e.actorType, e.actorId]), [["user", alice.id]]);

      const asBob = await h.sessionAs({ type: "user", userId: bob.id, organizationId: h.orgA });
      const refused = await asBob.get(api(`/organizations/${h.orgA}/users`)).expect(403);
      assert.match(refused.body.detail, /no team with the "admin" role/);

      // Losing the team loses the access, at the next request.
      await setManualTeamMembership(h.db, h.orgA, admins.id, alice.id, false, system);
      await asAlice.get(api(`/organizations/${h.orgA}/users`)).expect(403);
    });

    it("a setup link opens a session for what its capabilities allow of its organization only", async () => {
      const { token } = await createSetupLink(h.db, h.orgA, { name: "Acme IT", capabilities: ["sso", "scim"] }, system);
      const browser = h.browser();
      const me = await browser.post(api("/setup-links/redeem"), { token }).expect(200);
      assert.deepEqual([me.body.kind, me.body.organizationId, me.body.organization.slug], ["setup_link", h.orgA, "org-a"]);
      assert.deepEqual(me.body.capabilities, ["sso", "scim"]);

      await browser.get(api(`/organizations/${h.orgA}/connections`)).expect(200);
      const scim = await browser.post(api(`/organizations/${h.orgA}/scim-tokens`), { name: "okta" }).expect(201);
      assert.match(scim.body.token, /^rcs_/);
      await browser.get(api(`/organizations/${h.orgA}/scim-tokens`)).expect(200);

      for (const path of ["/users", "/groups", "/teams", "/mappings", "/domains", "/audit-events", "/setup-links", ""]) {
        const res = await browser.get(api(`/organizations/${h.orgA}${path}`)).expect(403);
        assert.match(res.body.detail, /setup link only lets you configure: sso, scim\./);
      }
      await browser.post(api(`/organizations/${h.orgA}/teams`), { name: "Nope" }).expect(403);
      await browser.patch(api(`/organizations/${h.orgA}`), { teamMappingMode: "manual" }).expect(403);
      await browser.get(api("/organizations")).expect(403);
      await browser.get(api("/api-tokens")).expect(403);
      // Another organization's connections and tokens do not exist for it.
      await browser.get(api(`/organizations/${h.orgB}/connections`)).expect(404);
      await browser.post(api(`/organizations/${h.orgB}/scim-tokens`), { name: "x" }).expect(404);
    });

    it("a revoked or expired setup link opens nothing, and revoking ends the sessions it opened", async () => {
      const { token, info } = await createSetupLink(h.db, h.orgA, { name: "Temp", validHours: 1 }, system);
      const browser = h.browser();
      await browser.post(api("/setup-links/redeem"), { token }).expect(200);
      await browser.get(api(`/organizations/${h.orgA}/connections`)).expect(200);
      await h.as(h.adminA.token).delete(api(`/organizations/${h.orgA}/setup-links/${info.id}`)).expect(204);
      await browser.get(api(`/organizations/${h.orgA}/connections`)).expect(401);
      const again = await h.browser().post(api("/setup-links/redeem"), { token }).expect(401);
      assert.match(again.body.detail, /expired, was revoked/);

      const expired = await createSetupLink(h.db, h.orgA, { name: "Old", validHours: 1 }, system);
      await sql(h.db.dataSource.manager, "UPDATE setup_links SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = :id", { id: expired.info.id });
      await h.browser().post(api("/setup-links/redeem"), { token: expired.token }).expect(401);
    });

    it("operators reach every organization; org admins only theirs; only operators create organizations", async () => {
      const all = await h.as(h.operator.token).get(api("/organizations")).expect(200);
      assert.deepEqual(all.body.items.map((o: { slug: string }) => o.slug).sort(), ["org-a", "org-b"]);
      const own = await h.as(h.adminA.token).get(api("/organizations")).expect(200);
      assert.deepEqual(own.body.items.map((o: { id: string }) => o.id), [h.orgA]);
      await h.as(h.operator.token).get(api(`/organizations/${h.orgB}`)).expect(200);
      await h.as(h.adminA.token).get(api(`/organizations/${h.orgB}`)).expect(404);
      const refused = await h.as(h.adminA.token).post(api("/organizations"), { slug: "org-c", name: "C" }).expect(403);
      assert.match(refused.body.detail, /operator/);
      await h.as(h.operator.token).post(api("/organizations"), { slug: "org-c", name: "C" }).expect(201);
      await h.as(h.operator.token).post(api("/organizations"), { slug: "org-c", name: "C again" }).expect(409);
    });

    it("anonymous callers get 401 everywhere but the public routes", async () => {
      const anonymous = supertest(h.server);
      await anonymous.get(api("/auth/me")).expect(401);
      await anonymous.get(api(`/organizations/${h.orgA}/users`)).expect(401);
      await anonymous.get(api("/openapi.json")).expect(200);
      await anonymous.get(api("/nothing-here")).expect(404);
    });
  });
}

let accounts = 0;
/** A fresh org-A admin account, for tests that change or disable one. */
async function extraAccount(h: AdminHarness, options: { disabled: boolean }): Promise<string> {
  const email = `extra${++accounts}@a.test`;
  const created = await createAdminAccount(h.db, { email, name: email, password: PASSWORD, organizationId: h.orgA }, system);
  if (options.disabled) await setAdminAccountDisabled(h.db, created.id, true, system);
  return email;
}
