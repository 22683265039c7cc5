import { MigrationInterface, QueryRunner, Table } from "typeorm";
import { at, cascade, id, long, ref, serial, text } from "./columns.js";

export class Initial1764200000000 implements MigrationInterface {
  name = "Initial1764200000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({
      name: "organizations",
      columns: [id(), text("slug", 100, false), text("name", 200, false), at("created_at")],
      uniques: [{ name: "uq_organizations_slug", columnNames: ["slug"] }],
    }));

    await q.createTable(new Table({
      name: "scim_tokens",
      columns: [id(), ref("organization_id"), text("name", 200, false), text("prefix", 16, false),
        text("hash", 64, false), at("created_at"), at("last_used_at", true), at("revoked_at", true)],
      foreignKeys: [cascade("organization_id", "organizations")],
      indices: [{ name: "idx_scim_tokens_prefix", columnNames: ["prefix"] }],
    }));

    await q.createTable(new Table({
      name: "users",
      columns: [id(), ref("organization_id"), text("user_name", 512, false), text("user_name_norm", 512, false),
        text("external_id", 512), { name: "active", type: "boolean" }, text("source", 16, false),
        long("display_name"), long("name_formatted"), long("name_family_name"),
        long("name_given_name"), long("name_middle_name"), long("name_honorific_prefix"),
        long("name_honorific_suffix"), long("nick_name"), long("profile_url"), long("title"),
        long("user_type"), long("preferred_language"), long("locale"), long("timezone"),
        long("password_hash"), long("employee_number"), long("cost_center"),
        long("enterprise_organization"), long("division"), long("department"),
        long("manager_id"), { name: "version", type: "integer" }, at("created_at"), at("updated_at")],
      foreignKeys: [cascade("organization_id", "organizations")],
      indices: [
        { name: "uq_users_org_user_name", columnNames: ["organization_id", "user_name_norm"], isUnique: true },
        { name: "idx_users_org_external_id", columnNames: ["organization_id", "external_id"] },
        { name: "idx_users_org_created", columnNames: ["organization_id", "created_at", "id"] },
        { name: "idx_users_org_updated", columnNames: ["organization_id", "updated_at"] },
      ],
    }));

    await q.createTable(new Table({
      name: "user_values",
      columns: [serial(), ref("organization_id"), ref("user_id"), text("attribute", 32, false),
        { name: "position", type: "integer" }, { name: "value", type: "text", isNullable: true },
        text("value_norm", 512), long("display"), long("type"),
        { name: "primary", type: "boolean", isNullable: true }, long("formatted"), long("street_address"),
        long("locality"), long("region"), long("postal_code"), long("country")],
      foreignKeys: [cascade("user_id", "users")],
      indices: [
        { name: "idx_user_values_user", columnNames: ["user_id", "attribute", "position"] },
        { name: "idx_user_values_lookup", columnNames: ["organization_id", "attribute", "value_norm"] },
      ],
    }));

    await q.createTable(new Table({
      name: "groups",
      columns: [id(), ref("organization_id"), text("display_name", 512, false), text("display_name_norm", 512, false),
        text("external_id", 512), { name: "version", type: "integer" }, at("created_at"), at("updated_at")],
      foreignKeys: [cascade("organization_id", "organizations")],
      indices: [
        { name: "uq_groups_org_display_name", columnNames: ["organization_id", "display_name_norm"], isUnique: true },
        { name: "idx_groups_org_external_id", columnNames: ["organization_id", "external_id"] },
        { name: "idx_groups_org_created", columnNames: ["organization_id", "created_at", "id"] },
      ],
    }));

    await q.createTable(new Table({
      name: "group_members",
      columns: [{ ...ref("group_id"), isPrimary: true }, { ...ref("user_id"), isPrimary: true },
        ref("organization_id"), at("created_at")],
      foreignKeys: [cascade("group_id", "groups"), cascade("user_id", "users")],
      indices: [{ name: "idx_group_members_user", columnNames: ["user_id"] }],
    }));

    await q.createTable(new Table({
      name: "audit_events",
      columns: [serial(), ref("organization_id"), at("at"), text("actor_type", 32, false), text("actor_id", 64),
        text("action", 64, false), text("target_type", 32, false), text("target_id", 36),
        { name: "summary", type: "text" }],
      foreignKeys: [cascade("organization_id", "organizations")],
      indices: [
        { name: "idx_audit_events_org_at", columnNames: ["organization_id", "at"] },
        { name: "idx_audit_events_target", columnNames: ["organization_id", "target_type", "target_id"] },
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ["audit_events", "group_members", "groups", "user_values", "users", "scim_tokens", "organizations"]) {
      await q.dropTable(table);
    }
  }
}
