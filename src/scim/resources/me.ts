import { NextFunction, Request, Response } from "express";
import { getUser } from "../../identity/users.js";
import { ScimDeps } from "../context.js";
import { ScimError } from "../errors.js";
import { sendResource } from "../respond.js";
import { userType } from "../schemas.js";
import { toScimUser } from "./users.js";

/**
 * `GET /Me` (RFC 7644 §3.11): the user of the browser session that asks. A request with a bearer token goes on to
 * the token check: a SCIM token speaks for an IdP, not for a user, so a valid one meets 501 (not implemented, as §3.11
 * asks) and an invalid one 401. Without either, 401.
 */
export function me(deps: ScimDeps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const principal = req.session?.principal;
    const user = principal?.type === "user" ? await getUser(deps.db, principal.organizationId, principal.userId) : null;
    if (user?.active) return void sendResource(res, 200, userType, toScimUser(user, deps));
    if (req.get("Authorization")) return next();
    // No standard scheme names a session cookie; this one says what to present.
    res.set("WWW-Authenticate", 'Session realm="rollcall", login="/login"');
    throw new ScimError(401, null, "/Me answers for a logged-in user: log in through your organization's SSO (GET /login/<login path>) and send the session cookie.");
  };
}
