import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Database, openDatabase } from "../../src/db/database.js";
import { sql } from "../../src/db/sql.js";
import { databaseTargets } from "../support/databases.js";

/**
 * The Admin migration makes audit_events.organization_id nullable. That must keep the table's rows, indexes and
 * foreign key on both databases (TypeORM's changeColumn would drop and re-add the column on PostgreSQL), and the
 * way back must work too.
 */

const event = (db: Database, organizationId: string | null) => sql(db.dataSource.manager,
  `INSERT INTO audit_events (organization_id, at, actor_type, actor_id, action, target_type, target_id, summary)
   VALUES (:organizationId, '2026-01-01T00:00:00.000Z', 'system', NULL, 'test.event', 'organization', NULL, '{}')`, { organizationId });

async function indexes(db: Database): Promise<string[]> {
  const rows: { name: string }[] = db.dialect === "sqlite"
    ? await db.dataSource.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events' AND name LIKE 'idx_%'")
    : await db.dataSource.query("SELECT indexname AS name FROM pg_indexes WHERE tablename = 'audit_events' AND indexname LIKE 'idx_%'");
  return rows.map((r) => r.name).sort();
}

/** Undoes the migrations applied after Admin's and then Admin's own: the schema as it was before it. */
async function undoThroughAdmin(db: Database): Promise<void> {
  for (;;) {
    const [last] = await db.dataSource.query(`SELECT name FROM migrations ORDER BY "timestamp" DESC LIMIT 1`) as { name: string }[];
    await db.dataSource.undoLastMigration({ transaction: "each" });
    if (last.name === "Admin1764400000000") return;
  }
}

for (const target of await databaseTargets()) {
  describe(`Admin migration (${target.name})`, { skip: target.skip }, () => {
    it("keeps the audit log's rows, indexes and foreign key when it lets organization_id be null, and back", async () => {
      const { url, drop } = await target.create();
      const db = await openDatabase({ url });
      try {
        await undoThroughAdmin(db);
        await sql(db.dataSource.manager, "INSERT INTO organizations (id, slug, name, created_at) VALUES ('org-1', 'one', 'One', '2026-01-01T00:00:00.000Z')");
        await event(db, "org-1");
        await assert.rejects(event(db, null), "organization_id is required before the migration");

        await db.dataSource.runMigrations({ transaction: "each" });
        const [kept] = await db.dataSource.query("SELECT organization_id, action FROM audit_events");
        assert.deepEqual({ ...kept }, { organization_id: "org-1", action: "test.event" });
        assert.deepEqual(await indexes(db), ["idx_audit_events_org_at", "idx_audit_events_target"]);
        await event(db, null);
        await assert.rejects(event(db, "no-such-organization"), "the foreign key still holds");
        await sql(db.dataSource.manager, "DELETE FROM organizations WHERE id = 'org-1'");
        const [{ n }] = await db.dataSource.query("SELECT COUNT(*) AS n FROM audit_events WHERE organization_id = 'org-1'");
        assert.equal(Number(n), 0, "and still cascades");

        await event(db, null);
        await undoThroughAdmin(db);
        const [{ n: left }] = await db.dataSource.query("SELECT COUNT(*) AS n FROM audit_events");
        assert.equal(Number(left), 0, "instance-level events go with the way back");
        await assert.rejects(event(db, null));
        assert.deepEqual(await indexes(db), ["idx_audit_events_org_at", "idx_audit_events_target"]);
      } finally {
        await db.close();
        await drop();
      }
    });
  });
}
