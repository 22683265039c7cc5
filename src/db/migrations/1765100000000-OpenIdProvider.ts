import { MigrationInterface, QueryRunner, Table } from "typeorm";
import { at, long, text } from "./columns.js";

/**
 * Rollcall as an OpenID Provider for apps: the apps registered as clients, the OP's signing keys, and oidc-provider's
 * own records (sessions, interactions, codes, tokens, grants) in a table every replica shares. A client pinned to a
 * connection keeps no foreign key to it: a deleted connection makes its logins fail with a reason, not the app vanish.
 */
export class OpenIdProvider1765100000000 implements MigrationInterface {
  name = "OpenIdProvider1765100000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({
      name: "op_clients",
      columns: [
        text("id", 64, false), text("name", 200, false), text("auth_method", 32, false), text("secret_hash", 64), long("jwks"),
        long("redirect_uris"), long("post_logout_redirect_uris"), long("organization_ids"), text("connection_id", 36),
        long("backchannel_logout_uri"), { name: "refresh_tokens", type: "boolean" }, at("created_at"), at("updated_at"),
      ].map((c) => (c.name === "id" ? { ...c, isPrimary: true } : c)),
    }));

    await q.createTable(new Table({
      name: "op_signing_keys",
      columns: [
        { ...text("kid", 64, false), isPrimary: true }, text("alg", 16, false), long("public_jwk"), long("private_jwk"),
        at("created_at"), at("activates_at"), at("retired_at", true),
      ],
    }));

    // One row per oidc-provider record: (model, id) as its adapters key them; the columns beside the payload are the
    // ones it looks records up by (grant, interaction uid) and the account, so that ending a user's sessions can
    // delete every token of the user in the same transaction.
    await q.createTable(new Table({
      name: "op_records",
      columns: [
        { ...text("model", 40, false), isPrimary: true }, { ...text("id", 200, false), isPrimary: true }, long("payload"),
        text("grant_id", 200), text("uid", 200), text("account_id", 36), at("expires_at", true), at("consumed_at", true),
      ],
      indices: [
        { name: "idx_op_records_grant", columnNames: ["grant_id"] },
        { name: "idx_op_records_uid", columnNames: ["uid"] },
        { name: "idx_op_records_account", columnNames: ["account_id"] },
        { name: "idx_op_records_expires", columnNames: ["expires_at"] },
      ],
    }));

    // Back-channel logout tokens to send, one row per app and user, retried until delivered or given up.
    await q.createTable(new Table({
      name: "op_logout_deliveries",
      columns: [
        { ...text("id", 36, false), isPrimary: true }, text("client_id", 64, false), text("user_id", 36, false),
        text("organization_id", 36, false), text("event_id", 36, false), { name: "attempts", type: "integer" },
        at("next_attempt_at"), at("created_at"), at("delivered_at", true), at("given_up_at", true), text("last_error", 500),
      ],
      indices: [
        { name: "uq_op_logout_deliveries_event", columnNames: ["event_id", "client_id"], isUnique: true },
        { name: "idx_op_logout_deliveries_due", columnNames: ["next_attempt_at"] },
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ["op_logout_deliveries", "op_records", "op_signing_keys", "op_clients"]) await q.dropTable(table);
  }
}
