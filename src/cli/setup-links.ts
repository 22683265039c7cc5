import { Command } from "commander";
import { createSetupLink, DEFAULT_SETUP_LINK_HOURS, setupLinkUrl } from "../identity/setup-links.js";
import { actor, organizationId, say, withDatabase } from "./context.js";

export function setupLinkCommands(program: Command) {
  program.command("setup-link").description("self-serve setup links for a customer's IT admin")
    .command("create").requiredOption("--org <slug>", "organization").option("--name <name>", "who it is for", "IT admin")
    .option("--hours <n>", "how long it works", String(DEFAULT_SETUP_LINK_HOURS))
    .description("create a link that lets its holder configure the organization's SSO connection and SCIM tokens; printed once")
    .action((opts: { org: string; name: string; hours: string }) => withDatabase(async (db, config) => {
      const { token, info } = await createSetupLink(db, await organizationId(db, opts.org), { name: opts.name, validHours: Number(opts.hours) }, actor);
      say(`setup link (shown once): ${setupLinkUrl(config.baseUrl, token)}\nexpires: ${info.expiresAt}\nlink id: ${info.id}`);
    }));
}
