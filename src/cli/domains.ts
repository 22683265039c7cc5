import { Command } from "commander";
import { checkDomain, claimDomain, deleteDomain, DomainRecord, listDomains, markDomainVerified, setDomainConnection } from "../identity/domains.js";
import { notFound } from "../identity/errors.js";
import { Database } from "../db/database.js";
import { actor, CommandFailed, organizationId, print, say, withDatabase } from "./context.js";

/** Domains: claim, publish the TXT record, verify. The CLI runs as an operator, so it may also mark one verified. */

async function domainNamed(db: Database, organization: string, name: string): Promise<DomainRecord> {
  const found = (await listDomains(db, organization)).find((d) => d.id === name || d.name === name.toLowerCase());
  if (!found) throw notFound("Domain", name);
  return found;
}

const state = (d: DomainRecord) => (d.verified ? `verified (${d.verifiedBy})` : d.checkError ? `not verified: ${d.checkError}` : "not verified");

export function domainCommands(program: Command) {
  const domain = program.command("domain").description("an organization's domains, verified by a DNS TXT record");
  domain.command("claim <name>").requiredOption("--org <slug>", "organization").description("claim a domain; prints the TXT record to publish")
    .action((name: string, opts: { org: string }) => withDatabase(async (db) => {
      const claimed = await claimDomain(db, await organizationId(db, opts.org), name, actor);
      say(`claimed ${claimed.name}: publish the TXT record\n  ${claimed.challengeName}  TXT  "${claimed.token}"\nthen run: npm run cli -- domain verify ${claimed.name} --org ${opts.org}`);
    }));
  domain.command("list").requiredOption("--org <slug>", "organization").description("list the organization's domains")
    .action((opts: { org: string }) => withDatabase(async (db) => {
      print((await listDomains(db, await organizationId(db, opts.org))).map((d) => ({
        name: d.name, state: state(d), record: `${d.challengeName} TXT ${d.token}`, connection: d.connectionId ?? "(default)", checkedAt: d.checkedAt,
      })));
    }));
  domain.command("verify <name>").requiredOption("--org <slug>", "organization").description("look the TXT record up now (DNS_SERVERS, DNS_TIMEOUT_MS)")
    .action((name: string, opts: { org: string }) => withDatabase(async (db, config) => {
      const org = await organizationId(db, opts.org);
      const checked = await checkDomain(db, org, (await domainNamed(db, org, name)).id, config.dns, actor);
      say(`${checked.name}: ${state(checked)}`);
      if (!checked.verified) throw new CommandFailed();
    }));
  domain.command("mark-verified <name>").requiredOption("--org <slug>", "organization")
    .description("mark a domain verified without DNS, once you have checked ownership another way (audited)")
    .action((name: string, opts: { org: string }) => withDatabase(async (db) => {
      const org = await organizationId(db, opts.org);
      say(`${state(await markDomainVerified(db, org, (await domainNamed(db, org, name)).id, actor))}`);
    }));
  domain.command("route <name> [connectionId]").requiredOption("--org <slug>", "organization")
    .description("send the domain's people to one connection (none: the organization's default)")
    .action((name: string, connectionId: string | undefined, opts: { org: string }) => withDatabase(async (db) => {
      const org = await organizationId(db, opts.org);
      const routed = await setDomainConnection(db, org, (await domainNamed(db, org, name)).id, connectionId ?? null, actor);
      say(`${routed.name} → ${routed.connectionId ?? "the default connection"}`);
    }));
  domain.command("delete <name>").requiredOption("--org <slug>", "organization").description("give up a domain")
    .action((name: string, opts: { org: string }) => withDatabase(async (db) => {
      const org = await organizationId(db, opts.org);
      await deleteDomain(db, org, (await domainNamed(db, org, name)).id, actor);
      say(`deleted ${name}`);
    }));
}
