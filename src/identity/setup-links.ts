import { randomUUID } from "node:crypto";
import { MoreThan } from "typeorm";
import { Organization, Session, SetupLink } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { sql } from "../db/sql.js";
import { recordAudit } from "./audit.js";
import { displayPrefix, matchingSecret, newSecret, secretDigest } from "./bearer-secrets.js";
import { invalid, notFound } from "./errors.js";
import { Actor } from "./records.js";
import { timestamp } from "./text.js";

/**
 * Self-serve setup links: an admin sends one to a customer's IT admin, who has no account, so that they can
 * configure their organization's SSO connection and SCIM token themselves. A link works, as often as needed, until
 * it expires or is revoked; the session it opens is checked against it on every request.
 */

const LINK_PREFIX = "rcl_";
export const DEFAULT_SETUP_LINK_HOURS = 72;
export const MAX_SETUP_LINK_HOURS = 30 * 24;

export interface SetupLinkInfo {
  id: string;
  organizationId: string;
  name: string;
  prefix: string;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

const info = ({ hash: _hash, ...rest }: SetupLink): SetupLinkInfo => rest;

/** Where a link is opened: the console's page, which redeems it and opens the setup session. */
export const setupLinkUrl = (baseUrl: string, token: string) => `${baseUrl}/setup/${token}`;

/** Creates a link and returns its secret in plain text: the only time it is visible. */
export async function createSetupLink(
  db: Database, organizationId: string, options: { name: string; validHours?: number }, actor: Actor,
): Promise<{ token: string; info: SetupLinkInfo }> {
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
    };
    await em.insert(SetupLink, row);
    await recordAudit(em, {
      organizationId, actor, action: "setup_link.created", targetType: "setup_link", targetId: row.id,
      summary: { name: row.name, prefix: row.prefix, expiresAt: row.expiresAt },
    });
    return { token, info: info(row) };
  });
}

/** The link a presented secret opens, if it is neither expired nor revoked; each redemption is audited. */
export async function redeemSetupLink(db: Database, presented: string): Promise<SetupLinkInfo | null> {
  const candidates = await sql<SetupLink>(db.dataSource.manager,
    `SELECT id, organization_id AS "organizationId", name, prefix, hash, created_by AS "createdBy", created_at AS "createdAt",
       expires_at AS "expiresAt", revoked_at AS "revokedAt"
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
    await em.update(SetupLink, { id, organizationId }, { revokedAt: timestamp() });
    const ended = await em.delete(Session, { userId: id, principalType: "setup" });
    await recordAudit(em, {
      organizationId, actor, action: "setup_link.revoked", targetType: "setup_link", targetId: id,
      summary: { name: row.name, prefix: row.prefix, ...(ended.affected ? { sessionsEnded: ended.affected } : {}) },
    });
  });
}
