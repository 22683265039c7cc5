/**
 * PATCH on a Group, read as a GroupChange: membership becomes row steps (add, remove, removeAll, set) that the
 * identity layer applies in order in one transaction. The member list is never loaded and rewritten here, since
 * a read-modify-write of it loses updates under Okta's parallel pushes (scim-in-the-wild §4, fleet#50724).
 */
import type { GroupChange, MembershipChange } from "../identity/records.js";
import { invalidFilter, invalidPath, invalidValue, mutability, noTarget } from "./errors.js";
import { parsePatchPath, type FilterNode } from "./filter/parse.js";
import { field, inOperation, isObject, operationName, type PatchOperation } from "./patch.js";
import { groupType, resolveAttribute } from "./schemas.js";

type OpName = ReturnType<typeof operationName>;

/** A user id from `"u1"` or `{value: "u1", display?, type?, $ref?}` (Entra sends `$ref: null`). */
function memberIds(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value];
  const ids = items.map((item, i) => {
    const id = isObject(item) ? field(item, "value") : item;
    if (typeof id !== "string" || id === "") throw invalidValue(`members[${i}] must be a user id or an object with a 'value' user id`);
    return id;
  });
  return [...new Set(ids)];
}

/**
 * `value eq "u1"`, or several joined by `or`: the only member filters that name users without reading the whole
 * list. Unquoted ids arrive as numbers from the parser and are taken as text.
 */
function filteredIds(node: FilterNode): string[] {
  if (node.kind === "or") return [...new Set([...filteredIds(node.left), ...filteredIds(node.right)])];
  const byValue = node.kind === "compare" && node.op === "eq" && node.path.name.toLowerCase() === "value" && !node.path.uri && !node.path.sub;
  if (byValue && (typeof node.value === "string" || typeof node.value === "number")) return [String(node.value)];
  throw invalidFilter(`members can only be selected by 'value eq "<user id>"', alone or joined with 'or'`);
}

/**
 * One membership step, or none when the value lists nobody. A remove with a value removes only the listed users
 * (Entra, JumpCloud): treating it as "remove everyone" is a known way to empty groups (ssoready PR #182).
 */
function membersStep(op: OpName, value: unknown, filter?: FilterNode): MembershipChange | undefined {
  if (filter) {
    if (op !== "remove") throw invalidPath(`${op} takes the path 'members', without a filter`);
    return { op: "remove", userIds: filteredIds(filter) };
  }
  if (op === "replace") return { op: "set", userIds: value === null ? [] : memberIds(value) };
  if (op === "remove" && (value === undefined || value === null)) return { op: "removeAll" };
  const userIds = memberIds(value);
  return userIds.length ? { op, userIds } : undefined;
}

function patchDisplayName(change: GroupChange, op: OpName, value: unknown): void {
  // RFC 7644 §3.5.2.2: unassigning a required attribute is a mutability error.
  if (op === "remove" || value === null) throw mutability("displayName is required and cannot be removed");
  if (typeof value !== "string" || !value.trim()) throw invalidValue("displayName must be a non-empty string");
  change.displayName = value;
}

function patchExternalId(change: GroupChange, op: OpName, value: unknown): void {
  if (op === "remove" || value === null) {
    change.externalId = null;
    return;
  }
  if (typeof value !== "string") throw invalidValue("externalId must be a string or null");
  change.externalId = value;
}

interface Steps { change: GroupChange; members: MembershipChange[] }

/** The Group attributes a client may write; `id` and `meta` are readOnly. */
type Writable = "members" | "displayName" | "externalId";
const isWritable = (name: string): name is Writable => name === "members" || name === "displayName" || name === "externalId";

function patchAttribute(steps: Steps, name: Writable, op: OpName, value: unknown, filter?: FilterNode): void {
  switch (name) {
    case "members": {
      const step = membersStep(op, value, filter);
      if (step) steps.members.push(step);
      return;
    }
    case "displayName": return patchDisplayName(steps.change, op, value);
    case "externalId": return patchExternalId(steps.change, op, value);
  }
}

/**
 * A no-path value: `displayName`, `externalId`, `members` (set for replace, add for add). Okta sends the group's
 * `id` on every push, so `id` is accepted when it is this group's. Other keys (`schemas`, `meta`, unknown URNs)
 * are ignored, as on POST and PUT; only the key's own attribute changes (langwatch#7131).
 */
function patchValueObject(groupId: string, steps: Steps, op: OpName, value: Record<string, unknown>): void {
  for (const [key, item] of Object.entries(value)) {
    const colon = key.lastIndexOf(":");
    const name = resolveAttribute(groupType, key.slice(colon + 1), colon < 0 ? undefined : key.slice(0, colon))?.def.name;
    if (name === "id") {
      if (item !== groupId) throw mutability(`id is readOnly: ${JSON.stringify(item)} is not this group's id`);
    } else if (name !== undefined && isWritable(name)) {
      patchAttribute(steps, name, op, item);
    }
  }
}

function patchGroupOperation(groupId: string, steps: Steps, operation: PatchOperation): void {
  const op = operationName(operation.op);
  const { path, value } = operation;
  if (path === undefined) {
    if (op === "remove") throw noTarget("remove needs a path naming what to remove");
    if (!isObject(value)) throw invalidValue(`${op} without a path needs an object value`);
    return patchValueObject(groupId, steps, op, value);
  }
  const { path: attr, valueFilter, subAttribute } = parsePatchPath(path);
  const def = resolveAttribute(groupType, attr.name, attr.uri)?.def;
  if (!def) throw invalidPath(`Group has no attribute '${path}'`);
  if (!isWritable(def.name)) throw mutability(`${def.name} is readOnly and cannot be patched`);
  if (attr.sub !== undefined || subAttribute !== undefined) throw invalidPath(`'${path}': patch whole members, displayName or externalId`);
  if (valueFilter && def.name !== "members") throw invalidPath(`'${def.name}' is single-valued: it takes no [filter]`);
  patchAttribute(steps, def.name, op, value, valueFilter);
}

/** Reads validated PATCH operations (see readPatchRequest) on group `groupId` into one GroupChange. */
export function groupChangeOf(groupId: string, operations: PatchOperation[]): GroupChange {
  const steps: Steps = { change: {}, members: [] };
  operations.forEach((operation, i) => inOperation(i, () => patchGroupOperation(groupId, steps, operation)));
  return steps.members.length ? { ...steps.change, members: steps.members } : steps.change;
}
