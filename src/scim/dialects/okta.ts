/**
 * Okta (okta/okta-developer-docs `docs/reference/scim/scim-20/index.md`; scim-in-the-wild §1.2). Okta's requests are
 * RFC-shaped, so no rule rewrites them. What Okta relies on is met where the RFC puts it: `groups: []`, `id` and the
 * placeholder `password` in POST/PUT are readOnly/writeOnly input (resource-input.ts, RFC 7643 §2.2); deactivation by
 * a no-path `replace {"active": false}` and the group rename sent with the group's `id` (patch.ts, group-patch.ts);
 * the case-insensitive `userName eq` probe and stable import paging (filter/sql.ts, identity/listing.ts).
 */
import { userAgent, type RequestInfo } from "./request.js";

/** Okta's reference shows `User-Agent: Okta SCIM Client 1.0.0`. */
export const detectOkta = (req: RequestInfo) => (/^okta scim client\b/i.test(userAgent(req)) ? "okta" : undefined);
