import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import supertest from "supertest";
import { listEventsAfter } from "../../src/identity/events/outbox.js";
import { createSetupLink, listSetupLinks, SetupCapability } from "../../src/identity/setup-links.js";
import { createTeam, listTeams } from "../../src/identity/teams.js";
import { databaseTargets } from "../support/databases.js";
import { eventsSettled } from "../support/events.js";
import { ConsoleApp, startConsoleApp } from "./console-app.js";

/** The setup portal and setup links' capabilities, in the console and the admin API. */

const system = { type: "system" as const, id: null };
const brand = { name: "Northwind Cloud", logoUrl: "https://cdn.northwind.example/logo.svg", color: "#0b5fff" };
const text = (page: string) => page.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");

for (const target of await databaseTargets()) {
  describe(`setup portal (${target.name})`, { skip: target.skip }, () => {
    let app: ConsoleApp;
    let team: string;
    const orgPage = (section = "") => `/console/orgs/${app.orgA}${section}`;
    const api = (path: string) => `/api/v1/organizations/${app.orgA}${path}`;

    before(async () => {
      app = await startConsoleApp(target, { brand });
      team = (await createTeam(app.db, app.orgA, { name: "Engineers", roles: ["editor"] }, system)).id;
    });
    after(() => app?.close());

    /** A browser that opened a new link with these capabilities (the console's agent: cookies, Origin on POSTs). */
    async function opened(capabilities: SetupCapability[]) {
      const { token, info } = await createSetupLink(app.db, app.orgA, { name: "Acme IT", capabilities }, system);
      const agent = app.agent();
      const landed = await agent.get(`/setup/${token}`);
      assert.equal(landed.headers.location, "/setup");
      return { agent, info };
    }

    it("opens on a welcome page with the organization's name and the vendor's brand, listing only the link's steps", async () => {
      const { agent } = await opened(["sso", "mappings"]);
      const welcome = await agent.get("/setup");
      assert.equal(welcome.status, 200);
      assert.match(welcome.text, /let's set up single sign-on for Acme Inc/);
      assert.match(welcome.text, /<img src="https:\/\/cdn\.northwind\.example\/logo\.svg" alt="Northwind Cloud"/);
      assert.match(welcome.text, /border-top-color:#0b5fff/);
      assert.match(welcome.headers["content-security-policy"], /img-src 'self' data: https:\/\/cdn\.northwind\.example/);
      assert.match(text(welcome.text), /Connect your identity provider Test a sign-in Map groups to teams/);
      assert.doesNotMatch(welcome.text, /Verify your domain|SCIM/, "steps the link may not do are not offered");
      assert.match(welcome.text, /href="\/setup\/steps\/idp">Start/);
    });

    it("walks the steps in order with progress, each linking to its console page; a step the link lacks is a 404", async () => {
      const { agent } = await opened(["sso", "mappings"]);
      const idp = await agent.get("/setup/steps/idp");
      assert.equal(idp.status, 200);
      assert.match(idp.text, /<li aria-current="step"><a href="\/setup\/steps\/idp">1\. Connect your identity provider/);
      assert.match(text(idp.text), /1\. Connect your identity provider 2\. Test a sign-in 3\. Map groups to teams 4\. Done/);
      assert.ok(idp.text.includes(`href="${orgPage("/connections")}"`));
      assert.match(idp.text, /href="\/setup\/steps\/test">Next step/);
      const groups = await agent.get("/setup/steps/groups");
      assert.ok(groups.text.includes(`href="${orgPage("/teams")}"`));
      assert.match(groups.text, /href="\/setup\/done">Next step/);
      assert.equal((await agent.get("/setup/steps/scim")).status, 404);
      assert.equal((await agent.get("/setup/steps/domain")).status, 404);
    });

    it("console: a link opens only its capabilities' pages (403 otherwise); mappings save mapped groups, not teams", async () => {
      const { agent } = await opened(["mappings"]);
      for (const section of ["/connections", "/tokens", "/domains", "/users", "/setup-links"]) {
        const res = await agent.get(orgPage(section));
        assert.equal(res.status, 403, section);
        assert.match(res.text, /This setup link lets you configure only: mappings\./);
      }
      const teams = await agent.get(orgPage("/teams"));
      assert.equal(teams.status, 200);
      assert.doesNotMatch(teams.text, /Create team|Delete team|Save mode/, "teams and roles stay the admins'");
      assert.match(teams.text, /Setup guide/, "the console leads back to the portal");
      const saved = await agent.post(orgPage(`/teams/${team}/mappings`), { idpGroup: ["eng", ""], alias: ["", ""] });
      assert.equal(saved.status, 303);
      assert.deepEqual((await listTeams(app.db, app.orgA)).find((t) => t.id === team)!.mappings.map((m) => m.idpGroup), ["eng"]);
      for (const path of ["", `/${team}`, `/${team}/delete`, "/mode"]) {
        assert.equal((await agent.post(orgPage(`/teams${path}`), { name: "x", mode: "manual" })).status, 403, `POST teams${path}`);
      }
      assert.equal((await listTeams(app.db, app.orgA)).length, 1);
    });

    it("admin API: a setup session reaches only the routes its capabilities allow (403 otherwise)", async () => {
      const session = async (capabilities: SetupCapability[]) => {
        const { token } = await createSetupLink(app.db, app.orgA, { name: "API", capabilities }, system);
        const client = supertest.agent(app.server);
        await client.post("/api/v1/setup-links/redeem").set("Origin", app.url).send({ token }).expect(200);
        return client;
      };
      const scim = await session(["scim"]);
      await scim.get(api("/scim-tokens")).expect(200);
      for (const path of ["/connections", "/domains", "/teams", "/mappings"]) {
        const res = await scim.get(api(path)).expect(403);
        assert.match(res.body.detail, /only lets you configure: scim\./);
      }
      const mappings = await session(["mappings"]);
      await mappings.get(api("/teams")).expect(200);
      await mappings.put(api(`/teams/${team}/mappings`)).set("Origin", app.url).send([{ idpGroup: "eng" }, { idpGroup: "platform" }]).expect(200);
      await mappings.post(api("/teams")).set("Origin", app.url).send({ name: "Nope" }).expect(403);
      await mappings.get(api("/connections")).expect(403);
      await mappings.get(api("/scim-tokens")).expect(403);
      const sso = await session(["sso", "domains"]);
      await sso.get(api("/connections")).expect(200);
      await sso.get(api("/domains")).expect(200);
      await sso.get(api("/mappings")).expect(403);
    });

    it("Finish records setup.completed (audit and event for the org's admins) and ends the link", async () => {
      const { agent, info } = await opened(["sso", "scim", "domains", "mappings"]);
      const done = await agent.get("/setup/done");
      assert.equal(done.status, 200);
      assert.match(text(done.text), /Connect your identity provider: not yet/);
      assert.match(done.text, /<form method="post" action="\/setup\/done"><button type="submit">Finish/);

      const finished = await agent.post("/setup/done");
      assert.equal(finished.status, 200);
      assert.match(text(finished.text), /Setup complete .* Acme Inc's administrators have been told/);
      assert.equal((await agent.get("/setup")).status, 403, "the link's session ended");
      assert.equal((await agent.get(orgPage("/connections"))).status, 303);
      assert.equal((await agent.post("/setup/done")).status, 403, "and cannot finish twice");

      const link = (await listSetupLinks(app.db, app.orgA)).find((l) => l.id === info.id)!;
      assert.ok(link.completedAt && link.revokedAt === link.completedAt, "completed and revoked at once");
      const [audit] = await app.db.dataSource.query(
        `SELECT actor_type, actor_id FROM audit_events WHERE action = 'setup.completed' AND target_id = '${info.id}'`);
      assert.deepEqual([audit.actor_type, audit.actor_id], ["setup_link", info.id]);

      await eventsSettled(app.db);
      const events = await listEventsAfter(app.db.dataSource.manager, { organizationId: app.orgA }, null, ["setup.completed"], 10);
      assert.equal(events.length, 1);
      assert.deepEqual([events[0].data.id, (events[0].data.change as { capabilities: string[] }).capabilities], [info.id, ["sso", "scim", "domains", "mappings"]]);
      const admin = app.agent();
      await admin.logIn(app.adminA);
      const viaApi = await admin.get(`${api("/events")}?types=setup.completed`);
      assert.equal(viaApi.status, 200);
      assert.deepEqual(viaApi.body.items.map((e: { type: string }) => e.type), ["setup.completed"]);
      const listed = await admin.get(orgPage("/setup-links"));
      assert.match(text(listed.text), /completed/);
    });

    it("without a setup session the portal sends an admin to the console and refuses anyone else", async () => {
      assert.equal((await app.agent().get("/setup")).status, 403);
      const admin = app.agent();
      await admin.logIn(app.adminA);
      assert.equal((await admin.get("/setup")).headers.location, "/console");
    });
  });
}
