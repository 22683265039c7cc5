import { randomBytes } from "node:crypto";
import { Command } from "commander";
import { AdminAccountInfo, createAdminAccount, findAdminAccount, listAdminAccounts, setAdminAccountDisabled } from "../identity/admins.js";
import { createApiToken } from "../identity/api-tokens.js";
import { Database } from "../db/database.js";
import { IdentityError } from "../identity/errors.js";
import { actor, organizationId, print, say, secretArgument, withDatabase } from "./context.js";

async function account(db: Database, email: string): Promise<AdminAccountInfo> {
  const found = await findAdminAccount(db, email);
  if (!found) throw new IdentityError("notFound", `no admin account "${email}"; list them with: npm run cli -- admin list`);
  return found;
}

export function adminCommands(program: Command) {
  const admin = program.command("admin").description("built-in admin accounts (operators and organization admins)");
  admin.command("create").requiredOption("--email <email>", "login email").option("--name <name>", "display name")
    .option("--org <slug>", "an admin of this organization").option("--operator", "an instance operator (every organization)")
    .option("--password <password>", "the password, or - to read it from stdin; generated and printed once if left out")
    .description("create an admin account")
    .action((opts: { email: string; name?: string; org?: string; operator?: boolean; password?: string }) => withDatabase(async (db) => {
      if (Boolean(opts.org) === Boolean(opts.operator)) throw new Error("give either --org <slug> (an organization's admin) or --operator");
      const password = opts.password ? await secretArgument(opts.password) : randomBytes(18).toString("base64url");
      const created = await createAdminAccount(db, {
        email: opts.email, name: opts.name ?? opts.email, password, organizationId: opts.org ? await organizationId(db, opts.org) : null,
        oneTimePassword: !opts.password,
      }, actor);
      say(`created ${created.role} ${created.email} (${created.id})`);
      if (!opts.password) say(`password (shown once): ${password}\nit is a one-time password: the console asks for a new one at the first sign-in`);
    }));
  admin.command("list").option("--org <slug>", "only this organization's admins").description("list admin accounts")
    .action((opts: { org?: string }) => withDatabase(async (db) => {
      const accounts = await listAdminAccounts(db, opts.org ? await organizationId(db, opts.org) : undefined);
      print(accounts.map(({ id, email, role, organizationId: org, lastLoginAt, disabledAt }) => ({ id, email, role, organization: org, lastLoginAt, disabledAt })));
    }));
  for (const [verb, disabled] of [["disable", true], ["enable", false]] as const) {
    admin.command(`${verb} <email>`).description(disabled ? "disable an account: its sessions end and its API tokens stop working" : "enable a disabled account")
      .action((email: string) => withDatabase(async (db) => {
        await setAdminAccountDisabled(db, (await account(db, email)).id, disabled, actor);
        say(`${verb}d ${email}`);
      }));
  }

  program.command("api-token").description("personal API tokens of admin accounts, for the admin API")
    .command("create").requiredOption("--email <email>", "the admin account").option("--name <name>", "label", "cli")
    .description("create a personal API token; it is printed once and stored only as a hash")
    .action((opts: { email: string; name: string }) => withDatabase(async (db, config) => {
      const { token, info } = await createApiToken(db, (await account(db, opts.email)).id, { name: opts.name }, actor);
      say(`API token (shown once): ${token}\ntoken id: ${info.id}\nuse: curl -H "Authorization: Bearer <token>" ${config.baseUrl}/api/v1/auth/me`);
    }));
}
