import { randomUUID } from "node:crypto";
import { EntityManager, MoreThan } from "typeorm";
import { Organization, Session, SetupLink } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { sql } from "../db/sql.js";
import { recordAudit } from "./audit.js";
import { displayPrefix, matchingSecret, newSecret, secretDigest } from "./bearer-secrets.js";
import { invalid, notFound } from "./errors.js";
import { Actor } from "./records.js";
import { timestamp } from "./text.js";

/**
 * Self-serve setup links: an admin sends one to a customer's IT admin, who has no account, so that they can set up
 * their organization themselves, limited to the link's capabilities. A link works, as often as needed, until it
 * expires, is revoked, or the IT admin finishes the setup portal (which revokes it: the job is done, and a bearer URL
 * should not outlive it); the session it opens is checked against it on every request.
 */

const LINK_PREFIX = "rcl_";
export const DEFAULT_SETUP_LINK_HOURS = 24;
export const MAX_SETUP_LINK_HOURS = 30 * 24;

/**
 * What a link may open: `sso` the SSO connections (wizard, test), `scim` the SCIM tokens, `domains` domain
 * verification, `mappings` the IdP group → team mappings. Chosen when the link is made; all of them by default.
 */
export const SETUP_CAPABILITIES = ["sso", "scim", "domains", "mappings"] as const;
export type SetupCapability = (typeof SETUP_CAPABILITIES)[number];

export const isSetupCapability = (value: string): value is SetupCapability => (SETUP_CAPABILITIES as readonly string[]).includes(value);

/** A list of capabilities as typed (CLI `--capabilities sso,scim`, a form's checkboxes): known names, each once, in canonical order. */
export function parseCapabilities(names: readonly string[]): SetupCapability[] {
  const unknown = names.filter((n) => !isSetupCapability(n));
  if (unknown.length) throw invalid(`unknown capabilities: ${unknown.join(", ")} (known: ${SETUP_CAPABILITIES.join(", ")})`);
  const chosen = SETUP_CAPABILITIES.filter((c) => names.includes(c));
  if (chosen.length === 0) throw invalid(`a setup link needs at least one capability (${SETUP_CAPABILITIES.join(", ")})`);
  return chosen;
}

export interface SetupLinkInfo {
  id: string;
  organizationId: string;
  name: string;
  prefix: string;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  capabilities: SetupCapability[];
  completedAt: string | null;
}

const info = ({ hash: _hash, capabilities, ...rest }: SetupLink): SetupLinkInfo =>
  ({ ...rest, capabilities: capabilities.split(",").filter(isSetupCapability) });

/** Where a link is opened: the console's page, which redeems it and opens the setup session. */
export const setupLinkUrl = (baseUrl: string, token: string) => `${baseUrl}/setup/${token}`;

/** Creates a link and returns its secret in plain text: the only time it is visible. */
export async function createSetupLink(
  db: Database, organizationId: string, options: { name: string; validHours?: number; capabilities?: readonly string[] }, actor: Actor,
): Promise<{ token: string; info: SetupLinkInfo }> {
  const capabilities = parseCapabilities(options.capabilities ?? SETUP_CAPABILITIES);
  const hours = options.validHours ?? DEFAULT_SETUP_LINK_HOURS;
  if (!Number.isInteger(hours) || hours < 1 || hours > MAX_SETUP_LINK_HOURS) throw invalid(`validHours must be a whole number from 1 to ${MAX_SETUP_LINK_HOURS}`);
  if (typeof options.name !== "string" || options.name.trim() === "" || options.name.length > 200) throw invalid("name must be 1 to 200 characters");
  const token = newSecret(LINK_PREFIX);
  const now = new Date();
  return db.transaction(async (em) => {
    if (!(await em.findOneBy(Organization, { id: organizationId }))) throw notFound("Organization", organizationId);
    const row: SetupLink = {
      id: randomUUID(), organizationId, name: options.name.trim(), prefix: displayPrefix(token), hash: secretDigest(token),
      createdBy: actor.id, createdAt: timestamp(now), expiresAt: timestamp(new Date(now.getTime() + hours * 3_600_000)), revokedAt: null,
      capabilities: capabilities.join(","), completedAt: null,
    };
    await em.insert(SetupLink, row);
    await recordAudit(em, {
      organizationId, actor, action: "setup_link.created", targetType: "setup_link", targetId: row.id,
      summary: { name: row.name, prefix: row.prefix, expiresAt: row.expiresAt, capabilities },
    });
    return { token, info: info(row) };
  });
}

/** The link a presented secret opens, if it is neither expired nor revoked; each redemption is audited. */
export async function redeemSetupLink(db: Database, presented: string): Promise<SetupLinkInfo | null> {
  const candidates = await sql<SetupLink>(db.dataSource.manager,
    `SELECT id, organization_id AS "organizationId", name, prefix, hash, created_by AS "createdBy", created_at AS "createdAt",
       expires_at AS "expiresAt", revoked_at AS "revokedAt", capabilities, completed_at AS "completedAt"
     FROM setup_links WHERE prefix = :prefix AND revoked_at IS NULL AND expires_at > :now`, { prefix: displayPrefix(presented), now: timestamp() });
  const match = matchingSecret(candidates, presented);
  if (!match) return null;
  await db.transaction((em) => recordAudit(em, {
    organizationId: match.organizationId, actor: { type: "setup_link", id: match.id }, action: "setup_link.redeemed",
    targetType: "setup_link", targetId: match.id, summary: { name: match.name, prefix: match.prefix },
  }));
  return info(match);
}

/** A link by id while it still works: a setup session lives no longer than its link. */
export async function activeSetupLink(db: Database, id: string): Promise<SetupLinkInfo | null> {
  const row = await db.dataSource.getRepository(SetupLink).findOneBy({ id, expiresAt: MoreThan(timestamp()) });
  return row && !row.revokedAt ? info(row) : null;
}

export async function listSetupLinks(db: Database, organizationId: string): Promise<SetupLinkInfo[]> {
  const rows = await db.dataSource.getRepository(SetupLink).find({ where: { organizationId }, order: { createdAt: "ASC" } });
  return rows.map(info);
}

/** Revokes a link and, in the same transaction, ends the sessions opened with it. */
export async function revokeSetupLink(db: Database, organizationId: string, id: string, actor: Actor): Promise<void> {
  await db.transaction(async (em) => {
    const row = await em.findOneBy(SetupLink, { id, organizationId });
    if (!row) throw notFound("Setup link", id);
    if (row.revokedAt) return;
    const sessionsEnded = await endLink(em, row, {});
    await recordAudit(em, {
      organizationId, actor, action: "setup_link.revoked", targetType: "setup_link", targetId: id,
      summary: { name: row.name, prefix: row.prefix, ...(sessionsEnded ? { sessionsEnded } : {}) },
    });
  });
}

/**
 * The IT admin pressed "Finish" in the setup portal: the link is marked completed and revoked (its sessions end),
 * and `setup.completed` is audited, which publishes the event to the organization's webhooks and events API.
 */
export async function completeSetup(db: Database, organizationId: string, id: string, actor: Actor): Promise<SetupLinkInfo> {
  return db.transaction(async (em) => {
    const row = await em.findOneBy(SetupLink, { id, organizationId, expiresAt: MoreThan(timestamp()) });
    if (!row || row.revokedAt) throw notFound("Setup link", id);
    const completedAt = timestamp();
    await endLink(em, row, { completedAt, revokedAt: completedAt });
    await recordAudit(em, {
      organizationId, actor, action: "setup.completed", targetType: "setup_link", targetId: id,
      summary: { name: row.name, prefix: row.prefix, capabilities: info(row).capabilities, completedAt },
    });
    return info({ ...row, revokedAt: completedAt, completedAt });
  });
}

/** Revokes a link (with whatever else changes with it) and ends the sessions it opened; how many ended. */
async function endLink(em: EntityManager, row: SetupLink, change: Partial<SetupLink>): Promise<number> {
  await em.update(SetupLink, { id: row.id, organizationId: row.organizationId }, { revokedAt: timestamp(), ...change });
  return (await em.delete(Session, { userId: row.id, principalType: "setup" })).affected ?? 0;
}
