import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { listAuditEvents } from "../../src/identity/audit.js";
import { databaseTargets } from "../support/databases.js";
import { BASE_URL, Harness, startHarness } from "../support/harness.js";
import { USER_URN as USER, GROUP_URN as GROUP, PATCH_OP_URN as PATCH } from "../../src/scim/schemas.js";


for (const target of await databaseTargets()) {
  describe(`RFC 7644 §3.3–3.6 Groups (${target.name})`, { skip: target.skip }, () => {
    let h: Harness;
    const users: string[] = [];
    before(async () => {
      h = await startHarness(target);
      for (let i = 0; i < 5; i++) users.push((await h.as().post("/scim/v2/Users", { schemas: [USER], userName: `g${i}@example.test` }).expect(201)).body.id);
    });
    after(() => h?.close());

    const members = async (id: string) =>
      ((await h.as().get(`/scim/v2/Groups/${id}`).expect(200)).body.members ?? []).map((m: { value: string }) => m.value).sort();

    it("POST creates a group with members: 201, Location, members with $ref, display and type", async () => {
      const res = await h.as().post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Pilots", externalId: "ext-1", members: [{ value: users[0] }] }).expect(201);
      assert.equal(res.headers.location, `${BASE_URL}/scim/v2/Groups/${res.body.id}`);
      assert.deepEqual(res.body.members, [{ value: users[0], $ref: `${BASE_URL}/scim/v2/Users/${users[0]}`, display: "g0@example.test", type: "User" }]);
      assert.equal(res.body.externalId, "ext-1");
      assert.equal(res.body.meta.resourceType, "Group");
      assert.equal(res.headers.etag, res.body.meta.version);
    });

    it("displayName is unique per organization, case-insensitively: 409 uniqueness", async () => {
      await h.as().post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Ops" }).expect(201);
      const dup = await h.as().post("/scim/v2/Groups", { schemas: [GROUP], displayName: "OPS" }).expect(409);
      assert.equal(dup.body.scimType, "uniqueness");
      await h.as(h.orgB).post("/scim/v2/Groups", { schemas: [GROUP], displayName: "ops" }).expect(201);
    });

    it("PATCH add/remove members are row changes: adding an existing member is a no-op; 204 with a new ETag", async () => {
      const g = (await h.as().post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Crew", members: [] }).expect(201)).body;
      const added = await h.as().patch(`/scim/v2/Groups/${g.id}`, { schemas: [PATCH], Operations: [{ op: "add", path: "members", value: [{ value: users[0] }, { value: users[1] }] }] }).expect(204);
      assert.notEqual(added.headers.etag, g.meta.version);
      await h.as().patch(`/scim/v2/Groups/${g.id}`, { schemas: [PATCH], Operations: [{ op: "add", path: "members", value: [{ value: users[0] }] }] }).expect(204);
      assert.deepEqual(await members(g.id), [users[0], users[1]].sort());
      await h.as().patch(`/scim/v2/Groups/${g.id}`, { schemas: [PATCH], Operations: [{ op: "remove", path: `members[value eq "${users[0]}"]` }] }).expect(204);
      assert.deepEqual(await members(g.id), [users[1]]);
    });

    it("Entra's remove with a value array removes only those members; remove without value removes all", async () => {
      const g = (await h.as().post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Entra", members: users.slice(0, 3).map((value) => ({ value })) }).expect(201)).body;
      await h.as().patch(`/scim/v2/Groups/${g.id}`, { schemas: [PATCH], Operations: [{ op: "Remove", path: "members", value: [{ $ref: null, value: users[1] }] }] }).expect(204);
      assert.deepEqual(await members(g.id), [users[0], users[2]].sort());
      await h.as().patch(`/scim/v2/Groups/${g.id}`, { schemas: [PATCH], Operations: [{ op: "remove", path: "members" }] }).expect(204);
      assert.deepEqual(await members(g.id), []);
    });

    it("PATCH that renames and changes members at once (Okta push), with a stale id kept out but the rest applied", async () => {
      const g = (await h.as().post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Okta push" }).expect(201)).body;
      await h.as().patch(`/scim/v2/Groups/${g.id}`, {
        schemas: [PATCH], Operations: [
          { op: "replace", value: { id: g.id, displayName: "Okta pushed" } },
          { op: "add", path: "members", value: [{ value: users[3], display: "g3@example.test" }, { value: "no-such-user" }] },
        ],
      }).expect(204);
      const got = (await h.as().get(`/scim/v2/Groups/${g.id}`).expect(200)).body;
      assert.equal(got.displayName, "Okta pushed");
      assert.deepEqual(got.members.map((m: { value: string }) => m.value), [users[3]]);
      const events = await listAuditEvents(h.db.dataSource.manager, h.orgA.organizationId, { targetId: g.id, action: "group.updated" });
      assert.deepEqual(events.at(-1)!.summary.unknownMembers, { count: 1, ids: ["no-such-user"] });
    });

    it("PUT sets the exact member list (AIW apps) and the name", async () => {
      const g = (await h.as().post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Put me", members: [{ value: users[0] }, { value: users[1] }] }).expect(201)).body;
      const put = await h.as().put(`/scim/v2/Groups/${g.id}`, { schemas: [GROUP], displayName: "Put you", members: [{ value: users[1] }, { value: users[2] }] }).expect(200);
      assert.equal(put.body.displayName, "Put you");
      assert.deepEqual(put.body.members.map((m: { value: string }) => m.value).sort(), [users[1], users[2]].sort());
    });

    it("excludedAttributes=members leaves members out of GET and list", async () => {
      const g = (await h.as().post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Big", members: [{ value: users[0] }] }).expect(201)).body;
      const got = await h.as().get(`/scim/v2/Groups/${g.id}?excludedAttributes=members`).expect(200);
      assert.equal(got.body.members, undefined);
      assert.equal(got.body.displayName, "Big");
      const listed = await h.as().get(`/scim/v2/Groups?filter=${encodeURIComponent('displayName eq "big"')}&excludedAttributes=members`).expect(200);
      assert.equal(listed.body.totalResults, 1);
      assert.equal(listed.body.Resources[0].members, undefined);
    });

    it("membership probe: id eq and members[value eq] (Entra)", async () => {
      const g = (await h.as().post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Probe", members: [{ value: users[4] }] }).expect(201)).body;
      const hit = await h.as().get(`/scim/v2/Groups?excludedAttributes=members&filter=${encodeURIComponent(`id eq "${g.id}" and members[value eq "${users[4]}"]`)}`).expect(200);
      assert.equal(hit.body.totalResults, 1);
      const miss = await h.as().get(`/scim/v2/Groups?excludedAttributes=members&filter=${encodeURIComponent(`id eq "${g.id}" and members[value eq "${users[0]}"]`)}`).expect(200);
      assert.equal(miss.body.totalResults, 0);
    });

    it("DELETE gives 204, then 404; the users stay", async () => {
      const g = (await h.as().post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Doomed", members: [{ value: users[0] }] }).expect(201)).body;
      await h.as().delete(`/scim/v2/Groups/${g.id}`).expect(204);
      await h.as().get(`/scim/v2/Groups/${g.id}`).expect(404);
      await h.as().get(`/scim/v2/Users/${users[0]}`).expect(200);
    });
  });
}
