import { Organization } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { sql } from "../db/sql.js";
import { organizationPolicy, rolesOf, teamsOfUser, UserTeam } from "./teams.js";

/** What a logged-in user may do, as the forward-auth endpoint, `/session` and `/scim/v2/Me` tell it. */
export interface UserAccess {
  user: { id: string; userName: string; displayName: string | null; email: string | null };
  organization: { id: string; slug: string; name: string };
  teams: UserTeam[];
  roles: string[];
}

/**
 * The access of an active user, or null when the user is inactive or gone. Read at every request: sessions of a
 * deactivated user are deleted with the deactivation, and this check is the backstop.
 */
export async function accessOf(db: Database, organizationId: string, userId: string): Promise<UserAccess | null> {
  const em = db.dataSource.manager;
  const [user] = await sql<{ id: string; user_name: string; display_name: string | null; active: boolean | number; email: string | null }>(em,
    `SELECT u.id, u.user_name, u.display_name, u.active,
       (SELECT v.value FROM user_values v WHERE v.user_id = u.id AND v.attribute = 'emails'
        ORDER BY CASE WHEN v."primary" THEN 0 ELSE 1 END, v.position LIMIT 1) AS email
     FROM users u WHERE u.id = :userId AND u.organization_id = :organizationId`, { userId, organizationId });
  if (!user || !user.active) return null;
  const organization = await em.findOneByOrFail(Organization, { id: organizationId });
  const teams = await teamsOfUser(em, organizationId, userId);
  return {
    user: { id: user.id, userName: user.user_name, displayName: user.display_name, email: user.email },
    organization: { id: organization.id, slug: organization.slug, name: organization.name },
    teams,
    roles: rolesOf(teams),
  };
}

/** What apps are told about a user (ID tokens, userinfo, the forward-auth identity JWT): its access and more. */
export interface UserIdentity extends UserAccess {
  givenName: string | null;
  familyName: string | null;
  externalId: string | null;
  /** The SCIM resource id, when SCIM provisioned the user (it is the user id). */
  scimId: string | null;
  /** The IdP's group names: SCIM groups' displayNames, or the groups claim of the last login. */
  groups: string[];
  /** The connection of the user's latest SSO login, if any. */
  connectionId: string | null;
}

/** The identity of an active user by its id alone (a token names only its subject), or null when inactive or gone. */
export async function identityOf(db: Database, userId: string): Promise<UserIdentity | null> {
  const em = db.dataSource.manager;
  const [row] = await sql<{ organization_id: string; given: string | null; family: string | null; external_id: string | null; source: string; login_groups: string | null }>(em,
    `SELECT organization_id, name_given_name AS given, name_family_name AS family, external_id, source, login_groups
     FROM users WHERE id = :userId`, { userId });
  if (!row) return null;
  const organizationId = row.organization_id;
  const access = await accessOf(db, organizationId, userId);
  if (!access) return null;
  const { groupSource } = await organizationPolicy(em, organizationId);
  const groups = groupSource === "scim"
    ? (await sql<{ display_name: string }>(em, `SELECT g.display_name FROM group_members m JOIN groups g ON g.id = m.group_id
        WHERE m.organization_id = :organizationId AND m.user_id = :userId ORDER BY g.display_name`, { organizationId, userId })).map((g) => g.display_name)
    : (row.login_groups ? JSON.parse(row.login_groups) as string[] : []);
  const [login] = await sql<{ connection_id: string }>(em, `SELECT connection_id FROM external_identities
    WHERE organization_id = :organizationId AND user_id = :userId ORDER BY last_login_at DESC LIMIT 1`, { organizationId, userId });
  return {
    ...access, givenName: row.given, familyName: row.family, externalId: row.external_id,
    scimId: row.source === "scim" ? userId : null, groups, connectionId: login?.connection_id ?? null,
  };
}
