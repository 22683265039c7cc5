import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Organization } from "../../entities/index.js";
import { sql } from "../../src/db/sql.js";
import supertest from "supertest";
import { findAdminAccount } from "../../src/identity/admins.js";
import { createApiToken } from "../../src/identity/api-tokens.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createUser } from "../../src/identity/users.js";
import { databaseTargets } from "../support/databases.js";
import { Agent, ConsoleApp, startConsoleApp } from "./console-app.js";

/** Operators create, rename and delete organizations in the console; nobody else may. */

const text = (html: string) => html.replace(/<style>[\s\S]*?<\/style>/, "").replace(/<[^>]+>/g, " ").replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c))).replace(/\s+/g, " ");
const system = { type: "system" as const, id: null };

for (const target of await databaseTargets()) {
  describe(`console organizations (${target.name})`, { skip: target.skip }, () => {
    let app: ConsoleApp;
    let operator: Agent;
    let adminA: Agent;

    before(async () => {
      app = await startConsoleApp(target);
      operator = app.agent();
      await operator.logIn(app.operator);
      adminA = app.agent();
      await adminA.logIn(app.adminA);
    });
    after(() => app?.close());

    const audit = async (action: string) => (await sql<{ organization_id: string | null; summary: string }>(app.db.dataSource.manager,
      "SELECT organization_id, summary FROM audit_events WHERE action = :action", { action })).map((e) => ({ ...e, summary: JSON.parse(e.summary) }));

    it("an operator creates an organization from the list, and a bad slug comes back with the reason and what was typed", async () => {
      const refused = await operator.post("/console/orgs", { name: "Initech", slug: "Initech Corp" });
      assert.equal(refused.status, 400);
      assert.match(text(refused.text), /slug must be 1 to 100 lower-case letters/);
      assert.match(refused.text, /value="Initech Corp"/);
      const taken = await operator.post("/console/orgs", { name: "Another Acme", slug: "acme" });
      assert.equal(taken.status, 409);
      assert.match(text(taken.text), /slug "acme" already exists/);

      const created = await operator.post("/console/orgs", { name: "Initech", slug: "initech" });
      assert.equal(created.status, 303);
      assert.match(created.headers.location, /^\/console\/orgs\/[0-9a-f-]{36}\?notice=organization-created$/);
      const overview = await operator.get(created.headers.location);
      assert.match(text(overview.text), /Initech \(initech\)/);
      assert.match(text(overview.text), /Organization created/);
      assert.equal((await audit("organization.created")).filter((e) => e.summary.slug === "initech").length, 1);
    });

    it("an organization admin can neither create nor rename nor delete one, and sees no such forms", async () => {
      assert.equal((await adminA.post("/console/orgs", { name: "Mine", slug: "mine" })).status, 403);
      const overview = await adminA.get(`/console/orgs/${app.orgA}`);
      assert.doesNotMatch(overview.text, /Delete organization|action="[^"]*\/rename"/);
      assert.equal((await adminA.post(`/console/orgs/${app.orgA}/rename`, { name: "Pwned" })).status, 403);
      assert.equal((await adminA.post(`/console/orgs/${app.orgA}/delete`, { confirm: "acme" })).status, 403);
      assert.equal((await adminA.post(`/console/orgs/${app.orgB}/delete`, { confirm: "globex" })).status, 404, "another organization does not exist for it");
      assert.equal((await app.db.dataSource.getRepository(Organization).findOneByOrFail({ id: app.orgA })).name, "Acme Inc");
    });

    it("an operator renames an organization (audited with the old and new name)", async () => {
      const empty = await operator.post(`/console/orgs/${app.orgB}/rename`, { name: "  " });
      assert.equal(empty.status, 400);
      assert.match(text(empty.text), /name must be 1 to 200 characters/);
      const renamed = await operator.post(`/console/orgs/${app.orgB}/rename`, { name: "Globex Corporation" });
      assert.equal(renamed.status, 303);
      assert.match(text((await operator.get(renamed.headers.location)).text), /Globex Corporation \(globex\)/);
      const [event] = await audit("organization.renamed");
      assert.deepEqual(event.summary, { slug: "globex", from: "Globex", to: "Globex Corporation" });
    });

    it("deleting needs the slug typed; then the organization, its users, admins and sessions are gone", async () => {
      await createUser(app.db, app.orgB, { userName: "wile@globex.example", active: true }, system);
      const adminB = app.agent();
      await adminB.logIn(app.adminB);
      assert.equal((await adminB.get(`/console/orgs/${app.orgB}`)).status, 200);

      const wrong = await operator.post(`/console/orgs/${app.orgB}/delete`, { confirm: "Globex" });
      assert.equal(wrong.status, 400);
      assert.match(text(wrong.text), /type the organization's slug, "globex", to confirm/);
      assert.ok(await app.db.dataSource.getRepository(Organization).findOneBy({ id: app.orgB }), "still there");

      const deleted = await operator.post(`/console/orgs/${app.orgB}/delete`, { confirm: "globex" });
      assert.equal(deleted.status, 303);
      assert.equal(deleted.headers.location, "/console?notice=organization-deleted");
      assert.doesNotMatch(text((await operator.get("/console")).text), /globex/);
      const left = await sql<{ n: number | string }>(app.db.dataSource.manager, `SELECT
        (SELECT COUNT(*) FROM users WHERE organization_id = :id) + (SELECT COUNT(*) FROM admin_accounts WHERE organization_id = :id)
        + (SELECT COUNT(*) FROM sessions WHERE organization_id = :id) AS n`, { id: app.orgB });
      assert.equal(Number(left[0].n), 0);
      assert.equal(new URL((await adminB.get(`/console/orgs/${app.orgB}`)).headers.location ?? "http://x/none", "http://x").pathname, "/console/login", "its admin's session ended");
      const [event] = await audit("organization.deleted");
      assert.equal(event.organization_id, null, "recorded at instance level, as the organization's own log is gone");
      assert.deepEqual(event.summary, { slug: "globex", name: "Globex Corporation", users: 1, connections: 0 });
    });

    it("the admin API does the same: an operator renames and deletes (slug in `confirm`), an organization admin may not", async () => {
      const tokenOf = async (email: string) => (await createApiToken(app.db, (await findAdminAccount(app.db, email))!.id, { name: "test" }, system)).token;
      const as = (token: string) => ({
        patch: (path: string, body: object) => supertest(app.server).patch(`/api/v1${path}`).set("Authorization", `Bearer ${token}`).send(body),
        delete: (path: string) => supertest(app.server).delete(`/api/v1${path}`).set("Authorization", `Bearer ${token}`),
      });
      const [asOperator, asAdmin] = [as(await tokenOf(app.operator.email)), as(await tokenOf(app.adminA.email))];
      const umbrella = await createOrganization(app.db, { slug: "umbrella", name: "Umbrella" }, system);
      assert.equal((await asAdmin.patch(`/organizations/${app.orgA}`, { name: "Mine now" })).status, 403);
      assert.equal((await asAdmin.delete(`/organizations/${app.orgA}?confirm=acme`)).status, 403);
      const renamed = await asOperator.patch(`/organizations/${umbrella.id}`, { name: "Umbrella Corp" });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.name, "Umbrella Corp");
      const unconfirmed = await asOperator.delete(`/organizations/${umbrella.id}?confirm=acme`);
      assert.equal(unconfirmed.status, 400);
      assert.match(unconfirmed.body.detail, /type the organization's slug, "umbrella"/);
      assert.equal((await asOperator.delete(`/organizations/${umbrella.id}?confirm=umbrella`)).status, 204);
      assert.equal(await app.db.dataSource.getRepository(Organization).findOneBy({ id: umbrella.id }), null);
    });
  });
}
