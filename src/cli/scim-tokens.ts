import { Command } from "commander";
import { createScimToken, listScimTokens, revokeScimToken } from "../identity/scim-tokens.js";
import { SCIM_PREFIX } from "../scim/context.js";
import { actor, organizationId, print, say, withDatabase } from "./context.js";

export function scimTokenCommands(program: Command) {
  const token = program.command("token").description("SCIM bearer tokens");
  token.command("create").requiredOption("--org <slug>", "organization").option("--name <name>", "label", "scim")
    .description("create a SCIM token; it is printed once and stored only as a hash")
    .action((opts: { org: string; name: string }) => withDatabase(async (db, config) => {
      const { token: value, info } = await createScimToken(db, await organizationId(db, opts.org), { name: opts.name }, actor);
      say(`SCIM base URL: ${config.baseUrl}${SCIM_PREFIX}\nSCIM token (shown once): ${value}\ntoken id: ${info.id}`);
    }));
  token.command("list").requiredOption("--org <slug>", "organization").description("list tokens (never their values)")
    .action((opts: { org: string }) => withDatabase(async (db) => print(await listScimTokens(db, await organizationId(db, opts.org)))));
  token.command("revoke <tokenId>").requiredOption("--org <slug>", "organization").description("revoke a token at once")
    .action((tokenId: string, opts: { org: string }) => withDatabase(async (db) => {
      await revokeScimToken(db, await organizationId(db, opts.org), tokenId, actor);
      say(`revoked ${tokenId}`);
    }));
}
