/**
 * Schema URIs we do not serve, dropped before anything reads the body, so that none is kept or echoed (our output
 * names only the schemas it conforms to). Seen in the wild (scim-in-the-wild §1.1, §1.3, §1.5):
 * - Entra's group URI `http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group`;
 * - old Entra samples' typo `urn:ietf:params:scim:schemas:extension:enterprise:2.0User`;
 * - OneLogin templates' SCIM 1.x `urn:scim:schemas:core:1.0` inside SCIM 2.0 traffic.
 * They go from the `schemas` list and, as keys holding attributes, from the object itself.
 */
import { extensionUrns, type ResourceTypeDef } from "../schemas.js";
import { keyOf, type Note } from "./request.js";
import type { ScimObject } from "../resource-input.js";

const LOOKS_LIKE_URI = /^(urn:|https?:\/\/)/i;

const known = (type: ResourceTypeDef, uri: string) =>
  [type.schema, ...extensionUrns(type)].some((urn) => urn.toLowerCase() === uri.toLowerCase());

/** A URN-qualified attribute name (`…:enterprise:2.0:User:employeeNumber`) is a path, not a schema URI. */
const qualifiedName = (type: ResourceTypeDef, key: string) => {
  const colon = key.lastIndexOf(":");
  return colon > 0 && known(type, key.slice(0, colon));
};

/** Drops unknown schema URIs from `body` (a resource, or a PATCH value without a path) in place. */
export function dropUnknownSchemaUris(type: ResourceTypeDef, body: ScimObject, note: Note): void {
  const schemasKey = keyOf(body, "schemas");
  const schemas = schemasKey === undefined ? undefined : body[schemasKey];
  if (Array.isArray(schemas)) {
    // Non-strings stay, for resource-input.ts to refuse.
    const unknown = schemas.filter((s): s is string => typeof s === "string" && !known(type, s));
    if (unknown.length) body[schemasKey!] = schemas.filter((s) => !unknown.includes(s));
    for (const uri of unknown) note(`schemas: dropped the unknown ${uri}`);
  }
  for (const key of Object.keys(body)) {
    if (!LOOKS_LIKE_URI.test(key) || known(type, key) || qualifiedName(type, key)) continue;
    delete body[key];
    note(`dropped attributes under the unknown schema ${key}`);
  }
}
