import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import supertest from "supertest";
import { listAuditEvents } from "../../src/identity/audit.js";
import { databaseTargets } from "../support/databases.js";
import { Harness, startHarness } from "../support/harness.js";
import { captureLogs, filter, GROUP, idp, ids, ops, USER } from "./replay.js";

/**
 * Okta's provisioning flows replayed in order (scim-in-the-wild §1.2; okta-developer-docs scim-20 reference and its
 * SPEC test): the userName probe, create, import paging, GET-then-PUT updates, deactivation by PATCH and by PUT, and
 * group push by PATCH and by PUT.
 */
const OKTA_UA = "Okta SCIM Client 1.0.0";

for (const target of await databaseTargets()) {
  describe(`Okta (${target.name})`, { skip: target.skip }, () => {
    const logs = captureLogs();
    let h: Harness;
    let okta: ReturnType<typeof idp>;
    let ada: string;
    let group: string;
    const people: string[] = [];
    before(async () => {
      h = await startHarness(target, { logger: logs.logger });
      okta = idp(h, OKTA_UA);
    });
    after(() => h?.close());

    it("probes userName eq with startIndex=1&count=100, creates with groups: [] and a password, 409 on a duplicate, matches any case", async () => {
      const probe = (userName: string) => `/Users?${filter(`userName eq "${userName}"`)}&startIndex=1&count=100`;
      const none = await okta.get(probe("ada@ex.test")).expect(200);
      assert.deepEqual([none.body.totalResults, none.body.startIndex], [0, 1]);
      assert.equal(logs.dialectOf("GET", okta.url(probe("ada@ex.test"))).dialect, "okta");
      const body = {
        schemas: [USER], userName: "ada@ex.test", name: { givenName: "Ada", familyName: "Lovelace" },
        emails: [{ primary: true, value: "ada@ex.test", type: "work" }], displayName: "Ada Lovelace", locale: "en-US",
        externalId: "00u1abc", groups: [], password: "Okta-placeholder-1!", active: true,
      };
      const created = await okta.post("/Users", body).expect(201);
      ada = created.body.id;
      assert.equal(created.body.password, undefined);
      assert.equal(created.body.groups, undefined);
      assert.equal(created.body.userName, "ada@ex.test");
      const dup = await okta.post("/Users", body).expect(409);
      assert.deepEqual([dup.body.status, dup.body.scimType], ["409", "uniqueness"]);
      const upper = await okta.get(probe("ADA@EX.TEST")).expect(200);
      assert.deepEqual(upper.body.Resources.map((u: { id: string }) => u.id), [ada]);
    });

    it("SPEC checks: 404 with a detail; 401 as a SCIM Error", async () => {
      const missing = await okta.get("/Users/010101").expect(404);
      assert.ok(missing.body.detail);
      const unauthorised = await supertest(h.server).get("/scim/v2/Users").set("User-Agent", OKTA_UA).expect(401);
      assert.deepEqual([unauthorised.body.schemas, unauthorised.body.status], [["urn:ietf:params:scim:api:messages:2.0:Error"], "401"]);
    });

    it("import: pages of count=2 from startIndex=1 to totalResults, in the order of one page of 100", async () => {
      for (let i = 0; i < 5; i++) people.push((await okta.post("/Users", { schemas: [USER], userName: `p${i}@ex.test`, active: true }).expect(201)).body.id);
      const all = (await okta.get("/Users?startIndex=1&count=100").expect(200)).body;
      assert.equal(all.totalResults, 6);
      const paged: string[] = [];
      for (let start = 1; start <= all.totalResults; start += 2) {
        const page = (await okta.get(`/Users?startIndex=${start}&count=2`).expect(200)).body;
        assert.deepEqual([page.startIndex, page.totalResults], [start, 6]);
        assert.ok(page.itemsPerPage <= 2);
        paged.push(...page.Resources.map((u: { id: string }) => u.id));
      }
      assert.deepEqual(paged, all.Resources.map((u: { id: string }) => u.id));
    });

    it("profile update: GET, then a full PUT with id, groups: [], password and emails[].display", async () => {
      const current = (await okta.get(`/Users/${ada}`).expect(200)).body;
      const put = await okta.put(`/Users/${ada}`, {
        schemas: [USER], id: ada, userName: "ada@ex.test", externalId: "00u1abc", active: true, locale: "en-US",
        name: { givenName: "Ada", familyName: "King" }, displayName: "Ada King", groups: [], password: "Okta-placeholder-2!",
        emails: [{ primary: true, value: "ada@ex.test", type: "work", display: "Work" }], meta: current.meta,
      }).expect(200);
      assert.equal(put.body.id, ada);
      assert.deepEqual(put.body.name, { givenName: "Ada", familyName: "King" });
      assert.equal(put.body.emails[0].display, "Work");
      assert.equal(put.body.password, undefined);
    });

    it("deactivation by a no-path replace {active: false} (OIN) and by a full PUT with active: false (AIW); no DELETE", async () => {
      const patched = await okta.patch(`/Users/${ada}`, ops({ op: "replace", value: { active: false } })).expect(200);
      assert.equal(patched.body.active, false);
      await okta.put(`/Users/${ada}`, { schemas: [USER], id: ada, userName: "ada@ex.test", active: true, groups: [] }).expect(200);
      const put = await okta.put(`/Users/${people[0]}`, { schemas: [USER], id: people[0], userName: "p0@ex.test", active: false, groups: [] }).expect(200);
      assert.equal(put.body.active, false);
      assert.equal((await okta.get(`/Users/${people[0]}`).expect(200)).body.active, false);
      assert.equal((await okta.get(`/Users/${ada}`).expect(200)).body.active, true);
    });

    it("group push: created with members: []; the rename comes with every membership change; one PATCH removes and adds", async () => {
      const created = await okta.post("/Groups", { schemas: [GROUP], displayName: "Engineering", members: [] }).expect(201);
      group = created.body.id;
      assert.equal(created.body.members, undefined);
      const [u1, u2, u3] = people.slice(1);
      await okta.patch(`/Groups/${group}`, ops(
        { op: "replace", value: { id: group, displayName: "Engineering" } },
        { op: "add", path: "members", value: [{ value: u1, display: "p1@ex.test" }, { value: u2, display: "p2@ex.test" }] },
      )).expect(204);
      await okta.patch(`/Groups/${group}`, ops(
        { op: "replace", value: { id: group, displayName: "Eng" } },
        { op: "remove", path: `members[value eq "${u1}"]` },
        { op: "add", path: "members", value: [{ value: u3, display: "p3@ex.test" }] },
      )).expect(204);
      const got = (await okta.get(`/Groups/${group}`).expect(200)).body;
      assert.equal(got.displayName, "Eng");
      assert.deepEqual(ids(got.members), [u2, u3].sort());
    });

    it("AIW group push: PUT /Groups/{id} with the full member list sets exactly that list", async () => {
      const [u1, , u3] = people.slice(1);
      const put = await okta.put(`/Groups/${group}`, { schemas: [GROUP], id: group, displayName: "Eng", members: [{ value: u1 }, { value: u3 }] }).expect(200);
      assert.deepEqual(ids(put.body.members), [u1, u3].sort());
    });

    it("an unknown member id in a push loses nothing else: the known ones join, the unknown one is in the audit log", async () => {
      const [u1, u2, u3] = people.slice(1);
      await okta.patch(`/Groups/${group}`, ops(
        { op: "replace", value: { id: group, displayName: "Eng" } },
        { op: "add", path: "members", value: [{ value: u2 }, { value: "00u-deleted-in-okta" }] },
      )).expect(204);
      assert.deepEqual(ids((await okta.get(`/Groups/${group}`).expect(200)).body.members), [u1, u2, u3].sort());
      const events = await listAuditEvents(h.db.dataSource.manager, h.orgA.organizationId, { targetId: group, action: "group.updated" });
      assert.deepEqual(events.at(-1)!.summary.unknownMembers, { count: 1, ids: ["00u-deleted-in-okta"] });
    });

    it("a group is DELETEd only when the admin asks: 204, then 404; its members stay", async () => {
      await okta.delete(`/Groups/${group}`).expect(204);
      await okta.get(`/Groups/${group}`).expect(404);
      await okta.get(`/Users/${people[1]}`).expect(200);
    });
  });
}
