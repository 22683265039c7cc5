import { Request, Response } from "express";
import { ADMIN_ROLE } from "../admin/auth.js";
import { accessOf } from "../identity/access.js";
import { PORTAL_PATH, WebDeps } from "./context.js";
import { html } from "./html.js";
import { sendPage } from "./layout.js";

/**
 * `/`: where an SSO login lands when nothing else was asked for (`return_to` defaults to `/`). A signed-in person
 * sees who they are, their organization and teams, and where to go; an admin account goes to the console; a setup
 * link to the setup portal; nobody to `/login`.
 */
export function homeHandler(deps: WebDeps) {
  return async (req: Request, res: Response) => {
    const principal = req.session?.principal;
    if (principal?.type === "admin") return res.redirect(303, "/console");
    if (principal?.type === "setup") return res.redirect(303, PORTAL_PATH);
    const access = principal?.type === "user" ? await accessOf(deps.db, principal.organizationId, principal.userId) : null;
    if (!access) return res.redirect(303, "/login");
    const { user, organization, teams, roles } = access;
    sendPage(req, res, {
      title: "Signed in",
      body: html`<h1>Signed in</h1>
<table><tr><th>You</th><td>${user.displayName ?? user.userName}${user.displayName ? html` <span class="muted">(${user.userName})</span>` : ""}</td></tr>
${user.email ? html`<tr><th>Email</th><td>${user.email}</td></tr>` : ""}
<tr><th>Organization</th><td>${organization.name}</td></tr>
<tr><th>Teams</th><td>${teams.length ? teams.map((t, i) => html`${i ? ", " : ""}${t.name}${t.roles.length ? html` <span class="muted">(${t.roles.join(", ")})</span>` : ""}`) : "none yet"}</td></tr></table>
<h2>Where next</h2><ul>
${roles.includes(ADMIN_ROLE) ? html`<li><a href="/console">Open the admin console</a> for ${organization.name}</li>` : ""}
<li><a href="/session">Your session as applications see it</a> (JSON)</li></ul>
<form method="post" action="/logout"><input type="hidden" name="return_to" value="/login"><button type="submit" class="secondary">Sign out</button></form>`,
    });
  };
}
