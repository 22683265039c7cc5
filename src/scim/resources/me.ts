import { Request, Response } from "express";
import { getUser } from "../../identity/users.js";
import { ScimDeps } from "../context.js";
import { ScimError } from "../errors.js";
import { sendResource } from "../respond.js";
import { userType } from "../schemas.js";
import { toScimUser } from "./users.js";

/**
 * `GET /Me` (RFC 7644 §3.11): the user of the browser session that asks. A SCIM token speaks for an IdP, not for a
 * user, so it has no /Me.
 */
export function me(deps: ScimDeps) {
  return async (req: Request, res: Response) => {
    const principal = req.session?.principal;
    const user = principal?.type === "user" ? await getUser(deps.db, principal.organizationId, principal.userId) : null;
    if (!user || !user.active) {
      throw new ScimError(401, null, "/Me answers for a logged-in user: log in through your organization's SSO (GET /login/<login path>) and send the session cookie.");
    }
    sendResource(res, 200, userType, toScimUser(user, deps));
  };
}
