import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openDatabase } from "../../src/db/database.js";
import { databaseTargets } from "../support/databases.js";

/**
 * The entities (entities/) and the migrations describe the same tables, columns and indexes: TypeORM's schema builder
 * finds nothing to change but the foreign keys, which only the migrations declare (the entities have no relations:
 * the identity core writes SQL, not object graphs). Checked on PostgreSQL, where the builder lists each difference
 * as its own statement; on SQLite it rebuilds whole tables for a foreign key, which would hide any other difference.
 */
const target = (await databaseTargets()).find((t) => t.name === "postgres")!;

describe("schema", { skip: target.skip }, () => {
  it("the migrated database is what the entities describe, foreign keys aside", async () => {
    const { url, drop } = await target.create();
    const db = await openDatabase({ url });
    try {
      const { upQueries } = await db.dataSource.driver.createSchemaBuilder().log();
      const differences = upQueries.map((q) => q.query).filter((q) => !/^ALTER TABLE "\w+" DROP CONSTRAINT "FK_\w+"$/.test(q));
      assert.deepEqual(differences, []);
      assert.ok(upQueries.length > 0, "the foreign keys of the migrations are there");
    } finally {
      await db.close();
      await drop();
    }
  });
});
