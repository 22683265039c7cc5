import { readFile } from "node:fs/promises";
import { Command } from "commander";
import { createConnection, deleteConnection, getConnection, listConnections, requiredSignatures, setConnectionEnabled, updateConnection } from "../identity/connections.js";
import { invalid, notFound } from "../identity/errors.js";
import { discardNextSpKey, promoteNextSpKey, publishNextSpKey } from "../identity/saml-keys.js";
import {
  connectionChangeFrom, connectionChangeSchema, connectionFormSchema, connectionInputFrom, publicConnection, type PublicConnection,
} from "../sso/connection-setup.js";
import { presetNames } from "../sso/presets.js";
import { actor, list, organizationId, print, say, secretArgument, withDatabase } from "./context.js";

/**
 * SSO connections. Options become the same form the admin API takes (connectionFormSchema), so presets, metadata and
 * validation work the same way; a new connection starts disabled.
 */

interface Common { org: string; name: string; loginPath: string; preset: string }
interface SamlOptions {
  metadataUrl?: string; metadataFile?: string; trustEmail?: boolean; signRequests?: boolean;
  allowSha1?: boolean; groupsDelimiter?: string; requiredSignature?: string;
}

function created(connection: ReturnType<typeof publicConnection>) {
  const lines = [`created ${connection.type} connection ${connection.name} (${connection.id}), disabled until enabled`,
    `  login URL: ${connection.loginUrl}`, `  ${connection.type === "oidc" ? "redirect URI" : "ACS URL"}: ${connection.callbackUrl}`];
  if (connection.spEntityId) lines.push(`  SP entity ID: ${connection.spEntityId}`, `  SP metadata: ${connection.spMetadataUrl}`);
  say(lines.join("\n"));
}

/** Validates the form, applies the preset, and creates the connection. */
const create = (opts: Common, form: Record<string, unknown>) => withDatabase(async (db, config) => {
  const parsed = connectionFormSchema.parse({ name: opts.name, loginPath: opts.loginPath, preset: opts.preset, ...form });
  const input = await connectionInputFrom(parsed, { allowInsecureIdp: config.allowInsecureIdp });
  created(publicConnection(await createConnection(db, config.secretKey, await organizationId(db, opts.org), input, actor), config.baseUrl));
});

const common = (command: Command) => command.requiredOption("--org <slug>", "organization").requiredOption("--name <name>", "display name")
  .requiredOption("--login-path <path>", "letters and digits: users sign in at /login/<path>")
  .option("--preset <preset>", `IdP defaults: ${presetNames.join(", ")}`, "generic");

export function connectionCommands(program: Command) {
  const connection = program.command("connection").description("SSO connections (OIDC, SAML)");
  common(connection.command("create-oidc")).requiredOption("--issuer <url>", "issuer (discovery) URL").requiredOption("--client-id <id>", "client id")
    .requiredOption("--client-secret <secret>", "client secret, or - to read it from stdin").option("--scopes <list>", "comma-separated; the preset's by default")
    .description("create an OpenID Connect connection")
    .action(async (opts: Common & { issuer: string; clientId: string; clientSecret: string; scopes?: string }) => create(opts, {
      type: "oidc",
      oidc: { issuerUrl: opts.issuer, clientId: opts.clientId, clientSecret: await secretArgument(opts.clientSecret), ...(opts.scopes ? { scopes: list(opts.scopes) } : {}) },
    }));
  common(connection.command("create-saml")).option("--metadata-url <url>", "the IdP's metadata URL (fetched now and daily)")
    .option("--metadata-file <path>", "the IdP's metadata XML, downloaded")
    .option("--trust-email", "link first logins to existing accounts by the IdP's email (only for a directory whose users cannot set their own address)")
    .option("--sign-requests", "sign AuthnRequests even if the IdP's metadata does not ask for it")
    .option("--allow-sha1", "accept RSA-SHA1 signatures: weak, only until the IdP signs with RSA-SHA256 (Auth0's and older OneLogin apps' default)")
    .option("--groups-delimiter <text>", "split each groups value on this (PingFederate: ,); the preset's by default")
    .option("--required-signature <which>", `${requiredSignatures.join(", ")}: any (default) accepts a valid signature on the Response or the Assertion`)
    .description("create a SAML 2.0 connection from the IdP's metadata")
    .action(async (opts: Common & SamlOptions) => create(opts, {
      type: "saml",
      saml: {
        idpMetadataUrl: opts.metadataUrl, idpMetadataXml: opts.metadataFile ? await readFile(opts.metadataFile, "utf8") : undefined,
        ...(opts.trustEmail ? { trustEmail: true } : {}),
        ...(opts.signRequests ? { signAuthnRequests: true } : {}),
        ...(opts.allowSha1 ? { allowSha1: true } : {}),
        ...(opts.groupsDelimiter !== undefined ? { groupsDelimiter: opts.groupsDelimiter } : {}),
        ...(opts.requiredSignature ? { requiredSignature: opts.requiredSignature } : {}),
      },
    }));
  connection.command("list").requiredOption("--org <slug>", "organization").description("list connections (never their secrets)")
    .action((opts: { org: string }) => withDatabase(async (db, config) => {
      const all = await listConnections(db, config.secretKey, await organizationId(db, opts.org));
      print(all.map((c) => publicConnection(c, config.baseUrl)).map(({ id, type, name, loginPath, enabled, preset, loginUrl }) => ({ id, type, name, loginPath, enabled, preset, loginUrl })));
    }));
  for (const [verb, enabled] of [["enable", true], ["disable", false]] as const) {
    connection.command(`${verb} <connectionId>`).requiredOption("--org <slug>", "organization")
      .description(enabled ? "enable a connection (one per organization at a time)" : "disable a connection")
      .action((id: string, opts: { org: string }) => withDatabase(async (db, config) => {
        await setConnectionEnabled(db, config.secretKey, await organizationId(db, opts.org), id, enabled, actor);
        say(`${verb}d ${id}`);
      }));
  }
  connection.command("sign-requests <connectionId> <on|off>").requiredOption("--org <slug>", "organization")
    .description("sign this SAML connection's AuthnRequests even if the IdP's metadata does not ask for it (on), or only when it does (off)")
    .action((id: string, value: string, opts: { org: string }) => withDatabase(async (db, config) => {
      if (value !== "on" && value !== "off") throw invalid('sign-requests takes "on" or "off"');
      const org = await organizationId(db, opts.org);
      const current = await getConnection(db, config.secretKey, org, id);
      if (!current) throw notFound("Connection", id);
      const change = await connectionChangeFrom(connectionChangeSchema.parse({ saml: { signAuthnRequests: value === "on" } }), current, config);
      const shown = publicConnection(await updateConnection(db, config.secretKey, org, id, change, actor), config.baseUrl);
      say(`AuthnRequests of ${id} are ${shown.saml!.authnRequestsSigned ? "signed" : "not signed"}` +
        (value === "off" && shown.saml!.authnRequestsSigned ? " (the IdP's metadata asks for it)" : ""));
    }));
  const spKey = connection.command("sp-key").description("a SAML connection's SP keys: rotation without downtime");
  spKey.command("list <connectionId>").requiredOption("--org <slug>", "organization").description("the SP certificates and their expiry")
    .action((id: string, opts: { org: string }) => withDatabase(async (db, config) => {
      const found = await getConnection(db, config.secretKey, await organizationId(db, opts.org), id);
      if (!found) throw notFound("Connection", id);
      printSpCertificates(publicConnection(found, config.baseUrl));
    }));
  for (const [verb, change, description] of [
    ["publish-next", publishNextSpKey, "publish a next SP key beside the current one (both in the SP metadata, both decrypt)"],
    ["promote", promoteNextSpKey, "make the next SP key the current one; the old one leaves the SP metadata"],
    ["discard-next", discardNextSpKey, "withdraw the next SP key"],
  ] as const) {
    spKey.command(`${verb} <connectionId>`).requiredOption("--org <slug>", "organization").description(description)
      .action((id: string, opts: { org: string }) => withDatabase(async (db, config) => {
        printSpCertificates(publicConnection(await change(db, config.secretKey, await organizationId(db, opts.org), id, actor), config.baseUrl));
      }));
  }
  connection.command("delete <connectionId>").requiredOption("--org <slug>", "organization").description("delete a connection")
    .action((id: string, opts: { org: string }) => withDatabase(async (db) => {
      await deleteConnection(db, await organizationId(db, opts.org), id, actor);
      say(`deleted ${id}`);
    }));
}

function printSpCertificates(connection: PublicConnection) {
  print((connection.saml?.spCertificates ?? []).map(({ state, notAfter, daysToExpiry, fingerprintSha256 }) => ({ state, notAfter, daysToExpiry, fingerprintSha256 })));
  say(`SP metadata (give it to the IdP after each change): ${connection.spMetadataUrl}`);
}
