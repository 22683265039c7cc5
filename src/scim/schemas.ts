import enterpriseUserSchema from "../../scim-schemas/EnterpriseUser.schema.json" with { type: "json" };
import groupResourceType from "../../scim-schemas/Group.resource-type.json" with { type: "json" };
import groupSchema from "../../scim-schemas/Group.schema.json" with { type: "json" };
import userResourceType from "../../scim-schemas/User.resource-type.json" with { type: "json" };
import userSchema from "../../scim-schemas/User.schema.json" with { type: "json" };

/**
 * The SCIM schemas served at /Schemas and used to read input, resolve PATCH paths and project output. The JSON
 * under scim-schemas/ is the single source: changing an attribute's mutability or `returned` there changes both
 * what we advertise and what we do.
 */

export interface AttributeDef {
  name: string;
  type: "string" | "boolean" | "decimal" | "integer" | "dateTime" | "binary" | "reference" | "complex";
  multiValued: boolean;
  required: boolean;
  caseExact?: boolean;
  mutability?: "readOnly" | "readWrite" | "immutable" | "writeOnly";
  returned?: "always" | "never" | "default" | "request";
  uniqueness?: string;
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDef[];
  description?: string;
}

export interface SchemaDef {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDef[];
}

export const USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const LIST_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

export const schemaDefs: SchemaDef[] = [userSchema, enterpriseUserSchema, groupSchema] as SchemaDef[];

const readOnly = (name: string, type: AttributeDef["type"], extra: Partial<AttributeDef> = {}): AttributeDef =>
  ({ name, type, multiValued: false, required: false, caseExact: false, mutability: "readOnly", returned: "default", ...extra });

/** RFC 7643 §3.1 common attributes: every resource has them, but no schema lists them. */
export const commonAttributes: AttributeDef[] = [
  readOnly("id", "string", { caseExact: true, returned: "always", uniqueness: "server" }),
  { name: "externalId", type: "string", multiValued: false, required: false, caseExact: true, mutability: "readWrite", returned: "default" },
  readOnly("meta", "complex", {
    subAttributes: [
      readOnly("resourceType", "string", { caseExact: true }), readOnly("created", "dateTime"),
      readOnly("lastModified", "dateTime"), readOnly("location", "reference"), readOnly("version", "string", { caseExact: true }),
    ],
  }),
];

export interface ResourceTypeDef {
  id: "User" | "Group";
  name: string;
  endpoint: string;
  description: string;
  schema: string;
  schemaExtensions: { schema: string; required: boolean }[];
}

export const resourceTypes: ResourceTypeDef[] = [userResourceType, groupResourceType] as ResourceTypeDef[];
export const userType = resourceTypes[0];
export const groupType = resourceTypes[1];

const byUrn = new Map(schemaDefs.map((s) => [s.id.toLowerCase(), s]));
export const schemaByUrn = (urn: string) => byUrn.get(urn.toLowerCase());

/** The attributes a resource's core schema contributes, with the common ones first. */
export function coreAttributes(type: ResourceTypeDef): AttributeDef[] {
  return [...commonAttributes, ...schemaByUrn(type.schema)!.attributes];
}

export const findByName = (attributes: AttributeDef[], name: string) =>
  attributes.find((a) => a.name.toLowerCase() === name.toLowerCase());

/** Where a path's attribute lives: the schema URN ("" for common and core attributes) and its definition. */
export interface ResolvedAttribute {
  schema: string;
  def: AttributeDef;
}

/**
 * Resolves a top-level attribute name, optionally URN-qualified, case-insensitively (RFC 7643 §2.1). A bare name
 * is looked up in the core schema, then in the extensions, as IdPs rarely qualify extension attributes.
 */
export function resolveAttribute(type: ResourceTypeDef, name: string, uri?: string): ResolvedAttribute | null {
  const core = uri === undefined || uri.toLowerCase() === type.schema.toLowerCase();
  if (core) {
    const def = findByName(coreAttributes(type), name);
    if (def) return { schema: "", def };
    if (uri !== undefined) return null;
  }
  for (const ext of type.schemaExtensions) {
    if (uri !== undefined && uri.toLowerCase() !== ext.schema.toLowerCase()) continue;
    const def = findByName(schemaByUrn(ext.schema)!.attributes, name);
    if (def) return { schema: ext.schema, def };
  }
  return null;
}

export const extensionUrns = (type: ResourceTypeDef) => type.schemaExtensions.map((e) => e.schema);
