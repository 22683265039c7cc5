import { ScimObject } from "./resource-input.js";
import { extensionUrns, findByName, resolveAttribute, ResourceTypeDef } from "./schemas.js";

/** RFC 7644 §3.9 `attributes` / `excludedAttributes`, applied to a rendered resource. */
export interface Projection {
  attributes?: string[];
  excludedAttributes?: string[];
}

interface AttributeRef { container: string; name: string; sub?: string }

/** Resolves `name`, `name.sub` or a URN-qualified form to where the value sits in rendered JSON; null if unknown. */
function refOf(type: ResourceTypeDef, text: string): AttributeRef | null {
  let uri: string | undefined;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const urn = [type.schema, ...extensionUrns(type)].find((u) => text.toLowerCase().startsWith(u.toLowerCase() + ":"));
    if (!urn) return null;
    uri = urn;
    rest = text.slice(urn.length + 1);
  }
  const [name, sub] = rest.split(".", 2);
  const resolved = resolveAttribute(type, name, uri);
  if (!resolved) return null;
  const subDef = sub === undefined ? undefined : findByName(resolved.def.subAttributes ?? [], sub);
  if (sub !== undefined && !subDef) return null;
  return { container: resolved.schema, name: resolved.def.name, sub: subDef?.name };
}

const refsOf = (type: ResourceTypeDef, list: string[]) => list.map((t) => refOf(type, t)).filter((r): r is AttributeRef => r !== null);

/** Attributes with returned:always (RFC 7643 §2.4) survive any projection. */
const ALWAYS = new Set(["schemas", "id"]);

function pick(value: unknown, sub: string): unknown {
  if (Array.isArray(value)) return value.map((v) => pick(v, sub)).filter((v) => v !== undefined && Object.keys(v as object).length);
  if (typeof value === "object" && value !== null && sub in value) return { [sub]: (value as ScimObject)[sub] };
  return undefined;
}

function include(resource: ScimObject, refs: AttributeRef[]): ScimObject {
  const out: ScimObject = {};
  for (const key of Object.keys(resource)) if (ALWAYS.has(key)) out[key] = resource[key];
  for (const ref of refs) {
    const source = ref.container ? (resource[ref.container] as ScimObject | undefined) : resource;
    if (!source || source[ref.name] === undefined) continue;
    const target = ref.container ? ((out[ref.container] as ScimObject | undefined) ?? (out[ref.container] = {}) as ScimObject) : out;
    if (ref.sub === undefined) target[ref.name] = source[ref.name];
    else {
      const picked = pick(source[ref.name], ref.sub);
      if (picked === undefined) continue;
      const existing = target[ref.name];
      target[ref.name] = Array.isArray(picked) && Array.isArray(existing)
        ? picked.map((p, i) => ({ ...(existing[i] as object), ...(p as object) }))
        : typeof existing === "object" && existing !== null ? { ...existing, ...(picked as object) } : picked;
    }
  }
  return out;
}

function exclude(resource: ScimObject, refs: AttributeRef[]): ScimObject {
  const out: ScimObject = structuredClone(resource);
  for (const ref of refs) {
    const source = ref.container ? (out[ref.container] as ScimObject | undefined) : out;
    if (!source || (ALWAYS.has(ref.name) && !ref.container)) continue;
    if (ref.sub === undefined) delete source[ref.name];
    else for (const item of [source[ref.name]].flat()) if (item && typeof item === "object") delete (item as ScimObject)[ref.sub];
    if (ref.container && Object.keys(source).length === 0) delete out[ref.container];
  }
  return out;
}

export function project(type: ResourceTypeDef, resource: ScimObject, projection: Projection): ScimObject {
  if (projection.attributes?.length) return include(resource, refsOf(type, projection.attributes));
  if (projection.excludedAttributes?.length) return exclude(resource, refsOf(type, projection.excludedAttributes));
  return resource;
}

/** Whether the response will contain a top-level attribute, so that callers skip loading what is not shown. */
export function shows(type: ResourceTypeDef, projection: Projection, name: string): boolean {
  const matches = (list: string[]) => refsOf(type, list).some((r) => !r.container && r.name === name);
  if (projection.attributes?.length) return matches(projection.attributes);
  if (projection.excludedAttributes?.length) return !refsOf(type, projection.excludedAttributes).some((r) => !r.container && r.name === name && r.sub === undefined);
  return true;
}
