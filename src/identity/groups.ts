import { EntityManager, In } from "typeorm";
import { Group, GroupMember } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { checkedOnRows, chunks, insertRow, insertRows, selectColumns, sql } from "../db/sql.js";
import { groupColumns } from "./attribute-columns.js";
import { recordAudit } from "./audit.js";
import { publishEvents } from "./events/outbox.js";
import { conflict, invalid, uniquely } from "./errors.js";
import { inOrder, ListQuery, pageOfIds } from "./listing.js";
import { countChange } from "./resource-counts.js";
import { lockForWrite, WriteOptions } from "./locking.js";
import { Actor, GroupChange, GroupRecord, MembershipChange } from "./records.js";
import { recomputeDerivedTeams, switchGroupSource } from "./teams.js";
import { foldCase, MAX_KEY_LENGTH, timestamp, unstorableText } from "./text.js";
import { newRowId } from "./ids.js";

/** How many member ids an audit event lists before it only counts them. */
const AUDIT_ID_LIMIT = 100;

const recordOf = (row: Group): GroupRecord => ({
  id: row.id, organizationId: row.organizationId, displayName: row.displayName, externalId: row.externalId,
  version: row.version, createdAt: row.createdAt, updatedAt: row.updatedAt,
});

async function membersOf(em: EntityManager, organizationId: string, groupIds: string[]) {
  if (groupIds.length === 0) return new Map<string, GroupRecord["members"]>();
  const rows = await sql<{ group_id: string; user_id: string; user_name: string }>(em,
    `SELECT m.group_id, m.user_id, u.user_name FROM group_members m JOIN users u ON u.id = m.user_id
     WHERE m.organization_id = :organizationId AND m.group_id IN (:...groupIds) ORDER BY m.created_at, m.user_id`,
    { organizationId, groupIds });
  const out = new Map<string, NonNullable<GroupRecord["members"]>>(groupIds.map((id) => [id, []]));
  for (const r of rows) out.get(r.group_id)!.push({ userId: r.user_id, userName: r.user_name });
  return out;
}

export async function loadGroups(em: EntityManager, organizationId: string, ids: string[], withMembers: boolean): Promise<GroupRecord[]> {
  if (ids.length === 0) return [];
  // By primary key, organization checked on the rows (see loadUsers).
  const rows = (await sql<Group>(em, `SELECT ${selectColumns(em, Group)} FROM groups WHERE id IN (:...ids)`, { ids }))
    .filter((row) => row.organizationId === organizationId);
  const members = withMembers ? await membersOf(em, organizationId, ids) : null;
  return inOrder(ids, rows.map((row) => ({ ...recordOf(row), ...(members ? { members: members.get(row.id) } : {}) })));
}

export async function getGroup(db: Database, organizationId: string, id: string, options: { withMembers: boolean }): Promise<GroupRecord | null> {
  const [group] = await loadGroups(db.dataSource.manager, organizationId, [id], options.withMembers);
  return group ?? null;
}

export async function listGroups(db: Database, organizationId: string, query: ListQuery, options: { withMembers: boolean }) {
  const em = db.dataSource.manager;
  const { ids, ...page } = await pageOfIds(db, groupColumns, organizationId, query);
  return { ...page, groups: await loadGroups(em, organizationId, ids, options.withMembers) };
}

function checkGroupText(displayName: unknown, externalId: unknown) {
  if (typeof displayName !== "string" || displayName.trim() === "") throw invalid("displayName must be a non-empty string");
  for (const [name, value] of [["displayName", displayName], ["externalId", externalId]] as const) {
    const problem = typeof value === "string" ? unstorableText(value, MAX_KEY_LENGTH) : null;
    if (problem) throw invalid(`${name} ${problem}`);
  }
}

async function assertDisplayNameFree(em: EntityManager, organizationId: string, displayName: string, exceptId?: string) {
  const [clash] = await sql<{ id: string }>(em, "SELECT id FROM groups WHERE organization_id = :organizationId AND display_name_norm = :norm",
    { organizationId, norm: foldCase(displayName) });
  if (clash && clash.id !== exceptId) throw conflict(`a group named "${displayName}" already exists in this organization`);
}

/** Ids that could name a row at all: others (too long, U+0000) are unknown without asking the database. */
const storableIds = (ids: string[]) => ids.filter((id) => unstorableText(id, MAX_KEY_LENGTH) === null);

/**
 * Of the ids given, those naming a user of this organization; ids of other organizations count as unknown. On
 * PostgreSQL the users that are not members yet are locked (FOR KEY SHARE) until the transaction ends: a user that
 * another replica is deleting is then either waited for and gone (unknown), or kept until our insert commits, never
 * a foreign-key error half-way through a push. Existing members are not locked: deleteUser locks the user and then
 * its groups, and locking a member here would take the two in the opposite order.
 */
async function knownUserIds(em: EntityManager, organizationId: string, groupId: string, userIds: string[]) {
  const lock = em.connection.driver.options.type === "postgres" ? " FOR KEY SHARE OF u" : "";
  const known = new Set<string>();
  const joining = new Set<string>();
  for (const ids of chunks([...new Set(storableIds(userIds))])) {
    const params = { organizationId, groupId, ids };
    const members = await sql<{ id: string }>(em,
      "SELECT m.user_id AS id FROM group_members m WHERE m.group_id = :groupId AND m.user_id IN (:...ids)", params);
    const newcomers = await sql<{ id: string }>(em,
      `SELECT u.id FROM users u WHERE ${checkedOnRows(em, "u.organization_id")} = :organizationId AND u.id IN (:...ids)
       AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = :groupId AND m.user_id = u.id)${lock}`, params);
    for (const r of [...members, ...newcomers]) known.add(r.id);
    for (const r of newcomers) joining.add(r.id);
  }
  return { known, joining };
}

/** The members of a group among `userIds`. */
async function membersAmong(em: EntityManager, groupId: string, userIds: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const ids of chunks([...new Set(storableIds(userIds))])) {
    out.push(...(await sql<{ user_id: string }>(em, "SELECT user_id FROM group_members WHERE group_id = :groupId AND user_id IN (:...ids)",
      { groupId, ids })).map((r) => r.user_id));
  }
  return out;
}

/**
 * `added` and `removed` are the ids each step named (known ones), as the audit log reports them; `moves` only the
 * memberships that really changed, in the order of the steps: the group.membership_* events.
 */
interface MembershipOutcome { added: string[]; removed: string[]; unknown: string[]; moves: MembershipMove[] }
type MembershipMove = { userId: string; joined: boolean };
const moves = (userIds: Iterable<string>, joined: boolean): MembershipMove[] => [...userIds].map((userId) => ({ userId, joined }));

async function insertMembers(em: EntityManager, organizationId: string, groupId: string, userIds: string[]) {
  const now = timestamp();
  await insertRows(em, "group_members", ["group_id", "user_id", "organization_id", "created_at"],
    userIds.map((userId) => [groupId, userId, organizationId, now]), { ignoreConflicts: true });
}

async function deleteMembers(em: EntityManager, organizationId: string, groupId: string, userIds: string[] | "all") {
  if (userIds === "all") return void await em.delete(GroupMember, { groupId, organizationId });
  for (const chunk of chunks(storableIds(userIds))) await em.delete(GroupMember, { groupId, organizationId, userId: In(chunk) });
}

async function currentMemberIds(em: EntityManager, groupId: string): Promise<Set<string>> {
  const rows = await em.find(GroupMember, { select: { userId: true }, where: { groupId } });
  return new Set(rows.map((r) => r.userId));
}

/**
 * Applies membership steps as row inserts and deletes. Unknown user ids are skipped and reported rather than
 * failing the whole push, so one stale id in an IdP's batch does not lose the rest (fleetdm/fleet#52600).
 */
async function applyMembership(em: EntityManager, organizationId: string, groupId: string, steps: MembershipChange[]): Promise<MembershipOutcome> {
  const outcome: MembershipOutcome = { added: [], removed: [], unknown: [], moves: [] };
  for (const step of steps) {
    if (step.op === "removeAll") {
      const members = [...await currentMemberIds(em, groupId)];
      outcome.removed.push(...members);
      outcome.moves.push(...moves(members, false));
      await deleteMembers(em, organizationId, groupId, "all");
    } else if (step.op === "remove") {
      outcome.moves.push(...moves(await membersAmong(em, groupId, step.userIds), false));
      await deleteMembers(em, organizationId, groupId, step.userIds);
      outcome.removed.push(...step.userIds);
    } else {
      const { known, joining } = await knownUserIds(em, organizationId, groupId, step.userIds);
      outcome.unknown.push(...step.userIds.filter((id) => !known.has(id)));
      if (step.op === "set") {
        const current = await currentMemberIds(em, groupId);
        const leaving = [...current].filter((id) => !known.has(id));
        await deleteMembers(em, organizationId, groupId, leaving);
        outcome.removed.push(...leaving);
        outcome.moves.push(...moves(leaving, false));
        const newcomers = [...known].filter((id) => !current.has(id));
        await insertMembers(em, organizationId, groupId, newcomers);
        outcome.added.push(...newcomers);
        outcome.moves.push(...moves(newcomers, true));
      } else {
        await insertMembers(em, organizationId, groupId, [...known]);
        outcome.added.push(...known);
        outcome.moves.push(...moves(joining, true));
      }
    }
  }
  return outcome;
}

/**
 * One `group.membership_added` or `group.membership_removed` event per user whose membership changed, beside the
 * group's audit entry (which lists only the first ids). Each names the user, so a user's events stay in order.
 */
async function publishMembership(
  em: EntityManager, organizationId: string, group: { id: string; displayName: string }, changes: MembershipMove[], actor: Actor,
) {
  const userNames = new Map<string, string>();
  for (const ids of chunks([...new Set(changes.map((c) => c.userId))])) {
    const rows = await sql<{ id: string; user_name: string }>(em,
      `SELECT id, user_name FROM users WHERE ${checkedOnRows(em, "organization_id")} = :organizationId AND id IN (:...ids)`, { organizationId, ids });
    for (const r of rows) userNames.set(r.id, r.user_name);
  }
  await publishEvents(em, changes.map(({ userId, joined }) => ({
    organizationId, type: joined ? "group.membership_added" : "group.membership_removed", actor, subjectId: userId,
    data: { group: { id: group.id, displayName: group.displayName }, user: { id: userId, userName: userNames.get(userId) ?? null } },
  })));
}

const listed = (ids: string[]) => ({ count: ids.length, ids: ids.slice(0, AUDIT_ID_LIMIT) });

function membershipSummary(o: MembershipOutcome) {
  return {
    ...(o.added.length ? { added: listed(o.added) } : {}),
    ...(o.removed.length ? { removed: listed(o.removed) } : {}),
    ...(o.unknown.length ? { unknownMembers: listed(o.unknown) } : {}),
  };
}


export async function createGroup(
  db: Database, organizationId: string, input: { displayName: string; externalId?: string | null; memberIds?: string[] }, actor: Actor,
): Promise<{ group: GroupRecord; unknownMembers: string[] }> {
  checkGroupText(input.displayName, input.externalId);
  const id = newRowId();
  const outcome = await uniquely(() => `a group named "${input.displayName}" already exists in this organization`, () => db.transaction(async (em) => {
    await assertDisplayNameFree(em, organizationId, input.displayName);
    const now = timestamp();
    await insertRow(em, Group, {
      id, organizationId, displayName: input.displayName, displayNameNorm: foldCase(input.displayName),
      externalId: input.externalId ?? null, version: 1, createdAt: now, updatedAt: now,
    });
    await countChange(em, organizationId, "groups", 1);
    const membership = await applyMembership(em, organizationId, id, [{ op: "add", userIds: input.memberIds ?? [] }]);
    // An IdP that pushes groups over SCIM is the source of truth for them from now on (see teams.ts).
    await switchGroupSource(em, organizationId, "scim", actor);
    // The group's event, then its members', then the team moves they cause: the order a receiver sees them in.
    await recordAudit(em, {
      organizationId, actor, action: "group.created", targetType: "group", targetId: id,
      summary: { displayName: input.displayName, externalId: input.externalId ?? null, ...membershipSummary(membership) },
    });
    await publishMembership(em, organizationId, { id, displayName: input.displayName }, membership.moves, actor);
    await recomputeDerivedTeams(em, organizationId, membership.added, actor, "group_membership");
    return membership;
  }));
  const group = (await getGroup(db, organizationId, id, { withMembers: true }))!;
  return { group, unknownMembers: outcome.unknown };
}

/**
 * Renames, re-keys and changes the members of a group in one transaction under a row lock. The version goes up
 * once per call, whatever changed.
 */
export async function updateGroup(
  db: Database, organizationId: string, id: string, change: GroupChange, actor: Actor, options: WriteOptions & { withMembers?: boolean } = {},
): Promise<{ group: GroupRecord; unknownMembers: string[] }> {
  checkGroupText(change.displayName ?? "unchanged", change.externalId);
  const outcome = await uniquely(() => `a group named "${change.displayName}" already exists in this organization`, () => db.transaction(async (em) => {
    const version = await lockForWrite(em, "groups", organizationId, id, options);
    const [before] = await sql<Group>(em, `SELECT ${selectColumns(em, Group)} FROM groups WHERE id = :id AND organization_id = :organizationId`, { id, organizationId });
    const renamed = change.displayName !== undefined && change.displayName !== before.displayName;
    if (renamed && foldCase(change.displayName!) !== before.displayNameNorm) await assertDisplayNameFree(em, organizationId, change.displayName!, id);
    const membership = await applyMembership(em, organizationId, id, change.members ?? []);
    const after = {
      ...before,
      ...(renamed ? { displayName: change.displayName!, displayNameNorm: foldCase(change.displayName!) } : {}),
      ...(change.externalId !== undefined ? { externalId: change.externalId } : {}),
      version: version + 1,
      updatedAt: timestamp(),
    };
    await sql(em, `UPDATE groups SET display_name = :displayName, display_name_norm = :displayNameNorm, external_id = :externalId,
      version = :version, updated_at = :updatedAt WHERE id = :id AND organization_id = :organizationId`, { ...after, id, organizationId });
    const changes = {
      ...(renamed ? { displayName: { from: before.displayName, to: change.displayName } } : {}),
      ...(change.externalId !== undefined && change.externalId !== before.externalId ? { externalId: { from: before.externalId, to: change.externalId } } : {}),
    };
    await recordAudit(em, {
      organizationId, actor, action: "group.updated", targetType: "group", targetId: id,
      summary: { displayName: change.displayName ?? before.displayName, changes, ...membershipSummary(membership) },
    });
    await publishMembership(em, organizationId, after, membership.moves, actor);
    // Mappings match a group by name or externalId, so a rename or re-key can move every member between teams.
    const rekeyed = renamed || (change.externalId !== undefined && change.externalId !== before.externalId);
    await recomputeDerivedTeams(em, organizationId,
      [...membership.added, ...membership.removed, ...(rekeyed ? await currentMemberIds(em, id) : [])], actor, "group_membership");
    // Read under the lock: the ETag answered is the version this write made, not a later replica's. Without
    // members, that is the row just written: nothing to read.
    const withMembers = options.withMembers ?? true;
    const group = withMembers ? (await loadGroups(em, organizationId, [id], true))[0] : recordOf(after);
    return { membership, group };
  }));
  return { group: outcome.group, unknownMembers: outcome.membership.unknown };
}

export async function deleteGroup(db: Database, organizationId: string, id: string, actor: Actor, options: WriteOptions = {}): Promise<void> {
  await db.transaction(async (em) => {
    await lockForWrite(em, "groups", organizationId, id, options);
    const group = await em.findOneByOrFail(Group, { id, organizationId });
    const members = [...await currentMemberIds(em, id)];
    await publishMembership(em, organizationId, group, moves(members, false), actor);
    await em.delete(GroupMember, { groupId: id, organizationId });
    await em.delete(Group, { id, organizationId });
    await countChange(em, organizationId, "groups", -1);
    await recomputeDerivedTeams(em, organizationId, members, actor, "group_membership");
    await recordAudit(em, {
      organizationId, actor, action: "group.deleted", targetType: "group", targetId: id,
      summary: { displayName: group.displayName, memberCount: members.length },
    });
  });
}
