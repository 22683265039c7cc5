import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sql } from "../../src/db/sql.js";
import { ScimSpeed1765600000000 } from "../../src/db/migrations/1765600000000-ScimSpeed.js";
import { createGroup, deleteGroup } from "../../src/identity/groups.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { resourceTotal } from "../../src/identity/resource-counts.js";
import { UserInput } from "../../src/identity/records.js";
import { createUser, deleteUser } from "../../src/identity/users.js";
import { databaseTargets, freshDatabase } from "../support/databases.js";

/**
 * The ScimSpeed migration goes down and up again on a database holding users and groups of two organizations: the
 * counts it creates match the rows, and every existing family name gets its folded copy.
 */
const system = { type: "system" as const, id: null };
const user = (userName: string, familyName?: string): UserInput => ({ userName, name: familyName ? { familyName } : null } as UserInput);

for (const target of await databaseTargets()) {
  describe(`migration ScimSpeed (${target.name})`, { skip: target.skip }, () => {
    const database = freshDatabase(target);

    it("up counts each organization's users and groups and folds every family name", async () => {
      const acme = await createOrganization(database(), { slug: "acme", name: "Acme" }, system);
      const globex = await createOrganization(database(), { slug: "globex", name: "Globex" }, system);
      await createUser(database(), acme.id, user("a@acme.test", "ÜNAL"), system);
      await createUser(database(), acme.id, user("b@acme.test", "O'Brien"), system);
      await createUser(database(), acme.id, user("c@acme.test"), system);
      await createUser(database(), globex.id, user("d@globex.test", "Smith"), system);
      await createGroup(database(), acme.id, { displayName: "Staff" }, system);
      const runner = database().dataSource.createQueryRunner();
      try {
        const migration = new ScimSpeed1765600000000();
        await migration.down(runner);
        assert.equal(await runner.hasTable("resource_counts"), false);
        assert.equal(await runner.hasColumn("users", "name_family_name_norm"), false);
        await migration.up(runner);
      } finally {
        await runner.release();
      }
      const em = database().dataSource.manager;
      assert.deepEqual(
        [await resourceTotal(em, acme.id, "users"), await resourceTotal(em, acme.id, "groups"), await resourceTotal(em, globex.id, "users"), await resourceTotal(em, globex.id, "groups")],
        [3, 1, 1, 0]);
      const folded = await sql<{ user_name: string; norm: string | null }>(em, "SELECT user_name, name_family_name_norm AS norm FROM users ORDER BY user_name");
      assert.deepEqual(folded.map((r) => [r.user_name, r.norm]),
        [["a@acme.test", "ünal"], ["b@acme.test", "o'brien"], ["c@acme.test", null], ["d@globex.test", "smith"]]);
      // Kept from here on by the identity layer, in the writing transaction: creates and deletes of users and groups.
      const jones = await createUser(database(), globex.id, user("e@globex.test", "Jones"), system);
      const { group } = await createGroup(database(), globex.id, { displayName: "Ops" }, system);
      assert.deepEqual([await resourceTotal(em, globex.id, "users"), await resourceTotal(em, globex.id, "groups")], [2, 1]);
      await deleteUser(database(), globex.id, jones.id, system);
      await deleteGroup(database(), globex.id, group.id, system);
      assert.deepEqual([await resourceTotal(em, globex.id, "users"), await resourceTotal(em, globex.id, "groups")], [1, 0]);
      // A create that fails (userName taken) counts nothing.
      await assert.rejects(createUser(database(), globex.id, user("d@globex.test"), system));
      assert.equal(await resourceTotal(em, globex.id, "users"), 1);
    });
  });
}
