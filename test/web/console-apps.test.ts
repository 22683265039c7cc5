import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { secretDigest } from "../../src/identity/bearer-secrets.js";
import { findOpClientWithSecret, listOpClients } from "../../src/identity/op-clients.js";
import { databaseTargets } from "../support/databases.js";
import { Agent, ConsoleApp, startConsoleApp } from "./console-app.js";

/** Operators register the apps that sign in through Rollcall's OpenID Provider in the console; nobody else may. */

const text = (page: string) => page.replace(/<style>[\s\S]*?<\/style>/, "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
const [sqlite] = await databaseTargets();

describe("console apps (OpenID clients)", () => {
  let app: ConsoleApp;
  let operator: Agent;
  let adminA: Agent;
  before(async () => {
    app = await startConsoleApp(sqlite);
    operator = app.agent();
    await operator.logIn(app.operator);
    adminA = app.agent();
    await adminA.logIn(app.adminA);
  });
  after(() => app?.close());

  it("registers an app for chosen organizations and shows its secret once; a new secret replaces it; removal is audited", async () => {
    const refused = await operator.post("/console/apps", { name: "Reports", redirectUris: "not a url" });
    assert.equal(refused.status, 400);
    assert.equal((await listOpClients(app.db)).length, 0, "nothing registered");

    const created = await operator.post("/console/apps", {
      name: "Reports", redirectUris: "https://reports.example/callback\n\nhttps://reports.example/other", organizationIds: [app.orgA],
      backchannelLogoutUri: "https://reports.example/logout", refreshTokens: "1",
    });
    assert.equal(created.status, 200);
    const clientId = /id="new-client-id">([^<]+)</.exec(created.text)![1];
    const secret = /id="new-client-secret">([^<]+)</.exec(created.text)![1];
    const stored = (await findOpClientWithSecret(app.db, clientId))!;
    assert.equal(stored.secretHash, secretDigest(secret), "the secret shown is the one whose digest is kept");
    assert.deepEqual([stored.redirectUris, stored.organizationIds, stored.backchannelLogoutUri, stored.refreshTokens],
      [["https://reports.example/callback", "https://reports.example/other"], [app.orgA], "https://reports.example/logout", true]);

    const listed = await operator.get("/console/apps");
    assert.match(text(listed.text), new RegExp(`Reports.*${clientId}.*https://reports\\.example/callback`));
    assert.ok(!listed.text.includes(secret), "the secret is not shown again");

    const rotated = await operator.post(`/console/apps/${clientId}/secret`);
    const newSecret = /id="new-client-secret">([^<]+)</.exec(rotated.text)![1];
    assert.notEqual(newSecret, secret);
    assert.equal((await findOpClientWithSecret(app.db, clientId))!.secretHash, secretDigest(newSecret));

    const removed = await operator.post(`/console/apps/${clientId}/delete`);
    assert.equal(removed.headers.location, "/console/apps?notice=app-removed");
    assert.equal(await findOpClientWithSecret(app.db, clientId), null);
    const actions = (await app.db.dataSource.query("SELECT action FROM audit_events WHERE target_type = 'op_client' ORDER BY id")).map((r: { action: string }) => r.action);
    assert.deepEqual(actions.slice(0, 1), ["op_client.created"]);
    assert.ok(actions.includes("op_client.deleted"));
  });

  it("is the operator's alone: an organization admin gets 403 and no link", async () => {
    assert.equal((await adminA.get("/console/apps")).status, 403);
    assert.equal((await adminA.post("/console/apps", { name: "Mine", redirectUris: "https://mine.example/cb" })).status, 403);
    assert.doesNotMatch((await adminA.get(`/console/orgs/${app.orgA}`)).text, /href="\/console\/apps"/);
    assert.match((await operator.get("/console")).text, /href="\/console\/apps"/);
  });
});
