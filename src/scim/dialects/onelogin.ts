/**
 * OneLogin's "SCIM Provisioner with SAML" (scim-in-the-wild §1.3): an admin-edited JSON template whose published
 * guides keep the SCIM 1.x `urn:scim:schemas:core:1.0` in 2.0 traffic (dropped by schema-uris.ts), group membership
 * by `add`/`remove` on `members` with a value array (group-patch.ts), and no User-Agent at all (authentik#11249).
 */
import { field, isObject, userAgent, type RequestInfo } from "./request.js";

const SCIM_1_URN = /^urn:scim:schemas:/i;

function namesScim1(body: unknown): boolean {
  const schemas = isObject(body) ? field(body, "schemas") : undefined;
  return Array.isArray(schemas) && schemas.some((s) => typeof s === "string" && SCIM_1_URN.test(s));
}

/** Checked after the IdPs that name themselves: no User-Agent is only a hint. */
export const detectOneLogin = (req: RequestInfo) => (namesScim1(req.body) || userAgent(req) === "" ? "onelogin" : undefined);
