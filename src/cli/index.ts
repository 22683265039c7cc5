import { Command } from "commander";
import { loadConfig } from "../config.js";
import { Database, openDatabase } from "../db/database.js";
import { listAuditEvents } from "../identity/audit.js";
import { IdentityError } from "../identity/errors.js";
import { createOrganization, findOrganizationBySlug, listOrganizations } from "../identity/organizations.js";
import { Actor } from "../identity/records.js";
import { createScimToken, listScimTokens, revokeScimToken } from "../identity/scim-tokens.js";
import { SCIM_PREFIX } from "../scim/context.js";

/**
 * `npm run cli -- <command>`: operator commands on the database named by DATABASE_URL. Every command calls the
 * same identity functions as the HTTP doors, so it writes the same audit events.
 */
const actor: Actor = { type: "admin", id: "cli" };

async function withDatabase<T>(fn: (db: Database, baseUrl: string) => Promise<T>): Promise<T> {
  const { config } = loadConfig();
  const db = await openDatabase({ url: config.databaseUrl });
  try {
    return await fn(db, config.baseUrl);
  } finally {
    await db.close();
  }
}

async function organizationId(db: Database, slug: string): Promise<string> {
  const org = await findOrganizationBySlug(db, slug);
  if (!org) throw new IdentityError("notFound", `no organization "${slug}"; list them with: npm run cli -- org list`);
  return org.id;
}

const print = (rows: object[]) => (rows.length ? console.table(rows) : console.log("(none)"));

export function cli(): Command {
  const program = new Command("rollcall").description("Rollcall operator commands (database from DATABASE_URL)");

  const org = program.command("org").description("organizations (tenants)");
  org.command("create <slug>").option("--name <name>", "display name").description("create an organization")
    .action((slug: string, opts: { name?: string }) => withDatabase(async (db) => {
      const created = await createOrganization(db, { slug, name: opts.name ?? slug }, actor);
      console.log(`created organization ${created.slug} (${created.id})`);
    }));
  org.command("list").description("list organizations")
    .action(() => withDatabase(async (db) => print((await listOrganizations(db)).map(({ id, slug, name, createdAt }) => ({ id, slug, name, createdAt })))));

  const token = program.command("token").description("SCIM bearer tokens");
  token.command("create").requiredOption("--org <slug>", "organization").option("--name <name>", "label", "scim")
    .description("create a SCIM token; it is printed once and stored only as a hash")
    .action((opts: { org: string; name: string }) => withDatabase(async (db, baseUrl) => {
      const { token: value, info } = await createScimToken(db, await organizationId(db, opts.org), { name: opts.name }, actor);
      console.log(`SCIM base URL: ${baseUrl}${SCIM_PREFIX}\nSCIM token (shown once): ${value}\ntoken id: ${info.id}`);
    }));
  token.command("list").requiredOption("--org <slug>", "organization").description("list tokens (never their values)")
    .action((opts: { org: string }) => withDatabase(async (db) => print(await listScimTokens(db, await organizationId(db, opts.org)))));
  token.command("revoke <tokenId>").requiredOption("--org <slug>", "organization").description("revoke a token at once")
    .action((tokenId: string, opts: { org: string }) => withDatabase(async (db) => {
      await revokeScimToken(db, await organizationId(db, opts.org), tokenId, actor);
      console.log(`revoked ${tokenId}`);
    }));

  program.command("audit").requiredOption("--org <slug>", "organization").option("--target <id>", "only events about this id")
    .option("--action <action>", "e.g. user.deactivated").option("--limit <n>", "how many", "50").description("show audit events, oldest first")
    .action((opts: { org: string; target?: string; action?: string; limit: string }) => withDatabase(async (db) => {
      const events = await listAuditEvents(db.dataSource.manager, await organizationId(db, opts.org),
        { targetId: opts.target, action: opts.action, limit: Number(opts.limit) });
      for (const e of events) console.log(JSON.stringify(e));
    }));
  return program;
}

cli().parseAsync(process.argv).catch((err: unknown) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
