import { randomBytes, randomUUID } from "node:crypto";
import { domainToASCII } from "node:url";
import { Logger } from "pino";
import { EntityManager, IsNull, LessThan, Not, Or } from "typeorm";
import { Connection, Domain } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { recordAudit } from "./audit.js";
import { DnsOptions, lookupTxt } from "./dns-txt.js";
import { invalid, notFound, uniquely } from "./errors.js";
import { Actor } from "./records.js";
import { timestamp } from "./text.js";

/**
 * The domains an organization owns. A claimed domain counts for nothing until verified: by the TXT record
 * `_rollcall-challenge.<domain>` holding the domain's token, or by an operator's word. Verified domains route
 * `/login` (login-routing.ts) and bound whom the organization's IdPs may claim (sign-in.ts). One organization only
 * may hold a domain verified (unique index on `verified_name`); DNS-verified domains are checked again daily and
 * lose their verification when the record is gone.
 */

export const CHALLENGE_PREFIX = "_rollcall-challenge.";

export interface DomainRecord {
  id: string;
  organizationId: string;
  name: string;
  verified: boolean;
  verifiedBy: "dns" | "operator" | null;
  verifiedAt: string | null;
  /** The TXT record to publish: `_rollcall-challenge.<name>` = `token`. */
  challengeName: string;
  token: string;
  connectionId: string | null;
  checkedAt: string | null;
  checkError: string | null;
  createdAt: string;
}

const recordOf = (row: Domain): DomainRecord => ({
  id: row.id, organizationId: row.organizationId, name: row.name, verified: row.verifiedName !== null,
  verifiedBy: row.verifiedBy as DomainRecord["verifiedBy"], verifiedAt: row.verifiedAt, challengeName: CHALLENGE_PREFIX + row.name,
  token: row.token, connectionId: row.connectionId, checkedAt: row.checkedAt, checkError: row.checkError, createdAt: row.createdAt,
});

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A domain as stored: lower case, ASCII (punycode for an internationalised name), no trailing dot, two labels or more. */
export function normalizeDomain(input: string): string {
  const ascii = domainToASCII(String(input).trim().replace(/\.$/, ""));
  const labels = ascii.split(".");
  if (!ascii || ascii.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels.at(-1)!)) {
    throw invalid(`"${input}" is not a domain name (such as example.com)`);
  }
  return ascii;
}

/** The domain of an email address, normalised, or null when it has none that could be a domain. */
export function emailDomain(email: string | null | undefined): string | null {
  const at = email?.lastIndexOf("@") ?? -1;
  if (!email || at < 1) return null;
  try {
    return normalizeDomain(email.slice(at + 1));
  } catch {
    return null;
  }
}

/** The domain itself and each parent with two labels or more: `eu.acme.example` → it, `acme.example`. */
export function domainAndParents(domain: string): string[] {
  const labels = domain.split(".");
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join("."));
}

/** Whether an email is at one of the domains or a subdomain of one (whoever controls a zone controls its subzones). */
export function inDomains(email: string | null | undefined, domains: string[]): boolean {
  const domain = emailDomain(email);
  return domain !== null && domainAndParents(domain).some((d) => domains.includes(d));
}

export async function verifiedDomainNames(em: EntityManager, organizationId: string): Promise<string[]> {
  return (await em.find(Domain, { select: { verifiedName: true }, where: { organizationId, verifiedName: Not(IsNull()) } })).map((d) => d.verifiedName!);
}

export async function listDomains(db: Database, organizationId: string): Promise<DomainRecord[]> {
  return (await db.dataSource.getRepository(Domain).find({ where: { organizationId }, order: { name: "ASC" } })).map(recordOf);
}

export async function getDomain(db: Database, organizationId: string, id: string): Promise<DomainRecord | null> {
  const row = await db.dataSource.getRepository(Domain).findOneBy({ id, organizationId });
  return row ? recordOf(row) : null;
}

async function lockedDomain(em: EntityManager, organizationId: string, id: string): Promise<Domain> {
  const row = await em.findOne(Domain, { where: { id, organizationId }, ...(em.connection.driver.options.type === "postgres" ? { lock: { mode: "pessimistic_write" as const } } : {}) });
  if (!row) throw notFound("Domain", id);
  return row;
}

/** Claims a domain: it gets a token to publish, and counts once verified. Any organization may claim any name. */
export async function claimDomain(db: Database, organizationId: string, name: string, actor: Actor): Promise<DomainRecord> {
  const row: Domain = {
    id: randomUUID(), organizationId, name: normalizeDomain(name), verifiedName: null, token: `rollcall-${randomBytes(16).toString("hex")}`,
    connectionId: null, verifiedBy: null, verifiedAt: null, checkedAt: null, checkError: null, createdAt: timestamp(),
  };
  await uniquely(() => `this organization has already claimed ${row.name}`, () => db.transaction(async (em) => {
    await em.insert(Domain, row);
    await recordAudit(em, { organizationId, actor, action: "domain.claimed", targetType: "domain", targetId: row.id, summary: { name: row.name } });
  }));
  return recordOf(row);
}

export async function deleteDomain(db: Database, organizationId: string, id: string, actor: Actor): Promise<void> {
  await db.transaction(async (em) => {
    const row = await lockedDomain(em, organizationId, id);
    await em.delete(Domain, { id, organizationId });
    await recordAudit(em, { organizationId, actor, action: "domain.deleted", targetType: "domain", targetId: id, summary: { name: row.name, wasVerified: row.verifiedName !== null } });
  });
}

/** Sends the domain's people to one connection of the organization (null: to its default). */
export async function setDomainConnection(db: Database, organizationId: string, id: string, connectionId: string | null, actor: Actor): Promise<DomainRecord> {
  return db.transaction(async (em) => {
    const row = await lockedDomain(em, organizationId, id);
    if (connectionId && !(await em.findOneBy(Connection, { id: connectionId, organizationId }))) throw notFound("Connection", connectionId);
    await em.update(Domain, { id, organizationId }, { connectionId });
    await recordAudit(em, { organizationId, actor, action: "domain.connection_set", targetType: "domain", targetId: id, summary: { name: row.name, connectionId } });
    return recordOf({ ...row, connectionId });
  });
}

const heldElsewhere = (name: string) => () => `${name} is verified by another organization; a domain can be verified by one organization only`;

/** Marks a domain verified without DNS (an operator who checked ownership another way). The daily check leaves it be. */
export async function markDomainVerified(db: Database, organizationId: string, id: string, actor: Actor): Promise<DomainRecord> {
  let name = "";
  return uniquely(() => heldElsewhere(name)(), () => db.transaction(async (em) => {
    const row = await lockedDomain(em, organizationId, id);
    name = row.name;
    const verified = { verifiedName: row.name, verifiedBy: "operator", verifiedAt: timestamp(), checkError: null };
    await em.update(Domain, { id, organizationId }, verified);
    await recordAudit(em, { organizationId, actor, action: "domain.verified", targetType: "domain", targetId: id, summary: { name: row.name, by: "operator" } });
    return recordOf({ ...row, ...verified });
  }));
}

/**
 * Looks the challenge up in DNS and records the outcome. Found: verified (refused with a conflict when another
 * organization holds the name). Answered without it: not verified, and a verification by DNS is withdrawn (the
 * domain may have changed hands). No answer (timeout, server failure): the state stays, with the error noted.
 */
export async function checkDomain(db: Database, organizationId: string, id: string, dns: DnsOptions, actor: Actor): Promise<DomainRecord> {
  const before = await getDomain(db, organizationId, id);
  if (!before) throw notFound("Domain", id);
  const answer = await lookupTxt(before.challengeName, dns);
  const found = "records" in answer && answer.records.some((r) => r.trim() === before.token);
  const error = found ? null : "failed" in answer ? answer.failed
    : `no TXT record ${before.challengeName} with the value ${before.token} (${"records" in answer ? `found ${answer.records.length} other value(s)` : "the name has no TXT record"})`;
  return uniquely(heldElsewhere(before.name), () => db.transaction(async (em) => {
    const row = await lockedDomain(em, organizationId, id);
    const now = timestamp();
    const change: Partial<Domain> = { checkedAt: now, checkError: error };
    let action: string | null = null;
    if (found && row.verifiedName === null) {
      Object.assign(change, { verifiedName: row.name, verifiedBy: "dns", verifiedAt: now });
      action = "domain.verified";
    } else if (!found && !("failed" in answer) && row.verifiedBy === "dns" && row.verifiedName !== null) {
      Object.assign(change, { verifiedName: null, verifiedBy: null, verifiedAt: null });
      action = "domain.verification_lost";
    }
    await em.update(Domain, { id, organizationId }, change);
    if (action) await recordAudit(em, { organizationId, actor, action, targetType: "domain", targetId: id, summary: { name: row.name, by: "dns", ...(error ? { error } : {}) } });
    return recordOf({ ...row, ...change });
  }));
}

/**
 * The daily job: every domain not verified by an operator whose last check is older than `maxAgeMs` is checked
 * again, the claimed ones too (so publishing the record is enough, without coming back to press "Verify").
 */
export async function recheckDomains(
  deps: { db: Database; dns: DnsOptions; logger: Logger }, options: { maxAgeMs?: number } = {},
): Promise<{ checked: number; verified: number; failed: number }> {
  const before = timestamp(new Date(Date.now() - (options.maxAgeMs ?? 24 * 3_600_000)));
  const due = await deps.db.dataSource.getRepository(Domain).find({
    where: [{ verifiedBy: Or(IsNull(), Not("operator")), checkedAt: IsNull() }, { verifiedBy: Or(IsNull(), Not("operator")), checkedAt: LessThan(before) }],
    order: { checkedAt: "ASC" },
  });
  const outcome = { checked: 0, verified: 0, failed: 0 };
  for (const row of due) {
    try {
      const result = await checkDomain(deps.db, row.organizationId, row.id, deps.dns, { type: "system", id: null });
      outcome.checked++;
      if (result.verified) outcome.verified++;
    } catch (err) {
      // Another organization verified the name meanwhile: this claim stays unverified; the next one is checked.
      deps.logger.warn({ err, domainId: row.id, domain: row.name }, "domain check failed");
      outcome.failed++;
    }
  }
  return outcome;
}
