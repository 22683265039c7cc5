/**
 * Where a request body holds attribute values, and which schema attribute each one is, so that the dialect rules can
 * rewrite them before any handler validates the body: POST and PUT resources, PATCH operations, and the operations
 * of a Bulk request (RFC 7644 §3.7), each read by its own method and path. The body is rewritten in place: it is
 * this request's own parse. Anything unexpected is left alone for the handlers to refuse with the right error.
 */
import { ScimError } from "../errors.js";
import { parsePatchPath } from "../filter/parse.js";
import { extensionUrns, findByName, resolveAttribute, resourceTypes, type AttributeDef, type ResourceTypeDef } from "../schemas.js";
import type { ScimObject } from "../resource-input.js";
import { booleanString, lowerCaseOp, singleValue } from "./entra.js";
import { dropUnknownSchemaUris } from "./schema-uris.js";
import { field, isObject, keyOf, type Note } from "./request.js";

/** One attribute's value through the value rules, then each sub-attribute of a complex value. */
function attribute(def: AttributeDef, value: unknown, note: Note, operationValue = false): unknown {
  const v = booleanString(def, singleValue(def, value, note, operationValue), note);
  if (def.type !== "complex") return v;
  const element = (e: unknown) => {
    if (!isObject(e)) return e;
    for (const [key, item] of Object.entries(e)) {
      const sub = findByName(def.subAttributes ?? [], key);
      if (sub) e[key] = attribute(sub, item, note);
    }
    return e;
  };
  return def.multiValued && Array.isArray(v) ? v.map(element) : element(v);
}

/**
 * The attribute whose value sits at `path`: the sub-attribute for `name.givenName` or `emails[type eq "work"].value`,
 * one element for `emails[type eq "work"]`. Undefined for a path that names nothing (the handler says why).
 */
function target(type: ResourceTypeDef, path: string, extension?: string): AttributeDef | undefined {
  let parsed;
  try {
    parsed = parsePatchPath(path);
  } catch (err) {
    if (err instanceof ScimError) return undefined;
    throw err;
  }
  const def = resolveAttribute(type, parsed.path.name, parsed.path.uri ?? extension)?.def;
  if (!def) return undefined;
  const sub = parsed.path.sub ?? parsed.subAttribute;
  if (sub !== undefined) return findByName(def.subAttributes ?? [], sub);
  return parsed.valueFilter ? { ...def, multiValued: false } : def;
}

const extensionNamed = (type: ResourceTypeDef, key: string) => extensionUrns(type).find((urn) => urn.toLowerCase() === key.toLowerCase());

/** The attributes of one extension, keyed by name (or by path, in a PATCH value). */
function extension(type: ResourceTypeDef, urn: string, value: ScimObject, note: Note, operationValue: boolean): void {
  for (const [key, item] of Object.entries(value)) {
    const def = target(type, key, urn);
    if (def) value[key] = attribute(def, item, note, operationValue);
  }
}

/**
 * A resource-shaped object: a POST or PUT body, or a PATCH value without a path, whose keys patch.ts reads as paths
 * (`name.givenName`, URN-qualified names); each key's value is what that operation sets.
 */
function resource(type: ResourceTypeDef, body: ScimObject, note: Note, operationValue: boolean): void {
  dropUnknownSchemaUris(type, body, note);
  for (const [key, value] of Object.entries(body)) {
    const urn = extensionNamed(type, key);
    if (urn) {
      if (isObject(value)) extension(type, urn, value, note, operationValue);
      continue;
    }
    const def = target(type, key);
    if (def) body[key] = attribute(def, value, note, operationValue);
  }
}

function patchOperations(type: ResourceTypeDef, body: ScimObject, note: Note): void {
  const operations = field(body, "Operations");
  if (!Array.isArray(operations)) return;
  for (const operation of operations) {
    if (!isObject(operation)) continue;
    lowerCaseOp(operation, note);
    const valueKey = keyOf(operation, "value");
    if (valueKey === undefined) continue;
    const path = field(operation, "path");
    const value = operation[valueKey];
    if (typeof path !== "string" || path === "") {
      if (isObject(value)) resource(type, value, note, true);
      continue;
    }
    const urn = extensionNamed(type, path);
    if (urn) {
      if (isObject(value)) extension(type, urn, value, note, true);
      continue;
    }
    const def = target(type, path);
    if (def) operation[valueKey] = attribute(def, value, note, true);
  }
}

/** A BulkRequest's operations, each by its own method and path; nested Bulk requests are not looked into. */
function bulkOperations(body: ScimObject, note: Note): void {
  const operations = field(body, "Operations");
  if (!Array.isArray(operations)) return;
  for (const operation of operations) {
    if (!isObject(operation)) continue;
    const method = field(operation, "method");
    const path = field(operation, "path");
    if (typeof method === "string" && typeof path === "string") normaliseBody(method.toUpperCase(), path, field(operation, "data"), note, false);
  }
}

/** Rewrites the body of `method path` (path relative to /scim/v2) in place, recording each rewrite with `note`. */
export function normaliseBody(method: string, path: string, body: unknown, note: Note, mayBeBulk = true): void {
  if (!isObject(body)) return;
  const [, endpoint = "", id, ...rest] = path.split("/");
  if (mayBeBulk && method === "POST" && endpoint.toLowerCase() === "bulk" && id === undefined) return bulkOperations(body, note);
  const type = resourceTypes.find((t) => t.endpoint.toLowerCase() === `/${endpoint.toLowerCase()}`);
  if (!type || rest.length || id === ".search") return;
  if (method === "PATCH" && id) patchOperations(type, body, note);
  else if ((method === "POST" && !id) || (method === "PUT" && id)) resource(type, body, note, false);
}
