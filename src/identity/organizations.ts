import { randomUUID } from "node:crypto";
import { Organization } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { recordAudit } from "./audit.js";
import { conflict, isUniqueViolation } from "./errors.js";
import { Actor } from "./records.js";
import { createScimToken } from "./scim-tokens.js";
import { timestamp } from "./text.js";

export const DEFAULT_ORGANIZATION_SLUG = "default";

export async function createOrganization(db: Database, input: { slug: string; name: string }, actor: Actor): Promise<Organization> {
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
