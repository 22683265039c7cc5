import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { databaseTargets } from "../support/databases.js";
import { Harness, startHarness } from "../support/harness.js";
import { captureLogs, filter, GROUP, idp, ids, ops, USER } from "./replay.js";

/**
 * JumpCloud's custom SCIM integration replayed (scim-in-the-wild §1.3): Test Connection creates a user and a group
 * and deletes them; a group of the same displayName is taken over; members leave by `remove` with a value array.
 */
const JUMPCLOUD_UA = "JumpCloud SCIM";

for (const target of await databaseTargets()) {
  describe(`JumpCloud (${target.name})`, { skip: target.skip }, () => {
    const logs = captureLogs();
    let h: Harness;
    let jumpcloud: ReturnType<typeof idp>;
    before(async () => {
      h = await startHarness(target, { logger: logs.logger });
      jumpcloud = idp(h, JUMPCLOUD_UA);
    });
    after(() => h?.close());

    it("Test Connection creates a test user and a test group, then DELETEs both", async () => {
      const user = (await jumpcloud.post("/Users", { schemas: [USER], userName: `jc-test-${randomUUID()}@example.test`, active: true }).expect(201)).body.id;
      const group = (await jumpcloud.post("/Groups", { schemas: [GROUP], displayName: `JumpCloud test ${randomUUID()}`, members: [{ value: user }] }).expect(201)).body.id;
      assert.equal(logs.dialectOf("POST", jumpcloud.url("/Groups")).dialect, "jumpcloud");
      await jumpcloud.delete(`/Groups/${group}`).expect(204);
      await jumpcloud.delete(`/Users/${user}`).expect(204);
      await jumpcloud.get(`/Groups/${group}`).expect(404);
      await jumpcloud.get(`/Users/${user}`).expect(404);
      assert.equal((await jumpcloud.get("/Users").expect(200)).body.totalResults, 0);
    });

    it("takes over a group of the same displayName, then removes members with a value array: only those leave", async () => {
      const existing = (await h.as().post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Design" }).expect(201)).body.id;
      const users: string[] = [];
      for (const name of ["ida", "joe", "kai"]) users.push((await jumpcloud.post("/Users", { schemas: [USER], userName: `${name}@example.test` }).expect(201)).body.id);
      const found = (await jumpcloud.get(`/Groups?${filter('displayName eq "design"')}`).expect(200)).body;
      assert.deepEqual(found.Resources.map((g: { id: string }) => g.id), [existing]);
      await jumpcloud.patch(`/Groups/${existing}`, ops({ op: "add", path: "members", value: users.map((value) => ({ value })) })).expect(204);
      await jumpcloud.patch(`/Groups/${existing}`, ops({ op: "remove", path: "members", value: [{ value: users[0] }, { value: users[2] }] })).expect(204);
      assert.deepEqual(ids((await jumpcloud.get(`/Groups/${existing}`).expect(200)).body.members), [users[1]]);
    });
  });
}
