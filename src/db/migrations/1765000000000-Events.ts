import { MigrationInterface, QueryRunner, Table } from "typeorm";
import { at, cascade, id, ref, serial, text } from "./columns.js";

/**
 * The lifecycle-event outbox (src/identity/events/): `events`, written in the transaction of each change, and
 * `event_consumers`, the cursor of each reader that works through them in order (webhook fan-out, back-channel logout);
 * webhook endpoints and their deliveries (src/apps/webhooks/).
 */
export class Events1765000000000 implements MigrationInterface {
  name = "Events1765000000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({
      name: "events",
      columns: [
        { name: "seq", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
        text("id", 36, false),
        // PostgreSQL: the writing transaction's id (outbox.ts explains why readers order by it); SQLite: 0.
        { name: "tx_id", type: "bigint" },
        { ...text("organization_id", 36), isNullable: true }, text("type", 64, false), text("subject_id", 36),
        text("actor_type", 32, false), text("actor_id", 64), text("request_id", 128), at("at"), { name: "data", type: "text" },
      ],
      foreignKeys: [cascade("organization_id", "organizations")],
      indices: [
        { name: "uq_events_id", columnNames: ["id"], isUnique: true },
        { name: "idx_events_order", columnNames: ["tx_id", "seq"] },
        { name: "idx_events_org_order", columnNames: ["organization_id", "tx_id", "seq"] },
        { name: "idx_events_at", columnNames: ["at"] },
      ],
    }));
    await q.createTable(new Table({
      name: "event_consumers",
      columns: [{ ...text("name", 64, false), isPrimary: true }, { name: "tx_id", type: "bigint" }, { name: "seq", type: "integer" }, at("updated_at")],
    }));
    await q.createTable(new Table({
      name: "webhook_endpoints",
      columns: [id(), { ...ref("organization_id"), isNullable: true }, text("url", 2048, false), text("description", 200),
        { name: "event_types", type: "text" }, { name: "secret", type: "text" }, { name: "enabled", type: "boolean" },
        text("disabled_reason", 500), at("created_at"), at("updated_at")],
      foreignKeys: [cascade("organization_id", "organizations")],
      indices: [{ name: "idx_webhook_endpoints_org", columnNames: ["organization_id"] }],
    }));
    await q.createTable(new Table({
      name: "webhook_deliveries",
      columns: [serial(), ref("endpoint_id"), text("event_id", 36, false), { ...ref("organization_id"), isNullable: true }, text("subject_id", 36),
        text("status", 16, false), { name: "attempts", type: "integer" }, at("next_attempt_at"), at("leased_until", true),
        at("last_attempt_at", true), { name: "response_status", type: "integer", isNullable: true }, text("last_error", 500), at("created_at")],
      foreignKeys: [cascade("endpoint_id", "webhook_endpoints")],
      indices: [
        { name: "idx_webhook_deliveries_due", columnNames: ["status", "next_attempt_at"] },
        { name: "idx_webhook_deliveries_subject", columnNames: ["endpoint_id", "subject_id", "id"] },
        { name: "idx_webhook_deliveries_endpoint", columnNames: ["endpoint_id", "id"] },
        { name: "idx_webhook_deliveries_created", columnNames: ["created_at"] },
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ["webhook_deliveries", "webhook_endpoints", "event_consumers", "events"]) await q.dropTable(table);
  }
}
