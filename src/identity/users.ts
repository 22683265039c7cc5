import { EntityManager } from "typeorm";
import { User, UserValue } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { insertRow, jsonRows, parsedRows, selectColumns, sql } from "../db/sql.js";
import { userColumns } from "./attribute-columns.js";
import { recordAudit } from "./audit.js";
import { countChange } from "./resource-counts.js";
import { conflict, invalid, notFound, uniquely } from "./errors.js";
import { inOrder, ListQuery, pageOfIds } from "./listing.js";
import { lockForWrite, WriteOptions } from "./locking.js";
import { hashPassword } from "./passwords.js";
import { endSessionsOfUser } from "./sessions.js";
import { Actor, UserInput, UserRecord } from "./records.js";
import { foldCase, MAX_KEY_LENGTH, MAX_TEXT_LENGTH, timestamp, unstorableText } from "./text.js";
import { userColumnsOf, userRecordOf, userValuesOf } from "./user-rows.js";
import { newRowId } from "./ids.js";

/** Every string of a user must be storable; userName is required and, like externalId, kept short. */
function checkUserInput(input: UserInput) {
  if (typeof input.userName !== "string" || input.userName.trim() === "") throw invalid("userName must be a non-empty string");
  const walk = (value: unknown, where: string): void => {
    if (typeof value === "string") {
      const key = where === "userName" || where === "externalId";
      const problem = unstorableText(value, key ? MAX_KEY_LENGTH : MAX_TEXT_LENGTH);
      if (problem) throw invalid(`${where} ${problem}`);
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, where ? `${where}.${k}` : k);
    }
  };
  walk(input, "");
}

/** The user_values columns a record is built from, in the order jsonRows returns them (userRecordOf orders the rows by position). */
const VALUE_COLUMNS = ["attribute", "position", "value", "display", "type", "primary", "formatted", "streetAddress", "locality", "region", "postalCode", "country"] as const;
const VALUE_SQL = ["v.attribute", "v.position", "v.value", "v.display", "v.type", 'v."primary"', "v.formatted", "v.street_address", "v.locality", "v.region", "v.postal_code", "v.country"];

/**
 * Users with their values and groups, one statement for any number of ids. Fetched by primary key and checked for
 * the organization on the rows: given `organization_id = ? AND id IN (…)`, SQLite without statistics scans the
 * organization's index instead of looking up the ids.
 */
export async function loadUsers(em: EntityManager, organizationId: string, ids: string[]): Promise<UserRecord[]> {
  if (ids.length === 0) return [];
  const rows = await sql<User & { valueRows: unknown; groupRows: unknown }>(em, `SELECT ${selectColumns(em, User)},
      ${jsonRows(em, VALUE_SQL, "user_values v WHERE v.user_id = users.id")} AS "valueRows",
      ${jsonRows(em, ["g.id", "g.display_name"], "group_members gm JOIN groups g ON g.id = gm.group_id WHERE gm.user_id = users.id AND gm.organization_id = users.organization_id", "g.display_name_norm, g.id")} AS "groupRows"
    FROM users WHERE id IN (:...ids)`, { ids });
  const records = rows.filter((row) => row.organizationId === organizationId).map((row) => userRecordOf(row,
    parsedRows(row.valueRows).map((v) => Object.fromEntries(VALUE_COLUMNS.map((name, i) => [name, v[i]])) as unknown as UserValue),
    parsedRows(row.groupRows).map(([id, displayName]) => ({ id: id as string, displayName: displayName as string }))));
  return inOrder(ids, records);
}

export async function getUser(db: Database, organizationId: string, id: string): Promise<UserRecord | null> {
  const [user] = await loadUsers(db.dataSource.manager, organizationId, [id]);
  return user ?? null;
}

export async function listUsers(db: Database, organizationId: string, query: ListQuery) {
  const em = db.dataSource.manager;
  const { ids, ...page } = await pageOfIds(db, userColumns, organizationId, query);
  return { ...page, users: await loadUsers(em, organizationId, ids) };
}

async function assertUserNameFree(em: EntityManager, organizationId: string, userName: string, exceptId?: string) {
  const [clash] = await sql<{ id: string }>(em, "SELECT id FROM users WHERE organization_id = :organizationId AND user_name_norm = :norm",
    { organizationId, norm: foldCase(userName) });
  if (clash && clash.id !== exceptId) throw conflict(`userName "${userName}" is already taken in this organization`);
}

/**
 * A manager must be a user of the same organization. Any other id (not provisioned yet, deleted, or another
 * organization's) is dropped, as unknown group member ids are, and named in the audit event: refusing the whole user
 * would stall an IdP that sends the manager reference before it creates the manager.
 */
async function withKnownManager(em: EntityManager, organizationId: string, input: UserInput): Promise<{ input: UserInput; unknownManager?: string }> {
  const managerId = input.enterprise?.managerId;
  if (!managerId) return { input };
  const [found] = await sql(em, "SELECT id FROM users WHERE id = :managerId AND organization_id = :organizationId", { managerId, organizationId });
  if (found) return { input };
  return { input: { ...input, enterprise: { ...input.enterprise, managerId: null } }, unknownManager: managerId };
}

async function writeValues(em: EntityManager, organizationId: string, userId: string, input: UserInput, fresh = false) {
  if (!fresh) await sql(em, "DELETE FROM user_values WHERE user_id = :userId", { userId });
  const rows = userValuesOf(organizationId, userId, input);
  for (const row of rows) await insertRow(em, UserValue, row as Record<string, unknown>);
  return rows;
}


export async function createUser(
  db: Database, organizationId: string, input: UserInput, actor: Actor, source: "scim" | "jit" | "manual" = "scim",
): Promise<UserRecord> {
  checkUserInput(input);
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return uniquely(() => `userName "${input.userName}" is already taken in this organization`,
    () => db.transaction((em) => insertUser(em, organizationId, input, actor, source, passwordHash)));
}

/** Creates a user in the caller's transaction (createUser, and just-in-time provisioning at an SSO login). */
export async function insertUser(
  em: EntityManager, organizationId: string, given: UserInput, actor: Actor, source: "scim" | "jit" | "manual", passwordHash: string | null = null,
): Promise<UserRecord> {
  checkUserInput(given);
  await assertUserNameFree(em, organizationId, given.userName);
  const { input, unknownManager } = await withKnownManager(em, organizationId, given);
  const id = newRowId();
  const now = timestamp();
  const row = { ...userColumnsOf(input), id, organizationId, source, passwordHash, version: 1, createdAt: now, updatedAt: now };
  await insertRow(em, User, row);
  await countChange(em, organizationId, "users", 1);
  const values = await writeValues(em, organizationId, id, input, true);
  // Built from what was just written (a new user is in no group): its event needs no read-back either.
  const user = userRecordOf(row as User, values as UserValue[], []);
  await recordAudit(em, {
    organizationId, actor, action: "user.created", targetType: "user", targetId: id, targetUser: user,
    summary: { userName: input.userName, externalId: input.externalId ?? null, active: input.active ?? true, source, ...(unknownManager ? { unknownManager } : {}) },
  });
  return user;
}

/**
 * Deactivates a user in the caller's transaction for a reason of the identity core's own (an SSO login that maps to
 * no team): the same outcome as `active: false` through updateUser, sessions ended with it.
 */
export async function deactivateInTransaction(em: EntityManager, organizationId: string, id: string, actor: Actor, reason: string): Promise<void> {
  const version = await lockForWrite(em, "users", organizationId, id, {});
  await sql(em, "UPDATE users SET active = :active, version = :version, updated_at = :now WHERE id = :id AND organization_id = :organizationId",
    { active: false, version: version + 1, now: timestamp(), id, organizationId });
  const sessionsEnded = await endSessionsOfUser(em, organizationId, id, actor, "user_deactivated");
  await recordAudit(em, { organizationId, actor, action: "user.deactivated", targetType: "user", targetId: id, summary: { reason, sessionsEnded } });
}

/** The top-level fields whose before/after the audit log records (multi-valued ones are noted by name only). */
function changedFields(before: UserRecord, after: UserInput): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    if (["id", "organizationId", "source", "hasPassword", "version", "createdAt", "updatedAt", "groups", "password"].includes(key)) continue;
    const from = (before as unknown as Record<string, unknown>)[key] ?? null;
    const to = (after as unknown as Record<string, unknown>)[key] ?? null;
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    changes[key] = typeof from === "object" || typeof to === "object" ? { from: "…", to: "…" } : { from, to };
  }
  if (after.password) changes.password = { from: "…", to: "…" };
  return changes;
}

/** Thrown inside updateUser's transaction when the new state carries a password not hashed yet (see below). */
class PasswordToHash {
  constructor(readonly password: string) {}
}

/**
 * The one way to change a user. `change` receives the current state (read under a row lock) and returns the full
 * new state, so a PATCH is computed from what is really stored. Activation changes go through here too: a user
 * whose `active` turns false loses its sessions in the same transaction.
 */
export async function updateUser(
  db: Database, organizationId: string, id: string, change: (current: UserRecord) => UserInput | Promise<UserInput>,
  actor: Actor, options: WriteOptions = {},
): Promise<UserRecord> {
  // A password is hashed outside the transaction: scrypt takes ~90 ms, and on SQLite every other write would wait for
  // it (Okta sends a password with every PUT). The attempt that meets an unhashed one writes nothing and is run
  // again, with a fresh read, once the hash is ready.
  const hashes = new Map<string, string>();
  for (;;) {
    try {
      return await updateUserOnce(db, organizationId, id, change, actor, options, hashes);
    } catch (err) {
      if (!(err instanceof PasswordToHash) || hashes.size >= 3) throw err;
      hashes.set(err.password, await hashPassword(err.password));
    }
  }
}

function updateUserOnce(
  db: Database, organizationId: string, id: string, change: (current: UserRecord) => UserInput | Promise<UserInput>,
  actor: Actor, options: WriteOptions, hashes: Map<string, string>,
): Promise<UserRecord> {
  let userName = "";
  return uniquely(() => `userName "${userName}" is already taken in this organization`, () => db.transaction(async (em) => {
    const version = await lockForWrite(em, "users", organizationId, id, options);
    const [current] = await loadUsers(em, organizationId, [id]);
    const changed = await change(current);
    checkUserInput(changed);
    const { input: next, unknownManager } = await withKnownManager(em, organizationId, changed);
    userName = next.userName;
    const passwordHash = next.password ? hashes.get(next.password) : undefined;
    if (next.password && !passwordHash) throw new PasswordToHash(next.password);
    if (foldCase(next.userName) !== foldCase(current.userName)) await assertUserNameFree(em, organizationId, next.userName, id);
    const fields = changedFields(current, next);
    await em.update(User, { id, organizationId }, {
      ...userColumnsOf({ ...next, active: next.active ?? current.active }),
      ...(passwordHash ? { passwordHash } : {}),
      version: version + 1,
      updatedAt: timestamp(),
    });
    await writeValues(em, organizationId, id, next);
    const active = next.active ?? current.active;
    const action = current.active && !active ? "user.deactivated" : !current.active && active ? "user.reactivated" : "user.updated";
    // A deactivated user loses its sessions in this transaction: its very next request is refused.
    const sessionsEnded = action === "user.deactivated" ? await endSessionsOfUser(em, organizationId, id, actor, "user_deactivated") : 0;
    // Read under the lock: the answer (and its ETag) is the state this write made, not a later replica's.
    const [user] = await loadUsers(em, organizationId, [id]);
    await recordAudit(em, {
      organizationId, actor, action, targetType: "user", targetId: id, targetUser: user,
      summary: { userName: next.userName, changes: fields, ...(sessionsEnded ? { sessionsEnded } : {}), ...(unknownManager ? { unknownManager } : {}) },
    });
    return user;
  }));
}

export function setUserActive(db: Database, organizationId: string, id: string, active: boolean, actor: Actor, options: WriteOptions = {}) {
  return updateUser(db, organizationId, id, (current) => ({ ...current, active }), actor, options);
}

export const deactivateUser = (db: Database, organizationId: string, id: string, actor: Actor, options?: WriteOptions) =>
  setUserActive(db, organizationId, id, false, actor, options);
export const reactivateUser = (db: Database, organizationId: string, id: string, actor: Actor, options?: WriteOptions) =>
  setUserActive(db, organizationId, id, true, actor, options);

/** Why an admin may not change a user by hand, or null when they may: a SCIM user's state belongs to its IdP. */
export const managedElsewhere = (user: Pick<UserRecord, "source">): string | null => (user.source === "scim"
  ? "this user is managed by SCIM: deactivate or reactivate it at your identity provider, whose next push would undo a change made here"
  : null);

/**
 * An admin deactivates or reactivates a user by hand (the console): only a user the IdP does not manage (JIT or
 * manual), checked under the row lock. Deactivation ends the user's sessions in the same transaction (updateUser).
 */
export function setUserActiveByAdmin(db: Database, organizationId: string, id: string, active: boolean, actor: Actor) {
  return updateUser(db, organizationId, id, (current) => {
    const reason = managedElsewhere(current);
    if (reason) throw conflict(reason);
    return { ...current, active };
  }, actor);
}

/**
 * Signs a user out everywhere now (a lost laptop, a shared browser), without changing the user: its browser sessions
 * end; it can sign in again through SSO. Returns how many sessions ended.
 */
export async function endUserSessions(db: Database, organizationId: string, id: string, actor: Actor): Promise<number> {
  return db.transaction(async (em) => {
    const [user] = await sql<{ user_name: string }>(em, "SELECT user_name FROM users WHERE id = :id AND organization_id = :organizationId", { id, organizationId });
    if (!user) throw notFound("User", id);
    const sessionsEnded = await endSessionsOfUser(em, organizationId, id, actor, "ended_by_admin");
    await recordAudit(em, { organizationId, actor, action: "user.sessions_ended", targetType: "user", targetId: id, summary: { userName: user.user_name, sessionsEnded } });
    return sessionsEnded;
  });
}

/** Deletes a user and its memberships; the groups it leaves get a new version, as their member list changed. */
export async function deleteUser(db: Database, organizationId: string, id: string, actor: Actor, options: WriteOptions = {}): Promise<void> {
  await db.transaction(async (em) => {
    await lockForWrite(em, "users", organizationId, id, options);
    const user = await em.findOneByOrFail(User, { id, organizationId });
    await sql(em, `UPDATE groups SET version = version + 1, updated_at = :now
      WHERE organization_id = :organizationId AND id IN (SELECT group_id FROM group_members WHERE user_id = :id)`,
    { now: timestamp(), organizationId, id });
    await sql(em, "DELETE FROM group_members WHERE user_id = :id AND organization_id = :organizationId", { id, organizationId });
    for (const table of ["team_memberships", "external_identities"]) {
      await sql(em, `DELETE FROM ${table} WHERE user_id = :id AND organization_id = :organizationId`, { id, organizationId });
    }
    const sessionsEnded = await endSessionsOfUser(em, organizationId, id, actor, "user_deleted");
    await em.delete(UserValue, { userId: id });
    await em.delete(User, { id, organizationId });
    await countChange(em, organizationId, "users", -1);
    await recordAudit(em, {
      organizationId, actor, action: "user.deleted", targetType: "user", targetId: id,
      summary: { userName: user.userName, ...(sessionsEnded ? { sessionsEnded } : {}) },
    });
  });
}
