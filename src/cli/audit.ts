import { Command } from "commander";
import { listAuditEvents } from "../identity/audit.js";
import { organizationId, say, withDatabase } from "./context.js";

export function auditCommand(program: Command) {
  program.command("audit").requiredOption("--org <slug>", "organization").option("--target <id>", "only events about this id")
    .option("--action <action>", "e.g. user.deactivated").option("--limit <n>", "how many", "50").description("show audit events, oldest first")
    .action((opts: { org: string; target?: string; action?: string; limit: string }) => withDatabase(async (db) => {
      const events = await listAuditEvents(db.dataSource.manager, await organizationId(db, opts.org),
        { targetId: opts.target, action: opts.action, limit: Number(opts.limit) });
      for (const e of events) say(JSON.stringify(e));
    }));
}
