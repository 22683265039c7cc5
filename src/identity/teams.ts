import { randomUUID } from "node:crypto";
import { EntityManager } from "typeorm";
import { Connection, Organization, Team, TeamMapping, TeamMembership, User } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { checkedOnRows, chunks, insertRows, selectColumns, sql } from "../db/sql.js";
import { AuditEntry, recordAudit, recordAudits } from "./audit.js";
import { conflict, invalid, notFound, uniquely } from "./errors.js";
import { Actor } from "./records.js";
import { foldCase, groupBy, MAX_KEY_LENGTH, timestamp, unstorableText } from "./text.js";

/**
 * Teams are the app's unit of access; each grants roles. A user's teams are its manual memberships plus the teams
 * mapped from its IdP groups. Which groups: the SCIM groups it is a member of when SCIM manages the organization's
 * groups, else the groups claim of its last SSO login. `derivedTeamIds` is the one computation of the second part,
 * used by SCIM writes, SSO logins, mapping changes and the "test connection" dry run alike.
 */

export interface TeamRecord {
  id: string;
  organizationId: string;
  name: string;
  description: string | null;
  roles: string[];
  /** The IdP groups mapped to this team; `alias` names a group sent as an opaque id (Entra object ids). */
  /** `connectionId`: the mapping matches only groups received through that connection's logins (null: any). */
  mappings: { idpGroup: string; alias: string | null; connectionId: string | null }[];
  createdAt: string;
  updatedAt: string;
}

export interface TeamInput {
  name: string;
  description?: string | null;
  roles: string[];
}

export interface UserTeam {
  id: string;
  name: string;
  roles: string[];
  /** `idp` when derived from IdP groups, `manual` when an admin assigned it. */
  source: "idp" | "manual";
}

export type TeamMappingMode = "idp" | "manual";

function checkTeam(input: TeamInput) {
  if (typeof input.name !== "string" || input.name.trim() === "" || input.name.length > 200) throw invalid("team name must be 1 to 200 characters");
  if (!Array.isArray(input.roles) || input.roles.some((r) => typeof r !== "string" || r.trim() === "" || r.length > 100)) {
    throw invalid("roles must be a list of role names (1 to 100 characters each)");
  }
}

async function mappingsByTeam(em: EntityManager, organizationId: string) {
  const rows = await em.find(TeamMapping, { where: { organizationId }, order: { idpGroupNorm: "ASC" } });
  return groupBy(rows, (m) => m.teamId);
}

const teamRecordOf = (row: Team, mappings: TeamMapping[] = []): TeamRecord => ({
  id: row.id, organizationId: row.organizationId, name: row.name, description: row.description,
  roles: JSON.parse(row.roles) as string[], createdAt: row.createdAt, updatedAt: row.updatedAt,
  mappings: mappings.map((m) => ({ idpGroup: m.idpGroup, alias: m.alias, connectionId: m.connectionId })),
});

export async function listTeams(db: Database, organizationId: string): Promise<TeamRecord[]> {
  const em = db.dataSource.manager;
  const rows = await em.find(Team, { where: { organizationId }, order: { nameNorm: "ASC" } });
  const mappings = await mappingsByTeam(em, organizationId);
  return rows.map((row) => teamRecordOf(row, mappings.get(row.id)));
}

export async function getTeam(db: Database, organizationId: string, id: string): Promise<TeamRecord | null> {
  return (await listTeams(db, organizationId)).find((t) => t.id === id) ?? null;
}

const nameTaken = (name: string) => () => `a team named "${name}" already exists in this organization`;

export async function createTeam(db: Database, organizationId: string, input: TeamInput, actor: Actor): Promise<TeamRecord> {
  checkTeam(input);
  const now = timestamp();
  const row: Team = {
    id: randomUUID(), organizationId, name: input.name.trim(), nameNorm: foldCase(input.name.trim()),
    description: input.description ?? null, roles: JSON.stringify([...new Set(input.roles)]), createdAt: now, updatedAt: now,
  };
  await uniquely(nameTaken(row.name), () => db.transaction(async (em) => {
    await em.insert(Team, row);
    await recordAudit(em, { organizationId, actor, action: "team.created", targetType: "team", targetId: row.id, summary: { name: row.name, roles: input.roles } });
  }));
  return teamRecordOf(row);
}

export async function updateTeam(db: Database, organizationId: string, id: string, change: Partial<TeamInput>, actor: Actor): Promise<TeamRecord> {
  await uniquely(nameTaken(change.name ?? ""), () => db.transaction(async (em) => {
    const before = await em.findOneBy(Team, { id, organizationId });
    if (!before) throw notFound("Team", id);
    const next = {
      name: change.name ?? before.name, roles: change.roles ?? JSON.parse(before.roles),
      description: change.description === undefined ? before.description : change.description,
    };
    checkTeam(next);
    await em.update(Team, { id, organizationId }, {
      name: next.name.trim(), nameNorm: foldCase(next.name.trim()), description: next.description,
      roles: JSON.stringify([...new Set(next.roles)]), updatedAt: timestamp(),
    });
    await recordAudit(em, { organizationId, actor, action: "team.updated", targetType: "team", targetId: id, summary: { name: next.name, roles: next.roles } });
  }));
  return (await getTeam(db, organizationId, id))!;
}

export async function deleteTeam(db: Database, organizationId: string, id: string, actor: Actor): Promise<void> {
  await db.transaction(async (em) => {
    const team = await em.findOneBy(Team, { id, organizationId });
    if (!team) throw notFound("Team", id);
    const members = await em.count(TeamMembership, { where: { teamId: id } });
    await em.delete(TeamMembership, { teamId: id, organizationId });
    await em.delete(TeamMapping, { teamId: id, organizationId });
    await em.delete(Team, { id, organizationId });
    await recordAudit(em, { organizationId, actor, action: "team.deleted", targetType: "team", targetId: id, summary: { name: team.name, members } });
  });
}

/**
 * Replaces the IdP groups mapped to a team (an empty list clears them), then recomputes the derived teams of the
 * organization's users, so a mapping change moves people at once, not at their next login.
 */
export async function replaceTeamMappings(
  db: Database, organizationId: string, teamId: string, groups: { idpGroup: string; alias?: string | null; connectionId?: string | null }[], actor: Actor,
): Promise<TeamRecord> {
  for (const g of groups) {
    const problem = typeof g.idpGroup !== "string" || g.idpGroup.trim() === "" ? "must be a non-empty string" : unstorableText(g.idpGroup, MAX_KEY_LENGTH);
    if (problem) throw invalid(`idpGroup ${problem}`);
  }
  await db.transaction(async (em) => {
    const team = await em.findOneBy(Team, { id: teamId, organizationId });
    if (!team) throw notFound("Team", teamId);
    for (const connectionId of new Set(groups.map((g) => g.connectionId).filter((c) => c))) {
      if (!(await em.findOneBy(Connection, { id: connectionId!, organizationId }))) throw notFound("Connection", connectionId!);
    }
    const before = (await em.find(TeamMapping, { where: { teamId } })).map((m) => m.idpGroup);
    await em.delete(TeamMapping, { teamId, organizationId });
    const unique = new Map(groups.map((g) => [foldCase(g.idpGroup.trim()), g]));
    const now = timestamp();
    for (const [norm, g] of unique) {
      await em.insert(TeamMapping, {
        organizationId, teamId, idpGroup: g.idpGroup.trim(), idpGroupNorm: norm, alias: g.alias ?? null, connectionId: g.connectionId ?? null, createdAt: now,
      });
    }
    await recordAudit(em, {
      organizationId, actor, action: "team.mappings_replaced", targetType: "team", targetId: teamId,
      summary: { name: team.name, from: before, to: [...unique.values()].map((g) => (g.connectionId ? `${g.idpGroup} (connection ${g.connectionId})` : g.idpGroup)) },
    });
    await recomputeDerivedTeams(em, organizationId, "all", actor, "mapping_change");
  });
  return (await getTeam(db, organizationId, teamId))!;
}

export async function organizationPolicy(em: EntityManager, organizationId: string): Promise<{ mode: TeamMappingMode; groupSource: "claims" | "scim" }> {
  // Plain SQL: this runs in every group write, where TypeORM's query builder cost more than the lookup.
  const [org] = await sql<{ mode: string; groupSource: string }>(em,
    `SELECT team_mapping_mode AS mode, group_source AS "groupSource" FROM organizations WHERE id = :organizationId`, { organizationId });
  if (!org) throw notFound("Organization", organizationId);
  return { mode: org.mode as TeamMappingMode, groupSource: org.groupSource as "claims" | "scim" };
}

/**
 * The teams mapped from a list of IdP group names or ids (matched case-insensitively), received through a connection
 * (null for SCIM groups, which come through none): a mapping limited to a connection matches only that one's groups.
 */
export function derivedTeamIds(
  mappings: { teamId: string; idpGroupNorm: string; connectionId: string | null }[], groups: string[], connectionId: string | null,
): Set<string> {
  const wanted = new Set(groups.map(foldCase));
  return new Set(mappings.filter((m) => wanted.has(m.idpGroupNorm) && (m.connectionId === null || m.connectionId === connectionId)).map((m) => m.teamId));
}

/** Which of a team's mappings a list of IdP groups matches: why a derived membership exists. */
export function matchingMappings(team: TeamRecord, groups: string[]): TeamRecord["mappings"] {
  const wanted = new Set(groups.map(foldCase));
  return team.mappings.filter((m) => wanted.has(foldCase(m.idpGroup)));
}

/**
 * The IdP groups of each user: for SCIM-managed groups, each group the user is in counts by its displayName,
 * externalId and id (Entra mappings name groups by object id, which Entra sends as externalId); otherwise the
 * groups claim of the user's last login.
 */
export async function idpGroupsOf(em: EntityManager, organizationId: string, groupSource: "claims" | "scim", userIds: string[]) {
  const out = new Map<string, string[]>(userIds.map((id) => [id, []]));
  for (const ids of chunks(userIds)) {
    if (groupSource === "scim") {
      const rows = await sql<{ user_id: string; id: string; display_name: string; external_id: string | null }>(em,
        `SELECT m.user_id, g.id, g.display_name, g.external_id FROM group_members m JOIN groups g ON g.id = m.group_id
         WHERE m.organization_id = :organizationId AND m.user_id IN (:...ids)`, { organizationId, ids });
      for (const r of rows) out.get(r.user_id)!.push(r.display_name, r.id, ...(r.external_id ? [r.external_id] : []));
    } else {
      const rows = await sql<{ id: string; login_groups: string | null }>(em,
        `SELECT id, login_groups FROM users WHERE ${checkedOnRows(em, "organization_id")} = :organizationId AND id IN (:...ids)`, { organizationId, ids });
      for (const r of rows) out.set(r.id, r.login_groups ? JSON.parse(r.login_groups) : []);
    }
  }
  return out;
}

/** The connection each user last signed in through, for mappings limited to a connection. */
async function loginConnectionsOf(em: EntityManager, organizationId: string, userIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const ids of chunks(userIds)) {
    const rows = await sql<{ id: string; login_connection_id: string | null }>(em,
      `SELECT id, login_connection_id FROM users WHERE ${checkedOnRows(em, "organization_id")} = :organizationId AND id IN (:...ids)`, { organizationId, ids });
    for (const r of rows) if (r.login_connection_id) out.set(r.id, r.login_connection_id);
  }
  return out;
}

/** Why a user's teams changed, as `team.membership_changed` events and the audit log say. */
export type TeamChangeCause = "group_membership" | "login" | "mapping_change" | "mapping_mode" | "group_source" | "manual_assignment";

/**
 * Brings the `idp` team memberships of the given users (or all of the organization's) in line with their groups and
 * the mappings, in the caller's transaction, auditing each user whose teams changed (the event
 * `team.membership_changed` with the teams before and after, and the cause). In `manual` mode no team is derived,
 * so derived memberships are removed.
 */
export async function recomputeDerivedTeams(
  em: EntityManager, organizationId: string, userIds: string[] | "all", actor: Actor, cause: TeamChangeCause,
): Promise<void> {
  const mappings = await sql<TeamMapping>(em, `SELECT ${selectColumns(em, TeamMapping)} FROM team_mappings WHERE organization_id = :organizationId`, { organizationId });
  // The common SCIM write touches an organization without mappings: nothing to derive, nothing to remove.
  if (mappings.length === 0 && (await sql(em,
    "SELECT 1 FROM team_memberships WHERE organization_id = :organizationId AND source = 'idp' LIMIT 1", { organizationId })).length === 0) return;
  const ids = userIds === "all"
    ? (await em.find(User, { select: { id: true }, where: { organizationId } })).map((u) => u.id)
    : [...new Set(userIds)];
  if (ids.length === 0) return;
  const { mode, groupSource } = await organizationPolicy(em, organizationId);
  const groups = mode === "idp" ? await idpGroupsOf(em, organizationId, groupSource, ids) : new Map<string, string[]>();
  const connections = groupSource === "claims" && mappings.some((m) => m.connectionId) ? await loginConnectionsOf(em, organizationId, ids) : new Map<string, string>();
  const teamNames = new Map((await em.find(Team, { where: { organizationId } })).map((t) => [t.id, t.name]));
  const names = (teamIds: Iterable<string>) => [...new Set([...teamIds].map((t) => teamNames.get(t)!))].sort();
  for (const chunk of chunks(ids)) {
    const current = groupBy(await sql<{ user_id: string; team_id: string; source: string }>(em,
      `SELECT user_id, team_id, source FROM team_memberships WHERE ${checkedOnRows(em, "organization_id")} = :organizationId AND user_id IN (:...chunk)`,
      { organizationId, chunk }), (r) => r.user_id);
    const joins: [string, string][] = [];
    const leaves = new Map<string, string[]>();
    const audits: AuditEntry[] = [];
    for (const userId of chunk) {
      const memberships = current.get(userId) ?? [];
      const had = new Set(memberships.filter((r) => r.source === "idp").map((r) => r.team_id));
      const manual = memberships.filter((r) => r.source === "manual").map((r) => r.team_id);
      const want = derivedTeamIds(mappings, groups.get(userId) ?? [], connections.get(userId) ?? null);
      const added = [...want].filter((t) => !had.has(t));
      const removed = [...had].filter((t) => !want.has(t));
      if (added.length === 0 && removed.length === 0) continue;
      for (const teamId of added) joins.push([teamId, userId]);
      for (const teamId of removed) leaves.set(teamId, [...(leaves.get(teamId) ?? []), userId]);
      audits.push({
        organizationId, actor, action: "user.teams_changed", targetType: "user", targetId: userId,
        summary: {
          added: added.map((t) => teamNames.get(t)), removed: removed.map((t) => teamNames.get(t)), source: "idp", cause,
          from: names([...had, ...manual]), to: names([...want, ...manual]),
        },
      });
    }
    // Set-wise: a mapping change can move every member of a 100,000-member group.
    const now = timestamp();
    await insertRows(em, "team_memberships", ["team_id", "user_id", "source", "organization_id", "created_at"],
      joins.map(([teamId, userId]) => [teamId, userId, "idp", organizationId, now]));
    for (const [teamId, userIds] of leaves) {
      await sql(em, "DELETE FROM team_memberships WHERE team_id = :teamId AND source = 'idp' AND user_id IN (:...userIds)", { teamId, userIds });
    }
    await recordAudits(em, audits);
  }
}

export async function teamsOfUser(em: EntityManager, organizationId: string, userId: string): Promise<UserTeam[]> {
  const rows = await sql<{ id: string; name: string; roles: string; source: "idp" | "manual" }>(em,
    `SELECT t.id, t.name, t.roles, m.source FROM team_memberships m JOIN teams t ON t.id = m.team_id
     WHERE m.organization_id = :organizationId AND m.user_id = :userId ORDER BY t.name_norm, m.source`, { organizationId, userId });
  return rows.map((r) => ({ id: r.id, name: r.name, roles: JSON.parse(r.roles) as string[], source: r.source }));
}

/** The roles a set of teams grants, each once. */
export const rolesOf = (teams: { roles: string[] }[]) => [...new Set(teams.flatMap((t) => t.roles))].sort();

/**
 * An admin's team assignment. Refused while the IdP manages teams (mode `idp`): the change would be undone by the
 * next login or SCIM push, so the caller is told where to make it instead.
 */
export async function setManualTeamMembership(
  db: Database, organizationId: string, teamId: string, userId: string, member: boolean, actor: Actor,
): Promise<void> {
  await db.transaction(async (em) => {
    const { mode } = await organizationPolicy(em, organizationId);
    if (mode === "idp") {
      throw conflict("team membership in this organization is managed by the identity provider: change the user's groups " +
        "at the IdP or the group-to-team mapping, or switch the organization to manual team assignment");
    }
    const team = await em.findOneBy(Team, { id: teamId, organizationId });
    if (!team) throw notFound("Team", teamId);
    if (!(await em.findOneBy(User, { id: userId, organizationId }))) throw notFound("User", userId);
    const existing = await em.findOneBy(TeamMembership, { teamId, userId, source: "manual" });
    if (member === Boolean(existing)) return;
    const teamNames = async () => [...new Set((await teamsOfUser(em, organizationId, userId)).map((t) => t.name))];
    const from = await teamNames();
    if (member) await em.insert(TeamMembership, { teamId, userId, source: "manual", organizationId, createdAt: timestamp() });
    else await em.delete(TeamMembership, { teamId, userId, source: "manual" });
    await recordAudit(em, {
      organizationId, actor, action: member ? "user.team_assigned" : "user.team_unassigned", targetType: "user", targetId: userId,
      summary: { team: team.name, source: "manual", cause: "manual_assignment", from, to: await teamNames() },
    });
  });
}

/** Switches between IdP-decided and admin-assigned teams; derived memberships follow at once. */
export async function setTeamMappingMode(db: Database, organizationId: string, mode: TeamMappingMode, actor: Actor): Promise<void> {
  if (mode !== "idp" && mode !== "manual") throw invalid('mode must be "idp" or "manual"');
  await db.transaction(async (em) => {
    const before = await organizationPolicy(em, organizationId);
    if (before.mode === mode) return;
    await em.update(Organization, { id: organizationId }, { teamMappingMode: mode });
    await recordAudit(em, { organizationId, actor, action: "organization.team_mapping_mode", targetType: "organization", targetId: organizationId, summary: { from: before.mode, to: mode } });
    await recomputeDerivedTeams(em, organizationId, "all", actor, "mapping_mode");
  });
}

/**
 * Whether a user's groups come from SCIM or from the login's groups claim. The first group an IdP pushes over SCIM
 * switches the organization to `scim` (groups.ts); an admin may switch back.
 */
export async function switchGroupSource(em: EntityManager, organizationId: string, groupSource: "claims" | "scim", actor: Actor): Promise<void> {
  if (groupSource !== "claims" && groupSource !== "scim") throw invalid('groupSource must be "claims" or "scim"');
  const before = await organizationPolicy(em, organizationId);
  if (before.groupSource === groupSource) return;
  await em.update(Organization, { id: organizationId }, { groupSource });
  await recordAudit(em, { organizationId, actor, action: "organization.group_source", targetType: "organization", targetId: organizationId, summary: { from: before.groupSource, to: groupSource } });
  await recomputeDerivedTeams(em, organizationId, "all", actor, "group_source");
}

export const setGroupSource = (db: Database, organizationId: string, groupSource: "claims" | "scim", actor: Actor) =>
  db.transaction((em) => switchGroupSource(em, organizationId, groupSource, actor));
