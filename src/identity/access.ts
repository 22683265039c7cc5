import { Organization } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { sql } from "../db/sql.js";
import { rolesOf, teamsOfUser, UserTeam } from "./teams.js";

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
