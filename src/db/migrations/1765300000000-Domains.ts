import { MigrationInterface, QueryRunner, Table, TableColumn } from "typeorm";
import { at, cascade, id, ref, text } from "./columns.js";

/**
 * Verified domains and several connections per organization. An organization claims a domain and proves it with a
 * DNS TXT record; `verified_name` is the domain while it is verified and NULL otherwise, so its unique index lets
 * many organizations claim a name but only one hold it verified (both databases allow repeated NULLs in a unique
 * index). A domain may name the connection its people sign in with. Connections get a default flag and the opt-in
 * for users outside the organization's verified domains; a team mapping may be limited to one connection, and a
 * user remembers which connection its groups claim came from.
 */
export class Domains1765300000000 implements MigrationInterface {
  name = "Domains1765300000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({
      name: "domains",
      columns: [id(), ref("organization_id"), text("name", 253, false), text("verified_name", 253),
        text("token", 64, false), { ...ref("connection_id"), isNullable: true },
        text("verified_by", 16), at("verified_at", true), at("checked_at", true), text("check_error", 500), at("created_at")],
      foreignKeys: [cascade("organization_id", "organizations")],
      indices: [
        { name: "uq_domains_org_name", columnNames: ["organization_id", "name"], isUnique: true },
        { name: "uq_domains_verified_name", columnNames: ["verified_name"], isUnique: true },
      ],
    }));
    await q.addColumn("connections", new TableColumn({ name: "is_default", type: "boolean", default: false }));
    await q.addColumn("connections", new TableColumn({ name: "allow_other_domains", type: "boolean", default: false }));
    await q.addColumn("team_mappings", new TableColumn({ ...ref("connection_id"), isNullable: true }));
    await q.addColumn("users", new TableColumn({ ...ref("login_connection_id"), isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn("users", "login_connection_id");
    await q.dropColumn("team_mappings", "connection_id");
    await q.dropColumn("connections", "allow_other_domains");
    await q.dropColumn("connections", "is_default");
    await q.dropTable("domains");
  }
}
