import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "../../src/db/sql.js";
import { openDatabase } from "../../src/db/database.js";
import { listSigningKeys, publicationOrder, SigningKeyRow } from "../../src/identity/op-keys.js";
import { AdminHarness, api, startAdminHarness } from "../support/admin.js";
import { cliOnTemporaryDatabase } from "../support/cli.js";
import { databaseTargets } from "../support/databases.js";

/** Registering apps (OpenID clients) and rotating the provider's keys: admin API for operators only, audited; the CLI. */
for (const target of await databaseTargets()) {
  describe(`apps and signing keys in the admin API (${target.name})`, { skip: target.skip }, () => {
    let h: AdminHarness;
    before(async () => { h = await startAdminHarness(target); });
    after(() => h.close());

    it("an operator registers an app (secret shown once, kept as a digest), changes it, rotates its secret and removes it", async () => {
      const op = h.as(h.operator.token);
      const created = await op.post(api("/apps"), { name: "Reports", redirectUris: ["https://reports.example/cb"], organizationIds: [h.orgA], refreshTokens: true });
      assert.equal(created.status, 201, created.text);
      const { clientId, clientSecret } = created.body;
      assert.match(clientId, /^app_/);
      assert.match(clientSecret, /^rcc_/);
      const [row] = await sql<{ secret_hash: string }>(h.db.dataSource.manager, "SELECT secret_hash FROM op_clients WHERE id = :clientId", { clientId });
      assert.notEqual(row.secret_hash, clientSecret);
      assert.equal((await op.get(api(`/apps/${clientId}`))).body.clientSecret, undefined);
      assert.deepEqual((await op.get(api("/apps"))).body.items.map((a: { clientId: string }) => a.clientId), [clientId]);

      const changed = await op.patch(api(`/apps/${clientId}`), { organizationIds: null, postLogoutRedirectUris: ["https://reports.example/bye"] });
      assert.equal(changed.status, 200, changed.text);
      assert.equal(changed.body.organizationIds, null);
      const rotated = await op.post(api(`/apps/${clientId}/secret`));
      assert.match(rotated.body.clientSecret, /^rcc_/);
      assert.notEqual(rotated.body.clientSecret, clientSecret);
      assert.equal((await op.delete(api(`/apps/${clientId}`))).status, 204);
      assert.equal((await op.get(api(`/apps/${clientId}`))).status, 404);
      const actions = await sql<{ action: string; organization_id: string | null }>(h.db.dataSource.manager,
        "SELECT action, organization_id FROM audit_events WHERE target_id = :clientId ORDER BY id", { clientId });
      assert.deepEqual(actions.map((a) => a.action), ["op_client.created", "op_client.updated", "op_client.secret_rotated", "op_client.deleted"]);
      assert.ok(actions.every((a) => a.organization_id === null));
    });

    it("refuses bad registrations: no redirect URI, a fragment, an unknown organization, keys missing for private_key_jwt", async () => {
      const op = h.as(h.operator.token);
      for (const body of [
        { name: "x", redirectUris: [] },
        { name: "x", redirectUris: ["https://a.example/cb#frag"] },
        { name: "x", redirectUris: ["javascript:alert(1)"] },
        { name: "x", redirectUris: ["https://a.example/cb"], organizationIds: ["00000000-0000-4000-8000-000000000000"] },
        { name: "x", redirectUris: ["https://a.example/cb"], authMethod: "private_key_jwt" },
      ]) {
        const res = await op.post(api("/apps"), body);
        assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
      }
    });

    it("an organization's admin may neither register apps nor see them, nor rotate keys", async () => {
      const admin = h.as(h.adminA.token);
      assert.equal((await admin.post(api("/apps"), { name: "Mine", redirectUris: ["https://a.example/cb"] })).status, 403);
      assert.equal((await admin.get(api("/apps"))).status, 403);
      assert.equal((await admin.post(api("/signing-keys/rotate"))).status, 403);
    });

    it("a rotation publishes a new pair at once and keeps the old pair published; the new one signs from its activation", async () => {
      const op = h.as(h.operator.token);
      const rotated = await op.post(api("/signing-keys/rotate"));
      assert.equal(rotated.status, 200, rotated.text);
      const keys: SigningKeyRow[] = await listSigningKeys(h.db);
      const fresh = keys.filter((k) => !k.retiredAt);
      assert.deepEqual(fresh.map((k) => k.alg).sort(), ["ES256", "RS256"]);
      // Ordered by the clock the replicas read: before activation the old pair signs, from it the new one.
      const newKids = new Set(fresh.map((k) => k.kid));
      const signing = (now: string) => publicationOrder(keys, now).slice(0, 2).map((k) => k.kid);
      const activation = fresh[0].activatesAt;
      if (keys.length > 2) assert.ok(signing(new Date(Date.parse(activation) - 1000).toISOString()).every((kid) => !newKids.has(kid)));
      assert.ok(signing(activation).every((kid) => newKids.has(kid)));
      assert.equal(publicationOrder(keys, activation).length, keys.length, "every key stays published");
    });
  });
}

describe("the CLI registers apps and rotates keys", () => {
  const { env, cli, remove } = cliOnTemporaryDatabase("rollcall-cli-apps-");
  after(remove);

  it("app create prints the client id and the secret once; keys rotate adds a pair", async () => {
    await cli("org", "create", "acme");
    const created = (await cli("app", "create", "--name", "Reports", "--redirect-uri", "https://reports.example/cb", "--orgs", "acme", "--refresh-tokens")).stdout;
    assert.match(created, /issuer: https:\/\/id\.example\.test/);
    const clientId = /client_id: (\S+)/.exec(created)![1];
    const secret = /client_secret \(shown once\): (\S+)/.exec(created)![1];
    const listed = (await cli("app", "list")).stdout;
    assert.ok(listed.includes(clientId) && !listed.includes(secret));
    await cli("keys", "rotate");
    await cli("keys", "rotate");
    const db = await openDatabase({ url: env.DATABASE_URL });
    try {
      const keys = await listSigningKeys(db);
      assert.equal(keys.length, 4, "the first rotation's pair and the second's (nothing existed before)");
      const audit = await sql<{ action: string }>(db.dataSource.manager, "SELECT action FROM audit_events WHERE actor_id = 'cli' ORDER BY id");
      assert.deepEqual(audit.map((a) => a.action), ["organization.created", "op_client.created", "signing_keys.rotated", "signing_keys.rotated"]);
    } finally {
      await db.close();
    }
  });
});
