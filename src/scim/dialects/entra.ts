/**
 * Microsoft Entra ID (Azure AD). Sources: MicrosoftDocs/entra-docs `use-scim-to-provision-users-and-groups.md` and
 * `application-provisioning-config-problem-scim-compatibility.md`; scim-in-the-wild §1.1 and §1.5.
 *
 * Entra speaks two PATCH dialects. Without `aadOptscim062020` on the tenant URL ("legacy"): ops `Replace`/`Add`/
 * `Remove`, booleans as `"False"`, a manager as a bare id or `[{"$ref":null,"value":…}]`. With it: RFC ops and
 * booleans, plus no-path replaces with dotted and URN keys, which patch.ts reads as paths. The rules below rewrite
 * the legacy shapes; each touches only input that would otherwise be refused.
 */
import { findByName, type AttributeDef } from "../schemas.js";
import { isObject, keyOf, userAgent, type Note, type RequestInfo } from "./request.js";

/** The flag is part of the tenant URL, so Entra sends it in the query of every request, whatever the path. */
const FLAG = "aadoptscim062020";
/** Entra's User-Agent reads "Microsoft Azure AD SCIM provisioning <version>"; newer builds may say Entra. */
const USER_AGENT = /azure ad scim|microsoft.*\bscim\b|\bentra\b/i;

export function detectEntra(req: RequestInfo): string | undefined {
  if (Object.keys(req.query).some((k) => k.toLowerCase() === FLAG)) return "entra";
  return USER_AGENT.test(userAgent(req)) ? "entra-legacy" : undefined;
}

const OPS = new Set(["add", "replace", "remove"]);

/** Legacy PATCH capitalises ops; RFC 7644 §3.5.2 spells them "add", "replace", "remove". */
export function lowerCaseOp(operation: Record<string, unknown>, note: Note): void {
  const key = keyOf(operation, "op");
  const op = key === undefined ? undefined : operation[key];
  if (typeof op !== "string" || op === op.toLowerCase() || !OPS.has(op.toLowerCase())) return;
  operation[key!] = op.toLowerCase();
  note(`op "${op}" read as "${op.toLowerCase()}"`);
}

/** Legacy PATCH sends `"value":"False"`; Microsoft's SCIM test collection sends `"active":"True"` on POST too. */
export function booleanString(def: AttributeDef, value: unknown, note: Note): unknown {
  if (def.type !== "boolean" || typeof value !== "string" || !/^(true|false)$/i.test(value)) return value;
  note(`${def.name}: the string "${value}" read as a boolean`);
  return value.toLowerCase() === "true";
}

/**
 * A single value wrapped as legacy Entra wraps it: `manager` as a bare id or `[{"$ref":null,"value":…}]` (entra-docs,
 * MicrosoftDocs/azure-docs#42220). `operationValue` marks the value a PATCH operation targets, where a simple
 * attribute may also come as `[x]` or `{value: x}`; in a resource body `"userName": ["a"]` stays an error.
 */
export function singleValue(def: AttributeDef, value: unknown, note: Note, operationValue: boolean): unknown {
  if (def.multiValued) return value;
  let v = value;
  if (Array.isArray(v) && v.length <= 1 && (operationValue || def.type === "complex")) {
    note(`${def.name}: a one-element list read as its element`);
    v = v.length ? v[0] : null;
  }
  if (def.type === "complex") {
    if (typeof v !== "string" || !findByName(def.subAttributes ?? [], "value")) return v;
    note(`${def.name}: a bare id read as {value}`);
    return { value: v };
  }
  const key = operationValue && isObject(v) ? keyOf(v, "value") : undefined;
  if (key === undefined) return v;
  note(`${def.name}: {value} read as its value`);
  return (v as Record<string, unknown>)[key];
}
