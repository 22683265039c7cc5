import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generate } from "otplib";
import supertest from "supertest";
import { AdminAccount } from "../../entities/index.js";
import { sql } from "../../src/db/sql.js";
import { createAdminAccount, getAdminAccount } from "../../src/identity/admins.js";
import { databaseTargets } from "../support/databases.js";
import { Account, ConsoleApp, startConsoleApp } from "./console-app.js";

/**
 * Admin accounts in the console: a one-time password must be changed before anything else; two-factor sign-in with
 * an authenticator app (TOTP, codes computed here from the secret the page shows) and recovery codes; the list of
 * admins, disabled and enabled by whoever administers them.
 */

const text = (html: string) => html.replace(/<style>[\s\S]*?<\/style>/, "").replace(/<[^>]+>/g, " ")
  .replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c))).replace(/\s+/g, " ");
const system = { type: "system" as const, id: null };
const NEW_PASSWORD = "a passphrase of my own choosing";

for (const target of await databaseTargets()) {
  describe(`console accounts (${target.name})`, { skip: target.skip }, () => {
    let app: ConsoleApp;

    before(async () => void (app = await startConsoleApp(target)));
    after(() => app?.close());

    const auditActions = async (targetId: string) => (await sql<{ action: string; summary: string }>(app.db.dataSource.manager,
      "SELECT action, summary FROM audit_events WHERE target_id = :targetId ORDER BY id", { targetId })).map((e) => `${e.action} ${e.summary}`);

    async function newAdmin(email: string, oneTimePassword = false): Promise<Account & { id: string }> {
      const password = "one-time-password-123";
      const created = await createAdminAccount(app.db, { email, name: email, password, organizationId: app.orgA, oneTimePassword }, system);
      return { email, password, id: created.id };
    }
    /** The login form's fields for an account. */
    const credentials = ({ email, password }: Account) => ({ email, password });

    it("a one-time password opens only the account page until it is changed", async () => {
      const fresh = await newAdmin("fresh@acme.example", true);
      const agent = app.agent();
      await agent.logIn(fresh);
      for (const path of ["/console", `/console/orgs/${app.orgA}/users`, "/console/admins"]) {
        const res = await agent.get(path);
        assert.equal(res.status, 303, path);
        assert.equal(res.headers.location, "/console/account?notice=change-password");
      }
      const page = text((await agent.get("/console/account?notice=change-password")).text);
      assert.match(page, /Your password was a one-time password: choose your own/);

      const kept = await agent.post("/console/account/password", { currentPassword: fresh.password, newPassword: fresh.password, repeatPassword: fresh.password });
      assert.equal(kept.status, 400);
      assert.match(text(kept.text), /the one-time password cannot be kept/);
      const differ = await agent.post("/console/account/password", { currentPassword: fresh.password, newPassword: NEW_PASSWORD, repeatPassword: "something else entirely" });
      assert.equal(differ.status, 400);
      assert.match(text(differ.text), /The two new passwords differ/);
      const wrong = await agent.post("/console/account/password", { currentPassword: "not the password", newPassword: NEW_PASSWORD, repeatPassword: NEW_PASSWORD });
      assert.match(text(wrong.text), /the current password is not right/);

      const changed = await agent.post("/console/account/password", { currentPassword: fresh.password, newPassword: NEW_PASSWORD, repeatPassword: NEW_PASSWORD });
      assert.equal(changed.status, 303);
      assert.equal(changed.headers.location, "/console/account?notice=password-changed");
      assert.equal((await agent.get("/console")).headers.location, `/console/orgs/${app.orgA}`, "the console opens");
      assert.equal((await getAdminAccount(app.db, fresh.id))?.mustChangePassword, false);
      assert.ok((await auditActions(fresh.id)).some((e) => e.startsWith("admin_account.password_changed")));
      await app.agent().logIn({ email: fresh.email, password: NEW_PASSWORD });
    });

    it("two-factor sign-in: enrol with a code, recovery codes once, then password + code (each code good once), API included", async () => {
      const owner = await newAdmin("totp@acme.example");
      const agent = app.agent();
      await agent.logIn(owner);
      const started = await agent.post("/console/account/totp");
      assert.equal(started.status, 200);
      const secret = /id="totp-secret">([A-Z2-7]+)</.exec(started.text)?.[1];
      assert.ok(secret, "the setup key is on the page");
      assert.match(started.text, new RegExp(`id="totp-uri">otpauth://totp/Rollcall:totp%40acme\\.example\\?secret=${secret}`));
      assert.match(started.text, /data-copy="totp-secret"/, "with a copy button");
      const stored = await app.db.dataSource.getRepository(AdminAccount).findOneByOrFail({ id: owner.id });
      assert.ok(stored.totpSecret?.startsWith("v1.") && !stored.totpSecret.includes(secret), "encrypted at rest");

      const wrong = await agent.post("/console/account/totp/confirm", { code: "000000" === await generate({ secret }) ? "111111" : "000000" });
      assert.equal(wrong.status, 400);
      assert.match(text(wrong.text), /that code is not the one the app shows now/);
      assert.match(wrong.text, new RegExp(`id="totp-secret">${secret}<`), "the enrolment is still there to finish");

      const enrolCode = await generate({ secret });
      const confirmed = await agent.post("/console/account/totp/confirm", { code: enrolCode });
      assert.equal(confirmed.status, 200);
      const recovery = /id="recovery-codes">([^<]+)</.exec(confirmed.text)![1].split("\n");
      assert.equal(recovery.length, 10);
      assert.match(text(confirmed.text), /Save these recovery codes now/);
      const digests = JSON.parse((await app.db.dataSource.getRepository(AdminAccount).findOneByOrFail({ id: owner.id })).recoveryCodes!) as string[];
      assert.equal(digests.length, 10);
      assert.ok(!digests.some((d) => recovery.some((c) => d.includes(c.replace(/-/g, "")))), "stored only as digests");
      assert.doesNotMatch((await agent.get("/console/account")).text, /recovery-codes/, "shown once");

      // The password alone now leads to the code step, and no session.
      const browser = app.agent();
      const step = await browser.post("/console/login", { ...credentials(owner), return_to: `/console/orgs/${app.orgA}/users` });
      assert.equal(step.status, 303);
      assert.equal(step.headers.location, "/console/login/code");
      assert.equal((await browser.get("/console")).headers.location, "/console/login?return_to=%2Fconsole", "not signed in yet");
      assert.match(text((await browser.get("/console/login/code")).text), /Code from your authenticator app/);
      const bad = await browser.post("/console/login/code", { code: "12345" });
      assert.equal(bad.status, 401);
      assert.match(text(bad.text), /That code is not right/);
      assert.equal((await browser.post("/console/login/code", { code: enrolCode })).status, 401, "the code used to enrol is spent");
      const next = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
      const signedIn = await browser.post("/console/login/code", { code: next });
      assert.equal(signedIn.status, 303);
      assert.equal(signedIn.headers.location, `/console/orgs/${app.orgA}/users`, "where the login was asked to return");
      assert.equal((await browser.get("/console")).status, 303);
      assert.equal((await browser.get(`/console/orgs/${app.orgA}/users`)).status, 200);

      // A recovery code works once, typed in any case and with or without dashes.
      const again = app.agent();
      await again.post("/console/login", credentials(owner));
      assert.equal((await again.post("/console/login/code", { code: next })).status, 401, "a TOTP code is good once");
      assert.equal((await again.post("/console/login/code", { code: recovery[0].toUpperCase().replace(/-/g, " ") })).status, 303);
      const reused = app.agent();
      await reused.post("/console/login", credentials(owner));
      assert.equal((await reused.post("/console/login/code", { code: recovery[0] })).status, 401);
      assert.match(text((await again.get("/console/account")).text), /9 unused recovery code\(s\)/);

      // The admin API asks for the code too.
      const api = { post: (path: string) => supertest(app.server).post(path).set("Origin", app.url) };
      const noCode = await api.post("/api/v1/auth/login").send({ email: owner.email, password: owner.password });
      assert.equal(noCode.status, 401);
      assert.match(noCode.body.detail, /second factor/);
      assert.equal((await api.post("/api/v1/auth/login").send({ email: owner.email, password: owner.password, code: "000001" })).status, 401);
      const withCode = await api.post("/api/v1/auth/login").send({ email: owner.email, password: owner.password, code: recovery[1] });
      assert.equal(withCode.status, 200);
      assert.ok(withCode.body.account.totpEnabledAt);

      // Off again, with the password.
      const off = await again.post("/console/account/totp/disable", { password: "wrong" });
      assert.equal(off.status, 400);
      assert.equal((await again.post("/console/account/totp/disable", { password: owner.password })).headers.location, "/console/account?notice=totp-disabled");
      await app.agent().logIn(owner);
      const actions = (await auditActions(owner.id)).map((e) => e.split(" ")[0]);
      for (const action of ["admin_account.totp_enabled", "admin_account.recovery_code_used", "admin_account.totp_disabled"]) assert.ok(actions.includes(action), action);
      assert.ok((await auditActions(owner.id)).some((e) => e.includes('"factor":"totp"')));
    });

    it("the code step gives up after five wrong codes", async () => {
      const owner = await newAdmin("five@acme.example");
      const agent = app.agent();
      await agent.logIn(owner);
      const secret = /id="totp-secret">([A-Z2-7]+)</.exec((await agent.post("/console/account/totp")).text)![1];
      await agent.post("/console/account/totp/confirm", { code: await generate({ secret }) });
      const browser = app.agent();
      await browser.post("/console/login", credentials(owner));
      for (let i = 0; i < 5; i++) assert.equal((await browser.post("/console/login/code", { code: "999999" })).status, 401);
      const late = await browser.post("/console/login/code", { code: await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }) });
      assert.match(text(late.text), /too many wrong codes. Sign in again/);
      assert.equal((await browser.get("/console")).status, 303, "still not signed in");
      assert.equal((await browser.get("/console/login/code")).headers.location, "/console/login", "the code step is gone");
    });

    it("admins are listed to whoever administers them, and disabled or enabled there (not oneself)", async () => {
      const colleague = await newAdmin("colleague@acme.example");
      const theirs = app.agent();
      await theirs.logIn(colleague);
      const adminA = app.agent();
      await adminA.logIn(app.adminA);
      const list = text((await adminA.get("/console/admins")).text);
      assert.match(list, /colleague@acme\.example/);
      assert.doesNotMatch(list, /globex|ops@rollcall/, "only its own organization's accounts");
      const operator = app.agent();
      await operator.logIn(app.operator);
      assert.match(text((await operator.get("/console/admins")).text), /admin@globex\.example[\s\S]*ops@rollcall\.example/);

      const adminB = await getAdminAccount(app.db, (await sql<{ id: string }>(app.db.dataSource.manager, "SELECT id FROM admin_accounts WHERE email = 'admin@globex.example'"))[0].id);
      assert.equal((await adminA.post(`/console/admins/${adminB!.id}/disable`)).status, 404, "another organization's admin");
      const me = (await sql<{ id: string }>(app.db.dataSource.manager, "SELECT id FROM admin_accounts WHERE email = 'admin@acme.example'"))[0].id;
      assert.equal((await adminA.post(`/console/admins/${me}/disable`)).status, 409);

      const disabled = await adminA.post(`/console/admins/${colleague.id}/disable`);
      assert.equal(disabled.headers.location, "/console/admins?notice=admin-disabled");
      assert.equal((await theirs.get("/console")).status, 303, "its session ended");
      assert.match(text((await adminA.get("/console/admins")).text), /colleague@acme\.example.*disabled/);
      assert.equal((await app.agent().post("/console/login", credentials(colleague))).status, 401);
      await adminA.post(`/console/admins/${colleague.id}/enable`);
      await app.agent().logIn(colleague);
    });
  });
}
