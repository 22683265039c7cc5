import { MigrationInterface, QueryRunner, TableColumn } from "typeorm";
import { at, text } from "./columns.js";

/**
 * Setup links carry what they may do (`capabilities`: a comma-separated subset of sso, scim, domains, mappings;
 * links made before this migration could open SSO, SCIM and domains, so they keep exactly that) and when the IT
 * admin finished the setup portal (`completed_at`).
 */
export class SetupPortal1765500000000 implements MigrationInterface {
  name = "SetupPortal1765500000000";

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns("setup_links", [
      new TableColumn({ ...text("capabilities", 100, false), default: "'sso,scim,domains'" }),
      new TableColumn(at("completed_at", true)),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn("setup_links", "completed_at");
    await q.dropColumn("setup_links", "capabilities");
  }
}
