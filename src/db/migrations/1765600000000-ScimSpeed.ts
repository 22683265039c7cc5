import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from "typeorm";
import { foldedPrefix } from "../../identity/text.js";
import { cascade, long, ref, text } from "./columns.js";

/**
 * What makes SCIM lists cheap at size (docs/benchmarks.md):
 * - `resource_counts`: users and groups per organization, so an unfiltered list does not COUNT(*) the organization;
 *   filled here from what exists.
 * - `users.name_family_name_norm`: name.familyName folded, indexed, so `sw` is an index range; filled here.
 * - `idx_users_org_updated` gains created_at and id: lists filtered on meta.lastModified are ordered by it
 *   (incremental syncs), and the index then gives that order without a sort.
 */
export class ScimSpeed1765600000000 implements MigrationInterface {
  name = "ScimSpeed1765600000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({
      name: "resource_counts",
      columns: [{ ...ref("organization_id"), isPrimary: true }, { ...text("resource", 16, false), isPrimary: true },
        { name: "shard", type: "integer", isPrimary: true }, { name: "n", type: "integer" }],
      foreignKeys: [cascade("organization_id", "organizations")],
    }));
    for (const resource of ["users", "groups"]) {
      await q.query(`INSERT INTO resource_counts (organization_id, resource, shard, n)
        SELECT organization_id, '${resource}', 0, COUNT(*) FROM ${resource} GROUP BY organization_id`);
    }
    await q.addColumn("users", new TableColumn(long("name_family_name_norm")));
    await foldFamilyNames(q);
    await q.createIndex("users", new TableIndex({ name: "idx_users_org_family_name", columnNames: ["organization_id", "name_family_name_norm"] }));
    await q.dropIndex("users", "idx_users_org_updated");
    await q.createIndex("users", new TableIndex({ name: "idx_users_org_updated", columnNames: ["organization_id", "updated_at", "created_at", "id"] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex("users", "idx_users_org_updated");
    await q.createIndex("users", new TableIndex({ name: "idx_users_org_updated", columnNames: ["organization_id", "updated_at"] }));
    await q.dropIndex("users", "idx_users_org_family_name");
    await q.dropColumn("users", "name_family_name_norm");
    await q.dropTable("resource_counts");
  }
}

/** foldedPrefix is JavaScript (foldCase: NFC, then Unicode lower case), so the folded copies are written from here, 500 rows a statement. */
async function foldFamilyNames(q: QueryRunner): Promise<void> {
  const postgres = q.connection.driver.options.type === "postgres";
  const bind = (i: number) => (postgres ? `$${i}` : "?");
  let after = "";
  for (;;) {
    const rows: { id: string; name: string }[] = await q.query(
      `SELECT id, name_family_name AS name FROM users WHERE id > ${bind(1)} AND name_family_name IS NOT NULL ORDER BY id LIMIT 500`, [after]);
    if (rows.length === 0) return;
    const tuples = rows.map((_, i) => `(${bind(2 * i + 1)}, ${bind(2 * i + 2)})`).join(", ");
    await q.query(`UPDATE users SET name_family_name_norm = v.column2 FROM (VALUES ${tuples}) AS v WHERE users.id = v.column1`,
      rows.flatMap((r) => [r.id, foldedPrefix(r.name)]));
    after = rows[rows.length - 1].id;
  }
}
