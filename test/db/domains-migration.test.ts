import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { Domains1765300000000 } from "../../src/db/migrations/1765300000000-Domains.js";
import { createConnection, getConnection } from "../../src/identity/connections.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { databaseTargets, freshDatabase } from "../support/databases.js";

/** The Domains migration goes down and up again on a database with a connection, which keeps its row and gets the safe defaults. */
const system = { type: "system" as const, id: null };
const key = randomBytes(32);

for (const target of await databaseTargets()) {
  describe(`migration Domains (${target.name})`, { skip: target.skip }, () => {
    const database = freshDatabase(target);

    it("down removes the domains table and the new columns; up brings them back with existing connections neither default nor open", async () => {
      const org = await createOrganization(database(), { slug: "acme", name: "Acme" }, system);
      const connection = await createConnection(database(), key, org.id, {
        type: "oidc", name: "Acme", loginPath: "acme", preset: "generic",
        oidc: { issuerUrl: "https://idp.test", clientId: "c", clientSecret: "s", scopes: ["openid"], claimMappings: { name: "name", email: "email", groups: "groups" } },
      }, system);
      const runner = database().dataSource.createQueryRunner();
      try {
        const migration = new Domains1765300000000();
        await migration.down(runner);
        assert.equal(await runner.hasTable("domains"), false);
        assert.equal(await runner.hasColumn("connections", "is_default"), false);
        assert.equal(await runner.hasColumn("team_mappings", "connection_id"), false);
        await migration.up(runner);
        assert.equal(await runner.hasColumn("users", "login_connection_id"), true);
      } finally {
        await runner.release();
      }
      const after = (await getConnection(database(), key, org.id, connection.id))!;
      assert.deepEqual([after.loginPath, after.isDefault, after.allowOtherDomains, after.oidc!.clientSecret], ["acme", false, false, "s"]);
    });
  });
}
