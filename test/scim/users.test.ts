import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { listAuditEvents } from "../../src/identity/audit.js";
import { databaseTargets } from "../support/databases.js";
import { BASE_URL, Harness, snapshot, startHarness } from "../support/harness.js";
import { User } from "../../entities/index.js";
import { USER_URN as USER, ENTERPRISE_URN as ENTERPRISE } from "../../src/scim/schemas.js";


const ada = {
  schemas: [USER, ENTERPRISE],
  userName: "ada@example.test",
  externalId: "00u-ada",
  name: { givenName: "Ada", familyName: "Lovelace", formatted: "Ada Lovelace" },
  displayName: "Ada Lovelace",
  active: true,
  password: "correct horse battery staple",
  emails: [{ value: "ada@example.test", type: "work", primary: true }, { value: "ada@home.test", type: "home" }],
  phoneNumbers: [{ value: "+44 20 0000 0000", type: "mobile" }],
  addresses: [{ type: "work", streetAddress: "12 St James's Sq", locality: "London", postalCode: "SW1Y 4LB", country: "GB" }],
  ims: [{ value: "ada", type: "xmpp" }],
  photos: [{ value: "https://photos.example.test/ada.jpg", type: "photo" }],
  entitlements: [{ value: "analytical-engine" }],
  roles: [{ value: "mathematician", primary: true }],
  x509Certificates: [{ value: "MIIBszCCAVmgAwIBAgIJAO" }],
  [ENTERPRISE]: { employeeNumber: "1815", costCenter: "CC-1", organization: "Babbage", division: "R&D", department: "Maths", manager: { value: "boss-id" } },
};

for (const target of await databaseTargets()) {
  describe(`RFC 7644 §3.3–3.6 Users (${target.name})`, { skip: target.skip }, () => {
    let h: Harness;
    before(async () => { h = await startHarness(target); });
    after(() => h?.close());

    it("POST creates a user: 201, Location, ETag, full meta, every core and enterprise attribute, no password", async () => {
      const boss = (await h.as().post("/scim/v2/Users", { schemas: [USER], userName: "boss@example.test" }).expect(201)).body;
      const res = await h.as().post("/scim/v2/Users", { ...ada, [ENTERPRISE]: { ...ada[ENTERPRISE], manager: { value: boss.id } } }).expect(201);
      assert.match(res.headers["content-type"], /^application\/scim\+json/);
      const body = res.body;
      assert.equal(res.headers.location, `${BASE_URL}/scim/v2/Users/${body.id}`);
      assert.equal(res.headers.etag, body.meta.version);
      assert.deepEqual(Object.keys(body.meta).sort(), ["created", "lastModified", "location", "resourceType", "version"]);
      assert.equal(body.meta.resourceType, "User");
      assert.equal(body.meta.location, res.headers.location);
      assert.deepEqual(body.schemas, [USER, ENTERPRISE]);
      for (const key of ["userName", "externalId", "name", "displayName", "active", "emails", "phoneNumbers", "addresses", "ims", "photos", "entitlements", "roles", "x509Certificates"]) {
        assert.deepEqual(body[key], (ada as Record<string, unknown>)[key], key);
      }
      assert.deepEqual(body[ENTERPRISE].manager, { value: boss.id, $ref: `${BASE_URL}/scim/v2/Users/${boss.id}` });
      assert.equal(body[ENTERPRISE].employeeNumber, "1815");
      assert.equal(body.password, undefined);
      const stored = await h.db.dataSource.getRepository(User).findOneByOrFail({ id: body.id });
      assert.match(stored.passwordHash!, /^scrypt\$/);
      assert.ok(!JSON.stringify(await snapshot(h.db)).includes(ada.password));
    });

    it("GET by id returns the same representation; If-None-Match with the ETag gives 304", async () => {
      const created = (await h.as().post("/scim/v2/Users", { ...ada, userName: "get@example.test" }).expect(201)).body;
      const got = await h.as().get(`/scim/v2/Users/${created.id}`).expect(200);
      assert.deepEqual(got.body, created);
      await h.as().get(`/scim/v2/Users/${created.id}`).set("If-None-Match", got.headers.etag).expect(304);
    });

    it("userName is unique per organization, case-insensitively (Unicode too): 409 uniqueness", async () => {
      await h.as().post("/scim/v2/Users", { schemas: [USER], userName: "Émile@Example.test" }).expect(201);
      const dup = await h.as().post("/scim/v2/Users", { schemas: [USER], userName: "émile@example.TEST" }).expect(409);
      assert.equal(dup.body.scimType, "uniqueness");
      assert.equal(dup.body.status, "409");
      // Another organization may use the same userName.
      await h.as(h.orgB).post("/scim/v2/Users", { schemas: [USER], userName: "émile@example.test" }).expect(201);
    });

    it("PUT replaces: omitted attributes are cleared, id and meta in the body are ignored, version goes up", async () => {
      const created = (await h.as().post("/scim/v2/Users", { ...ada, userName: "put@example.test" }).expect(201)).body;
      const put = await h.as().put(`/scim/v2/Users/${created.id}`, {
        schemas: [USER], id: "ignored", meta: { version: "W/\"99\"" }, userName: "put@example.test", active: true,
        name: { givenName: "Augusta" }, groups: [], password: "another placeholder",
      }).expect(200);
      assert.equal(put.body.id, created.id);
      assert.deepEqual(put.body.name, { givenName: "Augusta" });
      assert.equal(put.body.emails, undefined);
      assert.equal(put.body[ENTERPRISE], undefined);
      assert.notEqual(put.body.meta.version, created.meta.version);
      assert.deepEqual(put.body.schemas, [USER]);
      // The new password replaced the stored digest (hashed outside the write transaction, see updateUser).
      const users = h.db.dataSource.getRepository(User);
      assert.match((await users.findOneByOrFail({ id: created.id })).passwordHash!, /^scrypt\$/);
      const before = (await users.findOneByOrFail({ id: created.id })).passwordHash;
      await h.as().put(`/scim/v2/Users/${created.id}`, { schemas: [USER], userName: "put@example.test", password: "a third one" }).expect(200);
      assert.notEqual((await users.findOneByOrFail({ id: created.id })).passwordHash, before);
    });

    it("PUT with active:false deactivates but keeps the user readable and filterable", async () => {
      const created = (await h.as().post("/scim/v2/Users", { schemas: [USER], userName: "leaver@example.test" }).expect(201)).body;
      await h.as().put(`/scim/v2/Users/${created.id}`, { schemas: [USER], userName: "leaver@example.test", active: false }).expect(200);
      const got = await h.as().get(`/scim/v2/Users/${created.id}`).expect(200);
      assert.equal(got.body.active, false);
      const found = await h.as().get(`/scim/v2/Users?filter=${encodeURIComponent('userName eq "leaver@example.test" and active eq false')}`).expect(200);
      assert.equal(found.body.totalResults, 1);
      const events = await listAuditEvents(h.db.dataSource.manager, h.orgA.organizationId, { targetId: created.id });
      assert.deepEqual(events.map((e) => e.action), ["user.created", "user.deactivated"]);
      assert.equal(events[1].actorType, "scim_token");
    });

    it("PATCH applies operations and returns the whole resource; If-Match with an old version → 412, nothing changed", async () => {
      const created = (await h.as().post("/scim/v2/Users", { ...ada, userName: "patch@example.test" }).expect(201)).body;
      const patched = await h.as().patch(`/scim/v2/Users/${created.id}`, {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [
          { op: "replace", path: "name.familyName", value: "King" },
          { op: "replace", path: 'emails[type eq "work"].value', value: "ada.king@example.test" },
          { op: "add", path: `${ENTERPRISE}:department`, value: "Engines" },
          { op: "Replace", path: "active", value: "False" },
        ],
      }).set("If-Match", created.meta.version).expect(200);
      assert.equal(patched.body.name.familyName, "King");
      assert.equal(patched.body.emails[0].value, "ada.king@example.test");
      assert.equal(patched.body[ENTERPRISE].department, "Engines");
      assert.equal(patched.body.active, false);
      const stale = await h.as().patch(`/scim/v2/Users/${created.id}`, {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "title", value: "Countess" }],
      }).set("If-Match", created.meta.version).expect(412);
      assert.equal(stale.body.status, "412");
      assert.equal((await h.as().get(`/scim/v2/Users/${created.id}`)).body.title, undefined);
    });

    it("DELETE gives 204 and an audit event, then 404; memberships go with the user", async () => {
      const user = (await h.as().post("/scim/v2/Users", { schemas: [USER], userName: "gone@example.test" }).expect(201)).body;
      const group = (await h.as().post("/scim/v2/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Leavers", members: [{ value: user.id }] }).expect(201)).body;
      await h.as().delete(`/scim/v2/Users/${user.id}`).expect(204);
      const [deleted] = await listAuditEvents(h.db.dataSource.manager, h.orgA.organizationId, { targetId: user.id, action: "user.deleted" });
      assert.equal(deleted?.actorType, "scim_token", "the deletion is in the audit log, by the token");
      assert.equal(deleted.summary.userName, "gone@example.test");
      const again = await h.as().get(`/scim/v2/Users/${user.id}`).expect(404);
      assert.equal(again.body.status, "404");
      await h.as().delete(`/scim/v2/Users/${user.id}`).expect(404);
      const after = await h.as().get(`/scim/v2/Groups/${group.id}`).expect(200);
      assert.equal(after.body.members, undefined);
      assert.notEqual(after.body.meta.version, group.meta.version);
    });

    it("a user shows the groups it belongs to (readOnly groups attribute)", async () => {
      const user = (await h.as().post("/scim/v2/Users", { schemas: [USER], userName: "member@example.test" }).expect(201)).body;
      const group = (await h.as().post("/scim/v2/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Engineers", members: [{ value: user.id }] }).expect(201)).body;
      const got = await h.as().get(`/scim/v2/Users/${user.id}`).expect(200);
      assert.deepEqual(got.body.groups, [{ value: group.id, $ref: `${BASE_URL}/scim/v2/Groups/${group.id}`, display: "Engineers", type: "direct" }]);
    });

    it("attributes and excludedAttributes shape the response; id and schemas always stay, password never shows", async () => {
      const user = (await h.as().post("/scim/v2/Users", { ...ada, userName: "proj@example.test" }).expect(201)).body;
      const only = await h.as().get(`/scim/v2/Users/${user.id}?attributes=userName,name.givenName,${ENTERPRISE}:employeeNumber,password`).expect(200);
      assert.deepEqual(only.body, { schemas: user.schemas, id: user.id, userName: "proj@example.test", name: { givenName: "Ada" }, [ENTERPRISE]: { employeeNumber: "1815" } });
      const without = await h.as().get(`/scim/v2/Users/${user.id}?excludedAttributes=emails,meta,id`).expect(200);
      assert.equal(without.body.emails, undefined);
      assert.equal(without.body.meta, undefined);
      assert.equal(without.body.id, user.id);
      assert.equal(without.body.userName, "proj@example.test");
    });
  });
}
