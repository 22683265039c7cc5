/**
 * Google Workspace auto-provisioning (scim-in-the-wild §1.3): a plain RFC client. It saves the app with
 * `GET /Users?count=1` and deprovisions by `active: false` or DELETE. Nothing it sends needs rewriting.
 */
import { userAgent, type RequestInfo } from "./request.js";

/** Google does not document its User-Agent; this matches the product name, unverified against live traffic. */
export const detectGoogle = (req: RequestInfo) => (/google/i.test(userAgent(req)) ? "google" : undefined);
