import { Command } from "commander";
import { listSigningKeys, rotateSigningKeys } from "../identity/op-keys.js";
import { ClientAuthMethod, createOpClient, deleteOpClient, listOpClients, OpClientInput, rotateOpClientSecret, updateOpClient } from "../identity/op-clients.js";
import { actor, list, organizationId, print, say, withDatabase } from "./context.js";

/** Apps that sign in through Rollcall's OpenID Provider, and the provider's signing keys. */

interface AppOptions {
  name?: string; redirectUri?: string; postLogoutRedirectUri?: string; orgs?: string; connection?: string;
  backchannelLogoutUri?: string; refreshTokens?: boolean; authMethod?: ClientAuthMethod;
}

const appOptions = (command: Command) => command
  .option("--redirect-uri <urls>", "comma-separated redirect URIs of the app")
  .option("--post-logout-redirect-uri <urls>", "comma-separated URLs the app may return to after signing out")
  .option("--orgs <slugs>", "comma-separated organizations whose users may sign in (default: all)")
  .option("--connection <id>", "always sign in through this SSO connection")
  .option("--backchannel-logout-uri <url>", "where Rollcall posts logout tokens")
  .option("--refresh-tokens", "give the app refresh tokens");

async function inputFrom(db: Parameters<typeof organizationId>[0], opts: AppOptions): Promise<Partial<OpClientInput>> {
  const orgs = opts.orgs === undefined ? undefined : await Promise.all(list(opts.orgs).map((slug) => organizationId(db, slug)));
  return {
    ...(opts.name !== undefined && { name: opts.name }),
    ...(opts.redirectUri !== undefined && { redirectUris: list(opts.redirectUri) }),
    ...(opts.postLogoutRedirectUri !== undefined && { postLogoutRedirectUris: list(opts.postLogoutRedirectUri) }),
    ...(orgs !== undefined && { organizationIds: orgs }),
    ...(opts.connection !== undefined && { connectionId: opts.connection }),
    ...(opts.backchannelLogoutUri !== undefined && { backchannelLogoutUri: opts.backchannelLogoutUri }),
    ...(opts.refreshTokens !== undefined && { refreshTokens: opts.refreshTokens }),
  };
}

export function appCommands(program: Command) {
  const app = program.command("app").description("apps that sign people in through Rollcall (OpenID Connect clients)");
  appOptions(app.command("create").requiredOption("--name <name>", "display name"))
    .option("--auth-method <method>", "client_secret_basic, client_secret_post or private_key_jwt (then register keys with the admin API)", "client_secret_basic")
    .description("register an app; its client secret is printed once")
    .action((opts: AppOptions) => withDatabase(async (db, config) => {
      const input = await inputFrom(db, opts);
      const { client, secret } = await createOpClient(db, { ...input, name: opts.name!, redirectUris: input.redirectUris ?? [], authMethod: opts.authMethod }, actor);
      say([`registered app ${client.name}`, `  issuer: ${config.baseUrl}`, `  client_id: ${client.clientId}`,
        ...(secret ? [`  client_secret (shown once): ${secret}`] : [])].join("\n"));
    }));
  appOptions(app.command("update <clientId>").option("--name <name>", "display name")).option("--all-orgs", "open the app to every organization")
    .description("change an app's settings")
    .action((clientId: string, opts: AppOptions & { allOrgs?: boolean }) => withDatabase(async (db) => {
      const change = await inputFrom(db, opts);
      await updateOpClient(db, clientId, opts.allOrgs ? { ...change, organizationIds: null } : change, actor);
      say(`updated app ${clientId}`);
    }));
  app.command("list").description("list registered apps").action(() => withDatabase(async (db) => {
    print((await listOpClients(db)).map((c) => ({
      clientId: c.clientId, name: c.name, authMethod: c.authMethod, redirectUris: c.redirectUris.join(" "),
      organizations: c.organizationIds?.length ?? "all", refreshTokens: c.refreshTokens,
    })));
  }));
  app.command("rotate-secret <clientId>").description("replace an app's client secret at once; printed once")
    .action((clientId: string) => withDatabase(async (db) => say(`client_secret (shown once): ${await rotateOpClientSecret(db, clientId, actor)}`)));
  app.command("delete <clientId>").description("remove an app").action((clientId: string) => withDatabase(async (db) => {
    await deleteOpClient(db, clientId, actor);
    say(`deleted app ${clientId}`);
  }));

  const keys = program.command("keys").description("the OpenID Provider's signing keys");
  keys.command("list").description("list signing keys").action(() => withDatabase(async (db) => print(await listSigningKeys(db))));
  keys.command("rotate").description("publish a new ES256 and RS256 pair now; it signs a minute later, the old pair stays published a day")
    .action(() => withDatabase(async (db, config) => print(await rotateSigningKeys(db, config.secretKey, actor))));
}
