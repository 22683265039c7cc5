import { Request, Response, Router } from "express";
import { AdminAccountInfo, getAdminAccount, listAdminAccounts, setAdminAccountDisabled } from "../identity/admins.js";
import { listOrganizations } from "../identity/organizations.js";
import { viewerOf, WebDeps, WebError } from "./context.js";
import { badge, html, postButton } from "./html.js";
import { sendPage, when } from "./layout.js";

/**
 * `/console/admins`: the admin accounts the viewer administers (an operator: every account; an organization admin:
 * its organization's), with their last sign-in and second factor, and disable / enable. Disabling ends the account's
 * sessions and stops its API tokens at once (identity/admins.ts). Nobody disables their own account here: the last
 * operator could lock everyone out.
 */

export const ADMINS_PATH = "/console/admins";

export function adminsRouter(deps: WebDeps): Router {
  const router = Router();

  function scope(res: Response): string | undefined {
    const viewer = viewerOf(res);
    if (viewer.kind === "setup_link") throw new WebError(403, "A setup link opens only the setup pages of its organization.");
    return viewer.kind === "operator" ? undefined : viewer.organizationId!;
  }

  router.get("/", async (req: Request, res: Response) => {
    const organizationId = scope(res);
    const [accounts, organizations] = await Promise.all([listAdminAccounts(deps.db, organizationId), listOrganizations(deps.db)]);
    const orgName = (id: string | null) => (id === null ? "every organization" : organizations.find((o) => o.id === id)?.name ?? id);
    const self = viewerOf(res).adminId;
    sendPage(req, res, {
      title: "Admin accounts",
      body: html`<h1>Admin accounts</h1>
<p class="muted">Accounts that sign in with a password at <code>/console/login</code>. People of an organization with single sign-on
become its admins through a team with the <code>admin</code> role instead. Create accounts with
<code>npm run cli -- admin create</code>; a generated password is a one-time password.</p>
<table><tr><th>Email</th><th>Name</th><th>Role</th><th>Last sign-in</th><th>Two-factor</th><th>State</th><th></th></tr>
${accounts.map((a: AdminAccountInfo) => html`<tr><td>${a.email}</td><td>${a.name}</td><td>${a.role === "operator" ? "Operator" : "Admin"} <span class="muted">(${orgName(a.organizationId)})</span></td>
<td>${when(a.lastLoginAt)}${a.mustChangePassword ? html` ${badge("one-time password", "off")}` : ""}</td><td>${a.totpEnabledAt ? badge("on", "on") : badge("off", "")}</td>
<td>${a.disabledAt ? badge("disabled", "off") : badge("active", "on")}</td>
<td>${a.id === self ? html`<span class="muted">you</span>` : postButton(`${ADMINS_PATH}/${a.id}/${a.disabledAt ? "enable" : "disable"}`,
    a.disabledAt ? "Enable" : "Disable", { className: a.disabledAt ? "secondary" : "danger", label: `${a.disabledAt ? "Enable" : "Disable"} ${a.email}` })}</td></tr>`)}</table>`,
    });
  });

  for (const [verb, disabled] of [["disable", true], ["enable", false]] as const) {
    router.post(`/:adminId/${verb}`, async (req: Request, res: Response) => {
      const organizationId = scope(res);
      const target = await getAdminAccount(deps.db, req.params.adminId as string);
      // Another organization's account, or an operator for an organization admin: as if it did not exist.
      if (!target || (organizationId !== undefined && target.organizationId !== organizationId)) throw new WebError(404, "There is no such admin account.");
      if (target.id === viewerOf(res).adminId) throw new WebError(409, "You cannot disable your own account here.");
      await setAdminAccountDisabled(deps.db, target.id, disabled, viewerOf(res).actor);
      res.redirect(303, `${ADMINS_PATH}?notice=admin-${verb}d`);
    });
  }
  return router;
}
