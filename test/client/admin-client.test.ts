import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { adminApiClient } from "../../client/index.js";
import { generatedAdminApiTypes } from "../../client/generate.js";
import { Database, openDatabase } from "../../src/db/database.js";
import { createAdminAccount } from "../../src/identity/admins.js";
import { createApiToken } from "../../src/identity/api-tokens.js";
import { RunningApp, startAppOn } from "../support/app-server.js";
import { system } from "../support/admin.js";

/** The typed admin API client: generated from the served OpenAPI document, and working against the real app. */
describe("typed admin API client (client/)", () => {
  let db: Database;
  let app: RunningApp;
  let token: string;
  before(async () => {
    db = await openDatabase({ url: "sqlite::memory:" });
    app = await startAppOn(db);
    const operator = await createAdminAccount(db, { email: "ops@rollcall.test", name: "Ops", password: "correct horse battery staple", organizationId: null }, system);
    token = (await createApiToken(db, operator.id, { name: "client test" }, system)).token;
  });
  after(async () => {
    await app.close();
    await db.close();
  });

  it("is in step with the API: client/admin-api.ts is what `npm run client:generate` writes now", async () => {
    assert.ok(readFileSync("client/admin-api.ts", "utf8") === await generatedAdminApiTypes(),
      "client/admin-api.ts is out of date: run `npm run client:generate` and commit the result");
  });

  it("creates and reads organizations and teams, and hands back the API's problems typed", async () => {
    const rollcall = adminApiClient(app.origin, token);
    const created = await rollcall.POST("/organizations", { body: { slug: "globex", name: "Globex" } });
    assert.equal(created.response.status, 201);
    const orgId = created.data!.id;
    const team = await rollcall.POST("/organizations/{orgId}/teams", { params: { path: { orgId } }, body: { name: "Engineers", roles: ["deploy"] } });
    assert.equal(team.response.status, 201);
    const teams = await rollcall.GET("/organizations/{orgId}/teams", { params: { path: { orgId } } });
    assert.deepEqual(teams.data!.items.map((t) => [t.name, t.roles]), [["Engineers", ["deploy"]]]);

    const missing = await rollcall.GET("/organizations/{orgId}", { params: { path: { orgId: "00000000-0000-4000-8000-000000000000" } } });
    assert.equal(missing.response.status, 404);
    assert.equal(missing.data, undefined);
    assert.match(JSON.stringify(missing.error), /not found/);

    const refused = await adminApiClient(app.origin, "rca_not-a-token").GET("/organizations");
    assert.equal(refused.response.status, 401);
  });
});
