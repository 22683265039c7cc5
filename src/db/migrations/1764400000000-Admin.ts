import { MigrationInterface, QueryRunner, Table, TableColumn } from "typeorm";
import { at, cascade, id, long, ref, text } from "./columns.js";

/** Built-in admin accounts, their personal API tokens, and self-serve setup links for a customer's IT admin. */
export class Admin1764400000000 implements MigrationInterface {
  name = "Admin1764400000000";

  async up(q: QueryRunner): Promise<void> {
    // `organization_id` NULL: an instance operator, who administers every organization.
    await q.createTable(new Table({
      name: "admin_accounts",
      columns: [id(), { ...ref("organization_id"), isNullable: true }, text("email", 320, false), text("email_norm", 320, false),
        text("name", 200, false), long("password_hash"), text("role", 16, false), at("created_at"), at("last_login_at", true),
        at("disabled_at", true)],
      foreignKeys: [cascade("organization_id", "organizations")],
      indices: [
        { name: "uq_admin_accounts_email", columnNames: ["email_norm"], isUnique: true },
        { name: "idx_admin_accounts_org", columnNames: ["organization_id"] },
      ],
    }));

    await q.createTable(new Table({
      name: "api_tokens",
      columns: [id(), ref("admin_id"), text("name", 200, false), text("prefix", 16, false), text("hash", 64, false),
        at("created_at"), at("last_used_at", true), at("revoked_at", true)],
      foreignKeys: [cascade("admin_id", "admin_accounts")],
      indices: [
        { name: "idx_api_tokens_prefix", columnNames: ["prefix"] },
        { name: "idx_api_tokens_admin", columnNames: ["admin_id"] },
      ],
    }));

    await q.createTable(new Table({
      name: "setup_links",
      columns: [id(), ref("organization_id"), text("name", 200, false), text("prefix", 16, false), text("hash", 64, false),
        text("created_by", 64), at("created_at"), at("expires_at"), at("revoked_at", true)],
      foreignKeys: [cascade("organization_id", "organizations")],
      indices: [
        { name: "idx_setup_links_prefix", columnNames: ["prefix"] },
        { name: "idx_setup_links_org", columnNames: ["organization_id"] },
      ],
    }));

    // Changes to operator accounts (and their tokens) belong to no organization: their audit events have none.
    await auditOrganizationRequired(q, false);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query("DELETE FROM audit_events WHERE organization_id IS NULL");
    await auditOrganizationRequired(q, true);
    for (const table of ["setup_links", "api_tokens", "admin_accounts"]) await q.dropTable(table);
  }
}

/**
 * PostgreSQL alters the constraint in place; TypeORM's changeColumn would drop and re-add the column there, losing
 * its values, indexes and foreign key. SQLite cannot alter a column, so TypeORM rebuilds the table, keeping all three.
 */
async function auditOrganizationRequired(q: QueryRunner, required: boolean): Promise<void> {
  if (q.connection.driver.options.type === "postgres") {
    await q.query(`ALTER TABLE audit_events ALTER COLUMN organization_id ${required ? "SET" : "DROP"} NOT NULL`);
  } else {
    await q.changeColumn("audit_events", "organization_id", new TableColumn({ ...ref("organization_id"), isNullable: !required }));
  }
}
