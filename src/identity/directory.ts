import { Database } from "../db/database.js";
import { sql } from "../db/sql.js";
import { GroupRecord, UserRecord } from "./records.js";
import { idpGroupsOf, organizationPolicy, teamsOfUser, UserTeam } from "./teams.js";
import { foldCase } from "./text.js";
import { getUser, listUsers } from "./users.js";
import { listGroups } from "./groups.js";

/**
 * What an administrator looks up: users found by name, email, state or source, with their teams and the IdP
 * identities they sign in with; groups found by name. Reads only, each scoped to one organization; the pages come
 * from the same paging code as the SCIM door's lists.
 */

export interface UserFilter {
  /** Part of the userName, displayName or an email, case-insensitively; or the whole id or externalId. */
  search?: string;
  /** The whole userName or email, case-insensitively. */
  userName?: string;
  email?: string;
  active?: boolean;
  source?: "scim" | "jit" | "manual";
}

export interface Page {
  offset: number;
  limit: number;
}

export interface LinkedIdentity {
  connectionId: string;
  connectionName: string;
  connectionType: string;
  issuer: string;
  subject: string;
  createdAt: string;
  lastLoginAt: string;
}

export interface UserDetail {
  user: UserRecord;
  /** Each membership once per source: a user may be in a team both through its groups (`idp`) and by hand. */
  teams: UserTeam[];
  identities: LinkedIdentity[];
  /** The groups claim of the user's last SSO login. */
  loginGroups: string[];
  /** The IdP groups its teams are derived from (its SCIM groups, or the login's claim: see teams.ts). */
  idpGroups: string[];
}

/** `%text%` for LIKE, folded like the columns it is compared with, with LIKE's own characters escaped. */
const containing = (text: string) => `%${foldCase(text).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
const EMAIL_OWNERS = "SELECT v.user_id FROM user_values v WHERE v.organization_id = :organizationId AND v.attribute = 'emails'";

function userCondition(db: Database, filter: UserFilter) {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.userName !== undefined) {
    parts.push("u.user_name_norm = :userName");
    params.userName = foldCase(filter.userName);
  }
  if (filter.email !== undefined) {
    parts.push(`u.id IN (${EMAIL_OWNERS} AND v.value_norm = :email)`);
    params.email = foldCase(filter.email);
  }
  if (filter.active !== undefined) {
    parts.push("u.active = :active");
    params.active = filter.active;
  }
  if (filter.source !== undefined) {
    parts.push("u.source = :source");
    params.source = filter.source;
  }
  if (filter.search) {
    const like = "LIKE :search ESCAPE '\\'";
    parts.push(`(u.user_name_norm ${like} OR ${db.fold("u.display_name")} ${like} OR u.id IN (${EMAIL_OWNERS} AND v.value_norm ${like})
      OR u.external_id = :exact OR u.id = :exact)`);
    params.search = containing(filter.search);
    params.exact = filter.search;
  }
  return parts.length ? { sql: parts.join(" AND "), params } : undefined;
}

/** Users in userName order. */
export async function searchUsers(db: Database, organizationId: string, filter: UserFilter, page: Page): Promise<{ total: number; users: UserRecord[] }> {
  const { total, users } = await listUsers(db, organizationId, {
    condition: userCondition(db, filter), sort: { sql: "u.user_name_norm", descending: false },
    start: { offset: page.offset }, limit: page.limit,
  });
  return { total, users };
}

export async function userDetail(db: Database, organizationId: string, id: string): Promise<UserDetail | null> {
  const user = await getUser(db, organizationId, id);
  if (!user) return null;
  const em = db.dataSource.manager;
  const teams = await teamsOfUser(em, organizationId, id);
  const { groupSource } = await organizationPolicy(em, organizationId);
  const [login] = await sql<{ login_groups: string | null }>(em, "SELECT login_groups FROM users WHERE id = :id AND organization_id = :organizationId", { id, organizationId });
  const idpGroups = (await idpGroupsOf(em, organizationId, groupSource, [id])).get(id) ?? [];
  const identities = await sql<LinkedIdentity>(em,
    `SELECT e.connection_id AS "connectionId", c.name AS "connectionName", c.type AS "connectionType", e.issuer, e.subject,
       e.created_at AS "createdAt", e.last_login_at AS "lastLoginAt"
     FROM external_identities e JOIN connections c ON c.id = e.connection_id
     WHERE e.organization_id = :organizationId AND e.user_id = :id ORDER BY e.created_at`, { organizationId, id });
  return { user, teams, identities, loginGroups: login?.login_groups ? JSON.parse(login.login_groups) : [], idpGroups };
}

/** Groups in displayName order, with how many members each has. */
export async function searchGroups(
  db: Database, organizationId: string, filter: { search?: string }, page: Page,
): Promise<{ total: number; groups: (GroupRecord & { memberCount: number })[] }> {
  const condition = filter.search ? {
    sql: "(g.display_name_norm LIKE :search ESCAPE '\\' OR g.external_id = :exact OR g.id = :exact)",
    params: { search: containing(filter.search), exact: filter.search },
  } : undefined;
  const { total, groups } = await listGroups(db, organizationId, {
    condition, sort: { sql: "g.display_name_norm", descending: false }, start: { offset: page.offset }, limit: page.limit,
  }, { withMembers: false });
  const ids = groups.map((g) => g.id);
  const counts = ids.length === 0 ? [] : await sql<{ group_id: string; n: number | string }>(db.dataSource.manager,
    `SELECT group_id, COUNT(*) AS n FROM group_members WHERE organization_id = :organizationId AND group_id IN (:...ids) GROUP BY group_id`,
    { organizationId, ids });
  const countOf = new Map(counts.map((c) => [c.group_id, Number(c.n)]));
  return { total, groups: groups.map((g) => ({ ...g, memberCount: countOf.get(g.id) ?? 0 })) };
}

/** A group's member count and its first `limit` members by userName: a 100,000-member group is counted, not listed. */
export async function groupMembersPreview(db: Database, organizationId: string, groupId: string, limit: number) {
  const em = db.dataSource.manager;
  const scope = { groupId, organizationId, limit };
  const [[{ n }], members] = await Promise.all([
    sql<{ n: number | string }>(em, "SELECT COUNT(*) AS n FROM group_members WHERE group_id = :groupId AND organization_id = :organizationId", scope),
    sql<{ id: string; user_name: string; active: boolean | number }>(em,
      `SELECT u.id, u.user_name, u.active FROM group_members m JOIN users u ON u.id = m.user_id
       WHERE m.group_id = :groupId AND m.organization_id = :organizationId ORDER BY u.user_name_norm LIMIT :limit`, scope),
  ]);
  return { count: Number(n), members: members.map((m) => ({ id: m.id, userName: m.user_name, active: Boolean(m.active) })) };
}
