/**
 * RFC 7644 §3.5.2 PATCH, applied in memory to one resource's SCIM JSON (Users; Group membership goes through
 * group-patch.ts as row operations). The input is cloned first and every error is thrown before anything is
 * returned, so a failing operation leaves the caller with nothing to write: that is the whole of atomicity here.
 *
 * Shapes accepted beyond the RFC (scim-in-the-wild §1.1, §1.5): no-path values whose keys are paths (`name.givenName`,
 * URN-qualified names), and Entra's filtered path on an element that does not exist yet, which creates it. Legacy
 * Entra's `Replace`, `"False"` and wrapped single values were rewritten before, by dialects/.
 */
import { isDeepStrictEqual } from "node:util";
import { invalidPath, invalidSyntax, invalidValue, mutability, noTarget, ScimError } from "./errors.js";
import { matchesElement } from "./filter/match.js";
import { parsePatchPath, type FilterNode } from "./filter/parse.js";
import { attributeValue, type ScimObject } from "./resource-input.js";
import { extensionUrns, findByName, PATCH_OP_URN, resolveAttribute, type AttributeDef, type ResourceTypeDef } from "./schemas.js";

export interface PatchOperation { op: string; path?: string; value?: unknown }
type OpName = "add" | "replace" | "remove";

export const MAX_OPERATIONS = 1000;

export const isObject = (v: unknown): v is ScimObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** A message or element member by case-insensitive name (RFC 7643 §2.1): `Operations`, `Value`. */
export function field(object: ScimObject, name: string): unknown {
  const key = Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : object[key];
}

/** RFC 7644 §3.5.2's three ops (dialects/entra.ts lowercases Entra's legacy `Replace` before this sees it). */
export function operationName(op: unknown): OpName {
  if (op === "add" || op === "replace" || op === "remove") return op;
  throw invalidSyntax(`op must be "add", "replace" or "remove", not ${JSON.stringify(op) ?? "missing"}`);
}

/** Runs one operation's step, prefixing any error with the operation's index so the IdP's log says which one. */
export function inOperation<T>(index: number, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof ScimError) throw new ScimError(err.status, err.scimType, `Operations[${index}]: ${err.message}`);
    throw err;
  }
}

function readOperation(raw: unknown): PatchOperation {
  if (!isObject(raw)) throw invalidSyntax("each operation must be an object with op, path and value");
  const op = operationName(field(raw, "op"));
  const path = field(raw, "path");
  const value = field(raw, "value");
  if (path !== undefined && path !== null && (typeof path !== "string" || path === "")) {
    throw invalidPath("path must be a non-empty string");
  }
  const operation: PatchOperation = { op, ...(typeof path === "string" ? { path } : {}), ...(value !== undefined ? { value } : {}) };
  if (operation.path === undefined) {
    // RFC 7644 §3.5.2.2 names the error for a remove without a path: noTarget.
    if (op === "remove") throw noTarget("remove needs a path naming what to remove");
    if (!isObject(value)) throw invalidValue(`${op} without a path needs an object value holding the attributes to ${op}`);
  } else if (op !== "remove" && value === undefined) {
    throw invalidValue(`${op} needs a value`);
  }
  return operation;
}

/** Validates a PatchOp message and returns its operations. */
export function readPatchRequest(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw invalidSyntax("the PATCH body must be a JSON object (a PatchOp message)");
  const schemas = field(body, "schemas");
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === "string" && s.toLowerCase() === PATCH_OP_URN.toLowerCase())) {
    throw invalidSyntax(`schemas must contain "${PATCH_OP_URN}"`);
  }
  const operations = field(body, "Operations");
  if (!Array.isArray(operations) || operations.length === 0) throw invalidSyntax("Operations must be a non-empty array");
  if (operations.length > MAX_OPERATIONS) throw invalidSyntax(`at most ${MAX_OPERATIONS} operations per request, got ${operations.length}`);
  return operations.map((raw, i) => inOperation(i, () => readOperation(raw)));
}

/** What a path names: a top-level attribute, and within it an optional element filter and sub-attribute. */
interface Target {
  text: string;
  /** The extension URN whose object holds the attribute; undefined for core and common attributes. */
  extension?: string;
  def: AttributeDef;
  filter?: FilterNode;
  sub?: AttributeDef;
}

function filterNames(node: FilterNode): { uri?: string; name: string; sub?: string }[] {
  switch (node.kind) {
    case "and":
    case "or": return [...filterNames(node.left), ...filterNames(node.right)];
    case "not": return filterNames(node.filter);
    default: return [node.path];
  }
}

/** `defaultUri` qualifies bare names inside a whole-extension value. */
function resolveTarget(type: ResourceTypeDef, text: string, defaultUri?: string): Target {
  const { path, valueFilter, subAttribute } = parsePatchPath(text);
  const found = resolveAttribute(type, path.name, path.uri ?? defaultUri);
  if (!found) throw invalidPath(`${type.name} has no attribute '${text}'`);
  const { def } = found;
  const subs = def.subAttributes ?? [];
  if (valueFilter) {
    if (!def.multiValued || def.type !== "complex") throw invalidPath(`'${def.name}' is not a multi-valued complex attribute: it takes no [filter]`);
    const unknown = filterNames(valueFilter).find((p) => p.uri !== undefined || p.sub !== undefined || !findByName(subs, p.name));
    if (unknown) throw invalidPath(`'${def.name}' has no sub-attribute '${unknown.name}' to filter on`);
  }
  const subName = path.sub ?? subAttribute;
  const sub = subName === undefined ? undefined : findByName(subs, subName);
  if (subName !== undefined && !sub) throw invalidPath(`'${def.name}' has no sub-attribute '${subName}'`);
  return { text, ...(found.schema ? { extension: found.schema } : {}), def, ...(valueFilter ? { filter: valueFilter } : {}), ...(sub ? { sub } : {}) };
}

const isReadOnly = (t: Target) => t.def.mutability === "readOnly" || t.sub?.mutability === "readOnly";

/** RFC 7644 §3.5.2: operations must respect mutability. Immutable attributes are refused too (User has none). */
function checkWritable(t: Target): void {
  if (isReadOnly(t) || t.def.mutability === "immutable" || t.sub?.mutability === "immutable") {
    throw mutability(`'${t.text}' is ${isReadOnly(t) ? "readOnly" : "immutable"} and cannot be patched`);
  }
}

const element = (def: AttributeDef): AttributeDef => ({ ...def, multiValued: false });

const elementsOf = (container: ScimObject, def: AttributeDef): ScimObject[] => {
  const list = container[def.name];
  return Array.isArray(list) ? list.filter(isObject) : [];
};

/** Stores an attribute; empty lists and objects are removed, so "no value" has one shape. */
function write(container: ScimObject, def: AttributeDef, value: unknown): void {
  const empty = value === undefined || (Array.isArray(value) && !value.length) || (isObject(value) && !Object.keys(value).length);
  if (!empty) {
    container[def.name] = value;
    return;
  }
  // RFC 7644 §3.5.2.2: removing or unassigning a required attribute is a mutability error.
  if (def.required) throw mutability(`'${def.name}' is required and cannot be removed`);
  // An account is either active or not: "unassigned" would leave it as it was, and the IdP believing otherwise.
  if (def.name === "active") throw invalidValue("'active' cannot be removed: a user is active or not. Send replace active false to deactivate.");
  delete container[def.name];
}

/** RFC 7643 §2.4: at most one primary value. Setting one clears the flag on the others. */
function settlePrimary(def: AttributeDef, list: ScimObject[], touched: ScimObject[]): void {
  const chosen = touched.filter((e) => e.primary === true);
  if (chosen.length > 1) throw invalidValue(`only one of ${def.name} may be primary`);
  if (chosen.length) for (const e of list) if (e !== chosen[0] && e.primary === true) e.primary = false;
}

/**
 * Single-valued attribute. A complex value merges into the current one (RFC 7644 §3.5.2.1 and §3.5.2.3), except
 * when it brings a new `value`: then it is a reference to something else (`manager`), and a `$ref` or display
 * name kept from the old one would describe the wrong user.
 */
function patchSingle(container: ScimObject, t: Target, op: OpName, value: unknown): void {
  const { def, sub } = t;
  const current = container[def.name];
  if (!sub) {
    const v = op === "remove" ? undefined : attributeValue(def, value, t.text);
    write(container, def, isObject(v) && isObject(current) && !("value" in v) ? { ...current, ...v } : v);
    return;
  }
  const v = op === "remove" ? undefined : attributeValue(sub, value, t.text);
  const next: ScimObject = isObject(current) ? { ...current } : {};
  if (v === undefined) delete next[sub.name];
  else next[sub.name] = v;
  write(container, def, next);
}

/** `value` elements to remove when a remove names the whole list but carries a value: each matches by its fields. */
function removeListed(container: ScimObject, t: Target, value: unknown): void {
  const listed = (attributeValue(t.def, value, t.text) ?? []) as ScimObject[];
  if (!listed.length) return;
  const current = elementsOf(container, t.def);
  const kept = current.filter((e) => !listed.some((l) => Object.entries(l).every(([k, v]) => isDeepStrictEqual(e[k], v))));
  if (kept.length === current.length) throw noTarget(`no value of '${t.def.name}' matches the values to remove`);
  write(container, t.def, kept);
}

/** Multi-valued attribute named alone: add appends new values, replace sets the list, remove drops it. */
function patchList(container: ScimObject, t: Target, op: OpName, value: unknown): void {
  const { def } = t;
  // A value on remove lists what to remove (Entra sends it for members); without one, everything goes.
  if (op === "remove" && value !== undefined && value !== null) return removeListed(container, t, value);
  if (op === "remove") return write(container, def, undefined);
  const items = (attributeValue(def, value, t.text) ?? []) as ScimObject[];
  if (op === "replace") {
    settlePrimary(def, items, items);
    return write(container, def, items);
  }
  const current = elementsOf(container, def);
  const added = items.filter((item) => !current.some((e) => isDeepStrictEqual(e, item)));
  const list = [...current, ...added];
  settlePrimary(def, list, added);
  write(container, def, list);
}

/**
 * The element a filter describes, for Entra's filtered path on an absent value: its `eq` conditions joined by
 * `and` become the fields (`type eq "work"` → `{type: "work"}`). Any other filter describes no single element.
 */
function elementFromFilter(t: Target): ScimObject | null {
  const subs = t.def.subAttributes ?? [];
  const fields: ScimObject = {};
  const collect = (node: FilterNode): boolean => {
    if (node.kind === "and") return collect(node.left) && collect(node.right);
    if (node.kind !== "compare" || node.op !== "eq" || node.value === null) return false;
    const sub = findByName(subs, node.path.name)!;
    fields[sub.name] = attributeValue(sub, node.value, `${t.def.name}.${sub.name}`);
    return true;
  };
  return !t.filter || collect(t.filter) ? fields : null;
}

/**
 * Multi-valued attribute with a filter and/or a sub-attribute (`emails[type eq "work"].value`, `emails.value`):
 * only the matching elements change (all of them without a filter). A match-less remove is noTarget (RFC); a
 * match-less add, or replace of a sub-attribute, creates the element the filter describes (Entra).
 */
function patchElements(container: ScimObject, t: Target, op: OpName, value: unknown): void {
  const { def, filter, sub } = t;
  const list = elementsOf(container, def);
  const caseExact = (name: string) => findByName(def.subAttributes ?? [], name)?.caseExact === true;
  const matched = filter ? list.filter((e) => matchesElement(filter, e, caseExact)) : [...list];
  const v = op === "remove" ? undefined : attributeValue(sub ?? element(def), value, t.text);
  if (v === undefined) {
    if (!matched.length && op === "remove" && filter) throw noTarget(`no value of '${def.name}' matches ${t.text}`);
    if (sub) for (const e of matched) delete e[sub.name];
    return write(container, def, sub ? list : list.filter((e) => !matched.includes(e)));
  }
  const fields = sub ? { [sub.name]: v } : (v as ScimObject);
  if (matched.length) {
    for (const e of matched) Object.assign(e, fields);
    // Only a primary set by this operation counts: the values merely matched may carry theirs from before.
    if (fields.primary === true) settlePrimary(def, list, matched);
  } else {
    const described = op === "add" || sub ? elementFromFilter(t) : null;
    if (!described) throw noTarget(`no value of '${def.name}' matches ${t.text}`);
    const created = { ...described, ...fields };
    list.push(created);
    settlePrimary(def, list, [created]);
  }
  write(container, def, list);
}

function containerOf(resource: ScimObject, extension: string | undefined): ScimObject {
  if (!extension) return resource;
  if (!isObject(resource[extension])) resource[extension] = {};
  return resource[extension] as ScimObject;
}

function patchTarget(resource: ScimObject, t: Target, op: OpName, value: unknown): void {
  checkWritable(t);
  const container = containerOf(resource, t.extension);
  if (!t.def.multiValued) patchSingle(container, t, op, value);
  else if (t.filter || t.sub) patchElements(container, t, op, value);
  else patchList(container, t, op, value);
}

const extensionNamed = (type: ResourceTypeDef, name: string) => extensionUrns(type).find((urn) => urn.toLowerCase() === name.toLowerCase());

/**
 * A no-path value, or a whole-extension value: each key is a path of its own (`name.givenName`, URN-qualified
 * names, as Entra's aadOptscim062020 mode sends them). Keys naming no attribute are dropped, as readResource drops
 * them on POST and PUT; readOnly ones (Okta's `id`, `meta`, `groups`) are ignored as RFC 7643 §2.2 says.
 */
function patchValueObject(type: ResourceTypeDef, resource: ScimObject, op: OpName, value: ScimObject, extension?: string): void {
  for (const [key, item] of Object.entries(value)) {
    const urn = extension ? undefined : extensionNamed(type, key);
    if (urn) {
      patchExtension(type, resource, urn, op, item);
      continue;
    }
    let target: Target;
    try {
      target = resolveTarget(type, key, extension);
    } catch (err) {
      if (err instanceof ScimError && err.scimType === "invalidPath") continue;
      throw err;
    }
    if (!isReadOnly(target)) patchTarget(resource, target, op, item);
  }
}

/** The whole enterprise extension: remove drops it; add and replace merge its attributes like a complex value. */
function patchExtension(type: ResourceTypeDef, resource: ScimObject, urn: string, op: OpName, value: unknown): void {
  if (op === "remove" || value === null) {
    delete resource[urn];
    return;
  }
  if (!isObject(value)) throw invalidValue(`${urn} takes an object of its attributes`);
  patchValueObject(type, resource, op, value, urn);
}

function applyOperation(type: ResourceTypeDef, resource: ScimObject, operation: PatchOperation): void {
  const op = operationName(operation.op);
  const { path, value } = operation;
  if (path === undefined) {
    if (op === "remove") throw noTarget("remove needs a path naming what to remove");
    if (!isObject(value)) throw invalidValue(`${op} without a path needs an object value`);
    return patchValueObject(type, resource, op, value);
  }
  const urn = extensionNamed(type, path);
  if (urn) return patchExtension(type, resource, urn, op, value);
  patchTarget(resource, resolveTarget(type, path), op, value);
}

/**
 * Applies `operations` in order to a copy of `resource` (canonical SCIM JSON, extensions under their URN) and
 * returns the copy; the input is never modified. The caller validates the result and stores it whole.
 */
export function applyPatch(type: ResourceTypeDef, resource: Record<string, unknown>, operations: PatchOperation[]): Record<string, unknown> {
  const result = structuredClone(resource);
  operations.forEach((operation, i) => inOperation(i, () => applyOperation(type, result, operation)));
  for (const urn of extensionUrns(type)) {
    const ext = result[urn];
    if (isObject(ext) && !Object.keys(ext).length) delete result[urn];
  }
  return result;
}
