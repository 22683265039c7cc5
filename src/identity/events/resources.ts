import { EntityManager } from "typeorm";
import { checkedOnRows, sql } from "../../db/sql.js";
import { loadGroups } from "../groups.js";
import { groupBy } from "../text.js";
import { primaryEmail } from "../user-rows.js";
import { loadUsers } from "../users.js";
import { UserRecord } from "../records.js";

/**
 * Resources as the admin API shows them, read in the transaction of the change an event records, so that the event
 * carries the state the change made. Secrets never appear: connections are shown without their settings, tokens by
 * prefix. Loaded in batches: one change can publish events about many resources.
 */

type Loader = (em: EntityManager, organizationId: string, ids: string[]) => Promise<Map<string, Record<string, unknown>>>;

const byId = <T extends { id: string }>(rows: T[]) => new Map<string, Record<string, unknown>>(rows.map((r) => [r.id, { ...r }]));

const users = async (em: EntityManager, organizationId: string, ids: string[]) => userResources(em, organizationId, await loadUsers(em, organizationId, ids));

/** Users already read in the change's transaction, as events show them (their teams read here). */
export async function userResources(em: EntityManager, organizationId: string, records: UserRecord[]) {
  if (records.length === 0) return new Map<string, Record<string, unknown>>();
  const ids = records.map((u) => u.id);
  const teams = groupBy(await sql<{ user_id: string; id: string; name: string; roles: string; source: string }>(em,
    `SELECT m.user_id, t.id, t.name, t.roles, m.source FROM team_memberships m JOIN teams t ON t.id = m.team_id
     WHERE ${checkedOnRows(em, "m.organization_id")} = :organizationId AND m.user_id IN (:...ids) ORDER BY t.name_norm, m.source`, { organizationId, ids }), (r) => r.user_id);
  return byId(records.map((u) => ({
    id: u.id, userName: u.userName, displayName: u.displayName ?? null, email: primaryEmail(u), active: u.active, source: u.source,
    externalId: u.externalId, name: u.name, emails: u.emails, title: u.title ?? null, groups: u.groups,
    teams: (teams.get(u.id) ?? []).map((t) => ({ id: t.id, name: t.name, roles: JSON.parse(t.roles) as string[], source: t.source })),
    createdAt: u.createdAt, updatedAt: u.updatedAt,
  })));
}

async function groups(em: EntityManager, organizationId: string, ids: string[]) {
  return byId((await loadGroups(em, organizationId, ids, false)).map(({ organizationId: _o, version: _v, ...group }) => group));
}

async function connections(em: EntityManager, organizationId: string, ids: string[]) {
  return byId((await sql<{ id: string; enabled: boolean | number }>(em,
    `SELECT id, type, name, login_path AS "loginPath", preset, enabled, created_at AS "createdAt", updated_at AS "updatedAt"
     FROM connections WHERE organization_id = :organizationId AND id IN (:...ids)`, { organizationId, ids }))
    .map((c) => ({ ...c, enabled: Boolean(c.enabled) })));
}

async function scimTokens(em: EntityManager, organizationId: string, ids: string[]) {
  return byId(await sql<{ id: string }>(em,
    `SELECT id, name, prefix, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"
     FROM scim_tokens WHERE organization_id = :organizationId AND id IN (:...ids)`, { organizationId, ids }));
}

const loaders: Partial<Record<string, Loader>> = { user: users, group: groups, connection: connections, scim_token: scimTokens };

/** The resources of one type and organization, by id; ids that no longer exist are absent. */
export function loadResources(em: EntityManager, targetType: string, organizationId: string, ids: string[]) {
  const loader = loaders[targetType];
  return loader && ids.length ? loader(em, organizationId, ids) : Promise.resolve(new Map<string, Record<string, unknown>>());
}
