#!/usr/bin/env node
import { Command } from "commander";
import { adminCommands } from "./admins.js";
import { auditCommand } from "./audit.js";
import { connectionCommands } from "./connections.js";
import { domainCommands } from "./domains.js";
import { failure } from "./context.js";
import { organizationCommands } from "./organizations.js";
import { scimTokenCommands } from "./scim-tokens.js";
import { setupLinkCommands } from "./setup-links.js";
import { teamCommands } from "./teams.js";

/**
 * `npm run cli -- <command>`: operator commands on the database named by DATABASE_URL. Every command calls the
 * same identity functions as the HTTP doors, so it writes the same audit events (actor `admin`, id `cli`).
 */
export function cli(): Command {
  const program = new Command("rollcall").description("Rollcall operator commands (database from DATABASE_URL)");
  for (const commands of [organizationCommands, scimTokenCommands, auditCommand, adminCommands, connectionCommands, domainCommands, teamCommands, setupLinkCommands]) {
    commands(program);
  }
  return program;
}

cli().parseAsync(process.argv).catch((err: unknown) => {
  console.error(`error: ${failure(err)}`);
  process.exitCode = 1;
});
