import { Command } from "commander";
import { createSetupLink, DEFAULT_SETUP_LINK_HOURS, SETUP_CAPABILITIES, setupLinkUrl } from "../identity/setup-links.js";
import { actor, organizationId, say, withDatabase } from "./context.js";

export function setupLinkCommands(program: Command) {
  program.command("setup-link").description("self-serve setup links for a customer's IT admin")
    .command("create").requiredOption("--org <slug>", "organization").option("--name <name>", "who it is for", "IT admin")
    .option("--hours <n>", "how long it works", String(DEFAULT_SETUP_LINK_HOURS))
    .option("--capabilities <list>", `what it may configure, comma-separated (${SETUP_CAPABILITIES.join(",")})`, SETUP_CAPABILITIES.join(","))
    .description("create a link that walks its holder through the organization's setup, limited to its capabilities; printed once")
    .action((opts: { org: string; name: string; hours: string; capabilities: string }) => withDatabase(async (db, config) => {
      const capabilities = opts.capabilities.split(",").map((c) => c.trim()).filter(Boolean);
      const { token, info } = await createSetupLink(db, await organizationId(db, opts.org), { name: opts.name, validHours: Number(opts.hours), capabilities }, actor);
      say(`setup link (shown once): ${setupLinkUrl(config.baseUrl, token)}\nmay configure: ${info.capabilities.join(", ")}\nexpires: ${info.expiresAt}\nlink id: ${info.id}`);
    }));
}
