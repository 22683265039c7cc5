import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { databaseTargets } from "../support/databases.js";
import { Harness, startHarness } from "../support/harness.js";
import { captureLogs, GROUP, idp, ids, ops, USER } from "./replay.js";

/**
 * OneLogin's "SCIM Provisioner with SAML" replayed (scim-in-the-wild §1.3): no User-Agent (authentik#11249), the
 * published templates' SCIM 1.0 URN in SCIM 2.0 bodies, group membership by value arrays.
 */
const SCIM_1 = "urn:scim:schemas:core:1.0";
const SCIM_1_ENTERPRISE = "urn:scim:schemas:extension:enterprise:1.0";

for (const target of await databaseTargets()) {
  describe(`OneLogin (${target.name})`, { skip: target.skip }, () => {
    const logs = captureLogs();
    let h: Harness;
    let onelogin: ReturnType<typeof idp>;
    let pat: string;
    before(async () => {
      h = await startHarness(target, { logger: logs.logger });
      onelogin = idp(h, "");
    });
    after(() => h?.close());

    it("test-connect: GET /Users with an empty User-Agent answers a ListResponse; the log names onelogin", async () => {
      const res = await onelogin.get("/Users").expect(200);
      assert.equal(res.body.totalResults, 0);
      assert.equal(logs.dialectOf("GET", onelogin.url("/Users")).dialect, "onelogin");
    });

    it("creates and updates users from the template's SCIM 1.0 URNs, which are neither kept nor echoed", async () => {
      const created = await onelogin.post("/Users", {
        schemas: [SCIM_1, SCIM_1_ENTERPRISE], userName: "pat@example.test", externalId: "88123",
        name: { givenName: "Pat", familyName: "Lee" }, emails: [{ value: "pat@example.test", primary: true }],
        [SCIM_1_ENTERPRISE]: { department: "Sales" },
      }).expect(201);
      pat = created.body.id;
      assert.deepEqual(created.body.schemas, [USER]);
      assert.ok(!JSON.stringify(created.body).includes("urn:scim:schemas:"));
      const { notes } = logs.dialectOf("POST", onelogin.url("/Users"));
      assert.ok(notes!.includes(`schemas: dropped the unknown ${SCIM_1}`));
      assert.ok(notes!.includes(`dropped attributes under the unknown schema ${SCIM_1_ENTERPRISE}`));
      const put = await onelogin.put(`/Users/${pat}`, {
        schemas: [SCIM_1], userName: "pat@example.test", externalId: "88123", name: { givenName: "Pat", familyName: "Lee-Park" },
      }).expect(200);
      assert.deepEqual([put.body.schemas, put.body.name.familyName], [[USER], "Lee-Park"]);
    });

    it("group PATCH adds and removes members with value arrays; 204", async () => {
      const sam = (await onelogin.post("/Users", { schemas: [SCIM_1], userName: "sam@example.test" }).expect(201)).body.id;
      const kim = (await onelogin.post("/Users", { schemas: [SCIM_1], userName: "kim@example.test" }).expect(201)).body.id;
      const group = (await onelogin.post("/Groups", { schemas: [GROUP], displayName: "Sales" }).expect(201)).body.id;
      await onelogin.patch(`/Groups/${group}`, ops({ op: "add", path: "members", value: [{ value: pat }, { value: sam }, { value: kim }] })).expect(204);
      await onelogin.patch(`/Groups/${group}`, ops({ op: "remove", path: "members", value: [{ value: pat }, { value: kim }] })).expect(204);
      assert.deepEqual(ids((await onelogin.get(`/Groups/${group}`).expect(200)).body.members), [sam]);
    });
  });
}
