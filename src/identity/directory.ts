import { Database } from "../db/database.js";
import { sql } from "../db/sql.js";
import { GroupRecord, UserRecord } from "./records.js";
import { teamsOfUser, UserTeam } from "./teams.js";
import { foldCase } from "./text.js";
import { getUser, listUsers } from "./users.js";
import { listGroups } from "./groups.js";

/**
 * What an administrator looks up: users found by name, email, state or source, with their teams and the IdP
 * identities they sign in with; groups found by name. Reads only, each scoped to one organization; the pages come
 * from the same paging code as the SCIM door's lists.
 */

export interface UserFilter {
  /** Part of the userName, displayName or an email, case-insensitively. */
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
    parts.push(`(u.user_name_norm ${like} OR ${db.fold("u.display_name")} ${like} OR u.id IN (${EMAIL_OWNERS} AND v.value_norm ${like}))`);
    params.search = containing(filter.search);
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
  const identities = await sql<LinkedIdentity>(em,
    `SELECT e.connection_id AS "connectionId", c.name AS "connectionName", c.type AS "connectionType", e.issuer, e.subject,
       e.created_at AS "createdAt", e.last_login_at AS "lastLoginAt"
     FROM external_identities e JOIN connections c ON c.id = e.connection_id
     WHERE e.organization_id = :organizationId AND e.user_id = :id ORDER BY e.created_at`, { organizationId, id });
  return { user, teams, identities };
}

/** Groups in displayName order, with how many members each has. */
export async function searchGroups(
  db: Database, organizationId: string, filter: { search?: string }, page: Page,
): Promise<{ total: number; groups: (GroupRecord & { memberCount: number })[] }> {
  const condition = filter.search ? { sql: "g.display_name_norm LIKE :search ESCAPE '\\'", params: { search: containing(filter.search) } } : undefined;
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
