import { Command } from "commander";
import { Database } from "../db/database.js";
import { IdentityError } from "../identity/errors.js";
import { createTeam, deleteTeam, listTeams, replaceTeamMappings, TeamRecord } from "../identity/teams.js";
import { foldCase } from "../identity/text.js";
import { actor, list, organizationId, print, say, withDatabase } from "./context.js";

/** A team named by its id or its name (case-insensitively). */
async function team(db: Database, organization: string, idOrName: string): Promise<TeamRecord> {
  const found = (await listTeams(db, organization)).find((t) => t.id === idOrName || foldCase(t.name) === foldCase(idOrName));
  if (!found) throw new IdentityError("notFound", `no team "${idOrName}"; list them with: npm run cli -- team list --org <slug>`);
  return found;
}

export function teamCommands(program: Command) {
  const teams = program.command("team").description("teams and the roles they grant");
  teams.command("create <name>").requiredOption("--org <slug>", "organization").option("--roles <list>", "comma-separated role names", "")
    .description("create a team")
    .action((name: string, opts: { org: string; roles: string }) => withDatabase(async (db) => {
      const created = await createTeam(db, await organizationId(db, opts.org), { name, roles: list(opts.roles) }, actor);
      say(`created team ${created.name} (${created.id})`);
    }));
  teams.command("list").requiredOption("--org <slug>", "organization").description("list teams with their roles and mapped groups")
    .action((opts: { org: string }) => withDatabase(async (db) => print((await listTeams(db, await organizationId(db, opts.org))).map((t) =>
      ({ id: t.id, name: t.name, roles: t.roles.join(", "), groups: t.mappings.map((m) => m.idpGroup).join(", ") })))));
  teams.command("delete <team>").requiredOption("--org <slug>", "organization").description("delete a team (id or name)")
    .action((name: string, opts: { org: string }) => withDatabase(async (db) => {
      const organization = await organizationId(db, opts.org);
      const found = await team(db, organization, name);
      await deleteTeam(db, organization, found.id, actor);
      say(`deleted team ${found.name}`);
    }));

  program.command("mapping").description("IdP group → team mappings")
    .command("set <team> [groups...]").requiredOption("--org <slug>", "organization")
    .description("replace the IdP groups mapped to a team (none: clear them); members' teams follow at once")
    .action((name: string, groups: string[], opts: { org: string }) => withDatabase(async (db) => {
      const organization = await organizationId(db, opts.org);
      const updated = await replaceTeamMappings(db, organization, (await team(db, organization, name)).id, groups.map((idpGroup) => ({ idpGroup })), actor);
      say(`${updated.name} ← ${updated.mappings.map((m) => m.idpGroup).join(", ") || "(no groups)"}`);
    }));
}
