/**
 * JumpCloud's custom SCIM integration (scim-in-the-wild §1.3). Its Test Connection creates a user and a group and
 * DELETEs them; it removes members with `{"op":"remove","path":"members","value":[{"value":…}]}`, which removes only
 * those (group-patch.ts, ssoready PR #182). Nothing it sends needs rewriting.
 */
import { userAgent, type RequestInfo } from "./request.js";

/** JumpCloud does not document its User-Agent; this matches the product name, unverified against live traffic. */
export const detectJumpCloud = (req: RequestInfo) => (/jumpcloud/i.test(userAgent(req)) ? "jumpcloud" : undefined);
