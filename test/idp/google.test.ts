import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { databaseTargets } from "../support/databases.js";
import { Harness, startHarness } from "../support/harness.js";
import { captureLogs, idp, ops, USER } from "./replay.js";

/**
 * Google Workspace auto-provisioning replayed (scim-in-the-wild §1.3): `GET /Users?count=1` when the admin saves the
 * app, then create, and deprovisioning by `active: false` or by DELETE.
 */
const GOOGLE_UA = "Google-Auto-Provisioning";

for (const target of await databaseTargets()) {
  describe(`Google Workspace (${target.name})`, { skip: target.skip }, () => {
    const logs = captureLogs();
    let h: Harness;
    let google: ReturnType<typeof idp>;
    before(async () => {
      h = await startHarness(target, { logger: logs.logger });
      google = idp(h, GOOGLE_UA);
      for (const userName of ["first@example.test", "second@example.test"]) await h.as().post("/scim/v2/Users", { schemas: [USER], userName }).expect(201);
    });
    after(() => h?.close());

    it("saving the app: GET /Users?count=1 gives one user and the real total", async () => {
      const res = await google.get("/Users?count=1").expect(200);
      assert.deepEqual([res.body.totalResults, res.body.itemsPerPage, res.body.Resources.length, res.body.startIndex], [2, 1, 1, 1]);
      assert.equal(logs.dialectOf("GET", google.url("/Users?count=1")).dialect, "google");
    });

    it("deprovisions by active: false (the user stays, inactive) and by DELETE (then 404)", async () => {
      const kept = (await google.post("/Users", { schemas: [USER], userName: "leaver@example.test", active: true, name: { givenName: "Lee" } }).expect(201)).body.id;
      const gone = (await google.post("/Users", { schemas: [USER], userName: "gone@example.test", active: true }).expect(201)).body.id;
      assert.equal((await google.patch(`/Users/${kept}`, ops({ op: "replace", path: "active", value: false })).expect(200)).body.active, false);
      assert.equal((await google.get(`/Users/${kept}`).expect(200)).body.active, false);
      await google.delete(`/Users/${gone}`).expect(204);
      await google.get(`/Users/${gone}`).expect(404);
      assert.equal((await google.get("/Users?count=1").expect(200)).body.totalResults, 3);
    });
  });
}
