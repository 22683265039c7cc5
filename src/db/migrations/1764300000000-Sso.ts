import { MigrationInterface, QueryRunner, Table, TableColumn } from "typeorm";
import { at, cascade, id, long, ref, serial, text } from "./columns.js";

/** Teams, IdP-group mappings, SSO connections, linked IdP identities, browser sessions and SSO transactions. */
export class Sso1764300000000 implements MigrationInterface {
  name = "Sso1764300000000";

  async up(q: QueryRunner): Promise<void> {
    // `idp`: the IdP's groups decide a user's teams; `manual`: admins assign teams.
    await q.addColumn("organizations", new TableColumn({ name: "team_mapping_mode", type: "varchar", length: "16", default: "'idp'" }));
    // `claims`: groups come from the last login's token; `scim`: from SCIM group membership (set by the first SCIM group).
    await q.addColumn("organizations", new TableColumn({ name: "group_source", type: "varchar", length: "16", default: "'claims'" }));
    // The groups claim of the user's last SSO login (JSON array), for orgs whose groups come from claims.
    await q.addColumn("users", new TableColumn(long("login_groups")));

    await q.createTable(new Table({
      name: "teams",
      columns: [id(), ref("organization_id"), text("name", 200, false), text("name_norm", 200, false),
        long("description"), { name: "roles", type: "text" }, at("created_at"), at("updated_at")],
      foreignKeys: [cascade("organization_id", "organizations")],
      indices: [{ name: "uq_teams_org_name", columnNames: ["organization_id", "name_norm"], isUnique: true }],
    }));

    await q.createTable(new Table({
      name: "team_mappings",
      columns: [serial(), ref("organization_id"), ref("team_id"), text("idp_group", 512, false),
        text("idp_group_norm", 512, false), text("alias", 512), at("created_at")],
      foreignKeys: [cascade("team_id", "teams")],
      indices: [
        { name: "uq_team_mappings_team_group", columnNames: ["team_id", "idp_group_norm"], isUnique: true },
        { name: "idx_team_mappings_org_group", columnNames: ["organization_id", "idp_group_norm"] },
      ],
    }));

    await q.createTable(new Table({
      name: "team_memberships",
      columns: [{ ...ref("team_id"), isPrimary: true }, { ...ref("user_id"), isPrimary: true },
        { ...text("source", 16, false), isPrimary: true }, ref("organization_id"), at("created_at")],
      foreignKeys: [cascade("team_id", "teams"), cascade("user_id", "users")],
      indices: [
        { name: "idx_team_memberships_user", columnNames: ["user_id"] },
        // "Does this organization have derived memberships at all?", asked on every SCIM group write.
        { name: "idx_team_memberships_org_source", columnNames: ["organization_id", "source"] },
      ],
    }));

    await q.createTable(new Table({
      name: "connections",
      columns: [id(), ref("organization_id"), text("type", 8, false), text("name", 200, false),
        text("login_path", 64, false), text("login_path_norm", 64, false), { name: "enabled", type: "boolean" },
        text("preset", 32, false), { name: "settings", type: "text" }, { name: "version", type: "integer" },
        at("created_at"), at("updated_at")],
      foreignKeys: [cascade("organization_id", "organizations")],
      indices: [
        { name: "uq_connections_login_path", columnNames: ["login_path_norm"], isUnique: true },
        { name: "idx_connections_org", columnNames: ["organization_id"] },
      ],
    }));

    await q.createTable(new Table({
      name: "external_identities",
      columns: [id(), ref("organization_id"), ref("connection_id"), ref("user_id"), text("issuer", 512, false),
        text("subject", 512, false), at("created_at"), at("last_login_at")],
      foreignKeys: [cascade("connection_id", "connections"), cascade("user_id", "users")],
      indices: [
        { name: "uq_external_identities_key", columnNames: ["connection_id", "issuer", "subject"], isUnique: true },
        { name: "idx_external_identities_user", columnNames: ["user_id"] },
      ],
    }));

    await q.createTable(new Table({
      name: "sessions",
      columns: [{ ...text("sid", 64, false), isPrimary: true }, text("organization_id", 36), text("user_id", 36),
        text("principal_type", 16), at("expires_at"), at("created_at"), { name: "data", type: "text" }],
      indices: [
        { name: "idx_sessions_user", columnNames: ["user_id"] },
        { name: "idx_sessions_expires", columnNames: ["expires_at"] },
      ],
    }));

    // Short-lived, single-use state shared by replicas: SAML request ids (InResponseTo), stashed ACS posts.
    await q.createTable(new Table({
      name: "sso_transactions",
      columns: [{ ...text("key", 200, false), isPrimary: true }, text("connection_id", 36),
        { name: "data", type: "text" }, at("expires_at")],
      indices: [{ name: "idx_sso_transactions_expires", columnNames: ["expires_at"] }],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ["sso_transactions", "sessions", "external_identities", "connections", "team_memberships",
      "team_mappings", "teams"]) {
      await q.dropTable(table);
    }
    await q.dropColumn("users", "login_groups");
    await q.dropColumn("organizations", "group_source");
    await q.dropColumn("organizations", "team_mapping_mode");
  }
}
