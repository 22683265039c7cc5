import { MAX_KEY_LENGTH, MAX_TEXT_LENGTH, unstorableText } from "../identity/text.js";
import { invalidSyntax, invalidValue } from "./errors.js";
import { AttributeDef, coreAttributes, extensionUrns, findByName, ResourceTypeDef, schemaByUrn } from "./schemas.js";

/**
 * Reads a resource body into canonical SCIM JSON: attribute names in their schema's spelling (RFC 7643 §2.1), `null`
 * as unassigned (§2.5), a single object for a multi-valued attribute as a list of one. Unknown attributes are dropped
 * (never echoed); readOnly ones are ignored as §2.2 says. Type errors → 400. IdP quirks (`"False"`, a bare-id
 * `manager`, unknown schema URIs) were rewritten before, once per request, by dialects/.
 */
export type ScimObject = Record<string, unknown>;

/** Attributes stored in indexed columns (lookups, uniqueness) are kept short enough for any index. */
const KEY_ATTRIBUTES = new Set(["userName", "externalId", "displayName"]);


const isObject = (v: unknown): v is ScimObject => typeof v === "object" && v !== null && !Array.isArray(v);

function scalar(def: AttributeDef, value: unknown, where: string): unknown {
  switch (def.type) {
    case "boolean":
      if (typeof value === "boolean") return value;
      throw invalidValue(`${where} must be a boolean`);
    case "integer":
    case "decimal":
      if (typeof value === "number" && Number.isFinite(value) && (def.type === "decimal" || Number.isInteger(value))) return value;
      throw invalidValue(`${where} must be ${def.type === "integer" ? "an integer" : "a number"}`);
    case "dateTime":
      if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return value;
      throw invalidValue(`${where} must be an ISO 8601 date-time`);
    default: {
      // Some IdPs send numbers for descriptive strings (employeeNumber): the meaning is unambiguous. A number
      // where an identifier belongs (userName) is a mapping mistake on the IdP's side, better refused.
      const key = KEY_ATTRIBUTES.has(def.name);
      const text = typeof value === "number" && !key ? String(value) : value;
      if (typeof text !== "string") throw invalidValue(`${where} must be a string`);
      const problem = unstorableText(text, key ? MAX_KEY_LENGTH : MAX_TEXT_LENGTH);
      if (problem) throw invalidValue(`${where} ${problem}`);
      return text;
    }
  }
}

function complex(def: AttributeDef, value: unknown, where: string): ScimObject {
  if (!isObject(value)) throw invalidValue(`${where} must be an object`);
  return attributes(def.subAttributes ?? [], value, where);
}

function single(def: AttributeDef, value: unknown, where: string): unknown {
  return def.type === "complex" ? complex(def, value, where) : scalar(def, value, where);
}

/** Coerces one attribute's value; undefined means "unassigned". */
export function attributeValue(def: AttributeDef, value: unknown, where = def.name): unknown {
  if (value === null || value === undefined) return undefined;
  if (def.multiValued) {
    const items = Array.isArray(value) ? value : [value];
    const values = items.filter((v) => v !== null && v !== undefined).map((v, i) => single(def, v, `${where}[${i}]`));
    // RFC 7643 §2.4: the primary attribute value true MUST appear no more than once.
    if (values.filter((v) => isObject(v) && v.primary === true).length > 1) throw invalidValue(`only one of ${where} may be primary`);
    return values;
  }
  if (Array.isArray(value)) throw invalidValue(`${where} is single-valued but an array was given`);
  return single(def, value, where);
}

function attributes(defs: AttributeDef[], body: ScimObject, where?: string): ScimObject {
  const out: ScimObject = {};
  for (const [key, value] of Object.entries(body)) {
    const def = findByName(defs, key);
    if (!def || def.mutability === "readOnly") continue;
    const coerced = attributeValue(def, value, where ? `${where}.${def.name}` : def.name);
    if (coerced !== undefined) out[def.name] = coerced;
  }
  return out;
}

export function readResource(type: ResourceTypeDef, body: unknown): ScimObject {
  if (!isObject(body)) throw invalidSyntax("the request body must be a JSON object");
  if (body.schemas !== undefined && (!Array.isArray(body.schemas) || body.schemas.some((s) => typeof s !== "string"))) {
    throw invalidSyntax("schemas must be an array of schema URIs");
  }
  const out = attributes(coreAttributes(type), body);
  const extensions = new Map(extensionUrns(type).map((urn) => [urn.toLowerCase(), urn]));
  for (const [key, value] of Object.entries(body)) {
    const urn = extensions.get(key.toLowerCase());
    if (!urn || value === null || value === undefined) continue;
    if (!isObject(value)) throw invalidValue(`${urn} must be an object`);
    const ext = attributes(schemaByUrn(urn)!.attributes, value, urn);
    if (Object.keys(ext).length) out[urn] = ext;
  }
  return out;
}
