import { Command } from "commander";
import { createOrganization, listOrganizations } from "../identity/organizations.js";
import { setTeamMappingMode, TeamMappingMode } from "../identity/teams.js";
import { actor, organizationId, print, say, withDatabase } from "./context.js";

export function organizationCommands(program: Command) {
  const org = program.command("org").description("organizations (tenants)");
  org.command("create <slug>").option("--name <name>", "display name").description("create an organization")
    .action((slug: string, opts: { name?: string }) => withDatabase(async (db) => {
      const created = await createOrganization(db, { slug, name: opts.name ?? slug }, actor);
      say(`created organization ${created.slug} (${created.id})`);
    }));
  org.command("list").description("list organizations")
    .action(() => withDatabase(async (db) => print((await listOrganizations(db)).map(({ id, slug, name, teamMappingMode, createdAt }) =>
      ({ id, slug, name, teamMappingMode, createdAt })))));
  org.command("mode <mode>").requiredOption("--org <slug>", "organization")
    .description("idp: the IdP's groups decide teams (through mappings); manual: admins assign teams")
    .action((mode: TeamMappingMode, opts: { org: string }) => withDatabase(async (db) => {
      await setTeamMappingMode(db, await organizationId(db, opts.org), mode, actor);
      say(`${opts.org}: team mapping mode ${mode}`);
    }));
}
