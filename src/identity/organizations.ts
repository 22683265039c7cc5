import { randomUUID } from "node:crypto";
import { Organization } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { recordAudit } from "./audit.js";
import { conflict, invalid, isUniqueViolation, notFound } from "./errors.js";
import { Actor } from "./records.js";
import { createScimToken } from "./scim-tokens.js";
import { sql } from "../db/sql.js";
import { timestamp } from "./text.js";

export const DEFAULT_ORGANIZATION_SLUG = "default";
/** Slugs are URL- and CLI-friendly: they name an organization in `org … --org <slug>` and in the console. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,99}$/;
export const SLUG_RULE = "must be 1 to 100 lower-case letters, digits or dashes, starting with a letter or digit";

function checkName(name: string): string {
  const trimmed = typeof name === "string" ? name.trim() : "";
  if (!trimmed || trimmed.length > 200) throw invalid("name must be 1 to 200 characters");
  return trimmed;
}

export async function createOrganization(db: Database, given: { slug: string; name: string }, actor: Actor): Promise<Organization> {
  if (typeof given.slug !== "string" || !SLUG_PATTERN.test(given.slug)) throw invalid(`slug ${SLUG_RULE}`);
  const input = { slug: given.slug, name: checkName(given.name) };
  try {
    return await db.transaction(async (em) => {
      const organization = em.create(Organization, { id: randomUUID(), ...input, createdAt: timestamp() });
      await em.insert(Organization, organization);
      await recordAudit(em, {
        organizationId: organization.id, actor, action: "organization.created", targetType: "organization",
        targetId: organization.id, summary: { slug: input.slug, name: input.name },
      });
      return organization;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`an organization with slug "${input.slug}" already exists`);
    throw err;
  }
}

export function findOrganizationBySlug(db: Database, slug: string): Promise<Organization | null> {
  return db.dataSource.getRepository(Organization).findOneBy({ slug });
}

/**
 * First start on an empty database: create the default organization and its first SCIM token. Returns the token
 * in plain text (to be shown once) only when this call created it; replicas starting together race on the unique
 * slug and all but one find the organization already there.
 */
export async function bootstrapDefaultOrganization(
  db: Database,
  bootstrapToken: string | undefined,
): Promise<{ organization: Organization; token: string | null }> {
  const existing = await findOrganizationBySlug(db, DEFAULT_ORGANIZATION_SLUG);
  if (existing) return { organization: existing, token: null };
  const system: Actor = { type: "system", id: null };
  try {
    const organization = await createOrganization(db, { slug: DEFAULT_ORGANIZATION_SLUG, name: "Default organization" }, system);
    const { token } = await createScimToken(db, organization.id, { name: "bootstrap", value: bootstrapToken }, system);
    return { organization, token };
  } catch (err) {
    const raced = await findOrganizationBySlug(db, DEFAULT_ORGANIZATION_SLUG);
    if (raced) return { organization: raced, token: null };
    throw err;
  }
}

export function listOrganizations(db: Database): Promise<Organization[]> {
  return db.dataSource.getRepository(Organization).find({ order: { createdAt: "ASC" } });
}

export async function renameOrganization(db: Database, id: string, name: string, actor: Actor): Promise<Organization> {
  const newName = checkName(name);
  return db.transaction(async (em) => {
    const organization = await em.findOneBy(Organization, { id });
    if (!organization) throw notFound("Organization", id);
    if (organization.name === newName) return organization;
    await em.update(Organization, { id }, { name: newName });
    await recordAudit(em, {
      organizationId: id, actor, action: "organization.renamed", targetType: "organization", targetId: id,
      summary: { slug: organization.slug, from: organization.name, to: newName },
    });
    return { ...organization, name: newName };
  });
}

/**
 * Deletes an organization and everything in it (users, groups, teams, connections, tokens, setup links, its admin
 * accounts and its audit log go with it through the foreign keys; its sessions end here). The caller must name the
 * slug (`confirmSlug`): a typed confirmation, checked where the deletion happens so that no door can skip it. The
 * event is recorded at instance level (no organization), as the organization's own log goes with it.
 */
export async function deleteOrganization(db: Database, id: string, confirmSlug: string, actor: Actor): Promise<void> {
  await db.transaction(async (em) => {
    const organization = await em.findOneBy(Organization, { id });
    if (!organization) throw notFound("Organization", id);
    if (confirmSlug.trim() !== organization.slug) throw invalid(`type the organization's slug, "${organization.slug}", to confirm`);
    const counts = await sql<{ users: number | string; connections: number | string }>(em, `SELECT
      (SELECT COUNT(*) FROM users WHERE organization_id = :id) AS users,
      (SELECT COUNT(*) FROM connections WHERE organization_id = :id) AS connections`, { id });
    await sql(em, "DELETE FROM sessions WHERE organization_id = :id", { id });
    await em.delete(Organization, { id });
    await recordAudit(em, {
      organizationId: null, actor, action: "organization.deleted", targetType: "organization", targetId: id,
      summary: { slug: organization.slug, name: organization.name, users: Number(counts[0].users), connections: Number(counts[0].connections) },
    });
  });
}
