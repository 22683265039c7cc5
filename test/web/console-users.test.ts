import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "../../src/db/sql.js";
import { openSession } from "../../src/identity/sessions.js";
import supertest from "supertest";
import { findAdminAccount } from "../../src/identity/admins.js";
import { createApiToken } from "../../src/identity/api-tokens.js";
import { createUser, getUser } from "../../src/identity/users.js";
import { databaseTargets } from "../support/databases.js";
import { Agent, ConsoleApp, startConsoleApp } from "./console-app.js";

/**
 * A user's page: an admin deactivates, reactivates and signs out a user the IdP does not manage; a SCIM user is
 * read-only there, with the reason, and the identity core refuses the change whatever the door.
 */

const text = (html: string) => html.replace(/<style>[\s\S]*?<\/style>/, "").replace(/<[^>]+>/g, " ")
  .replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c))).replace(/\s+/g, " ");

for (const target of await databaseTargets()) {
  describe(`console users: deactivate, reactivate, end sessions (${target.name})`, { skip: target.skip }, () => {
    let app: ConsoleApp;
    let admin: Agent;
    let manual: string;
    let scim: string;
    const userPage = (id: string, action = "") => `/console/orgs/${app.orgA}/users/${id}${action}`;
    const sessionsOf = async (userId: string) => Number((await sql<{ n: number | string }>(app.db.dataSource.manager,
      "SELECT COUNT(*) AS n FROM sessions WHERE user_id = :userId", { userId }))[0].n);
    const signIn = (userId: string, sid: string) => openSession(app.db, sid, "{}", new Date(Date.now() + 3_600_000),
      { type: "user", userId, organizationId: app.orgA });

    before(async () => {
      app = await startConsoleApp(target);
      admin = app.agent();
      await admin.logIn(app.adminA);
      manual = (await createUser(app.db, app.orgA, { userName: "temp@acme.example", active: true }, { type: "system", id: null }, "manual")).id;
      scim = (await createUser(app.db, app.orgA, { userName: "okta@acme.example", active: true }, { type: "scim_token", id: null }, "scim")).id;
    });
    after(() => app?.close());

    it("a manual user is deactivated (its sessions end) and reactivated, each audited", async () => {
      await signIn(manual, "sid-manual-1");
      const page = text((await admin.get(userPage(manual))).text);
      assert.match(page, /Deactivate/);
      const done = await admin.post(userPage(manual, "/deactivate"));
      assert.equal(done.status, 303);
      assert.match(text((await admin.get(done.headers.location)).text), /User deactivated[\s\S]*inactive[\s\S]*Reactivate/);
      assert.equal((await getUser(app.db, app.orgA, manual))?.active, false);
      assert.equal(await sessionsOf(manual), 0);
      await admin.post(userPage(manual, "/reactivate"));
      assert.equal((await getUser(app.db, app.orgA, manual))?.active, true);
      const actions = (await sql<{ action: string; actor_type: string }>(app.db.dataSource.manager,
        "SELECT action, actor_type FROM audit_events WHERE target_id = :id ORDER BY id", { id: manual }));
      assert.deepEqual(actions.map((a) => `${a.action} by ${a.actor_type}`).slice(1), ["user.deactivated by admin", "user.reactivated by admin"]);
    });

    it("a SCIM user is read-only, with why, and a forged post is refused", async () => {
      const page = text((await admin.get(userPage(scim))).text);
      assert.match(page, /Read-only: this user is managed by SCIM: deactivate or reactivate it at your identity provider/);
      assert.doesNotMatch(page, /Deactivate\s/);
      const refused = await admin.post(userPage(scim, "/deactivate"));
      assert.equal(refused.status, 409);
      assert.equal((await getUser(app.db, app.orgA, scim))?.active, true);
    });

    it("ending sessions signs any user out everywhere and says how many in the audit log; another organization's user is a 404", async () => {
      await signIn(scim, "sid-scim-1");
      await signIn(scim, "sid-scim-2");
      const ended = await admin.post(userPage(scim, "/end-sessions"));
      assert.equal(ended.headers.location, `${userPage(scim)}?notice=sessions-ended`);
      assert.equal(await sessionsOf(scim), 0);
      const [event] = await sql<{ summary: string }>(app.db.dataSource.manager, "SELECT summary FROM audit_events WHERE action = 'user.sessions_ended'");
      assert.deepEqual(JSON.parse(event.summary), { userName: "okta@acme.example", sessionsEnded: 2 });
      const other = app.agent();
      await other.logIn(app.adminB);
      assert.equal((await other.post(`/console/orgs/${app.orgB}/users/${manual}/deactivate`)).status, 404);
      assert.equal((await getUser(app.db, app.orgA, manual))?.active, true);
    });

    it("the admin API mirrors it: PATCH a user's `active` (409 for a SCIM user), DELETE its sessions", async () => {
      const { token } = await createApiToken(app.db, (await findAdminAccount(app.db, app.adminA.email))!.id, { name: "test" }, { type: "system", id: null });
      const api = (method: "patch" | "delete", path: string) =>
        supertest(app.server)[method](`/api/v1/organizations/${app.orgA}${path}`).set("Authorization", `Bearer ${token}`);
      const off = await api("patch", `/users/${manual}`).send({ active: false });
      assert.equal(off.status, 200);
      assert.equal(off.body.active, false);
      assert.equal((await api("patch", `/users/${scim}`).send({ active: false })).status, 409);
      await api("patch", `/users/${manual}`).send({ active: true }).expect(200);
      await signIn(scim, "sid-scim-3");
      const ended = await api("delete", `/users/${scim}/sessions`);
      assert.deepEqual(ended.body, { sessionsEnded: 1 });
    });
  });
}
