import { Request, Response, Router } from "express";
import { sql } from "../db/sql.js";
import { listConnections } from "../identity/connections.js";
import { listOrganizations } from "../identity/organizations.js";
import { listScimTokens } from "../identity/scim-tokens.js";
import { listTeams, organizationPolicy } from "../identity/teams.js";
import { orgOf, orgPath, viewerOf, WebDeps } from "./context.js";
import { badge, html } from "./html.js";
import { sendPage } from "./layout.js";

/** `/console`: an operator picks an organization; `/console/orgs/<id>`: one organization at a glance. */

export function organizationListHandler(deps: WebDeps) {
  return async (req: Request, res: Response) => {
    const viewer = viewerOf(res);
    if (viewer.kind !== "operator") {
      const home = viewer.kind === "setup_link" ? orgPath(viewer.organizationId!, "connections") : orgPath(viewer.organizationId!);
      return res.redirect(303, home);
    }
    const organizations = await listOrganizations(deps.db);
    sendPage(req, res, {
      title: "Organizations",
      body: html`<h1>Organizations</h1><table><tr><th>Name</th><th>Slug</th><th>Created</th></tr>
${organizations.map((o) => html`<tr><td><a href="${orgPath(o.id)}">${o.name}</a></td><td><code>${o.slug}</code></td><td>${o.createdAt.slice(0, 10)}</td></tr>`)}</table>
<p class="muted">Create organizations with <code>npm run cli -- org create &lt;slug&gt; --name "…"</code>.</p>`,
    });
  };
}

export function overviewRouter(deps: WebDeps): Router {
  const router = Router({ mergeParams: true });
  router.get("/", async (req, res) => {
    const organization = orgOf(res);
    const em = deps.db.dataSource.manager;
    const scope = { organizationId: organization.id };
    const count = async (text: string) => Number((await sql<{ n: number | string }>(em, text, scope))[0].n);
    const [connections, tokens, teams, policy, users, activeUsers, groups] = await Promise.all([
      listConnections(deps.db, deps.secretKey, organization.id),
      listScimTokens(deps.db, organization.id),
      listTeams(deps.db, organization.id),
      organizationPolicy(em, organization.id),
      count("SELECT COUNT(*) AS n FROM users WHERE organization_id = :organizationId"),
      count("SELECT COUNT(*) AS n FROM users WHERE organization_id = :organizationId AND active = TRUE"),
      count("SELECT COUNT(*) AS n FROM groups WHERE organization_id = :organizationId"),
    ]);
    const enabled = connections.filter((c) => c.enabled);
    const liveTokens = tokens.filter((t) => !t.revokedAt);
    const lastPush = liveTokens.map((t) => t.lastUsedAt).filter(Boolean).sort().at(-1);
    const link = (section: string, text: string) => html`<a href="${orgPath(organization.id, section)}">${text}</a>`;
    sendPage(req, res, {
      section: "overview", title: organization.name,
      body: html`<h1>${organization.name} <span class="muted">(${organization.slug})</span></h1>
<table>
<tr><th>Single sign-on</th><td>${enabled.length
    ? enabled.map((c, i) => html`${i ? html`<br>` : ""}${badge("enabled", "on")} ${c.name} (${c.type.toUpperCase()}) at <code>${deps.baseUrl}/login/${c.loginPath}</code>`)
    : html`${badge("off", "off")} ${connections.length ? `${connections.length} connection(s), none enabled` : "no connection yet"}`} · ${link("connections", "set up")}</td></tr>
<tr><th>SCIM provisioning</th><td>${liveTokens.length} active token(s)${lastPush ? `, last used ${lastPush.slice(0, 16).replace("T", " ")} UTC` : ""} · ${link("tokens", "manage tokens")}</td></tr>
<tr><th>Users</th><td>${activeUsers} active of ${users} · ${link("users", "browse")}</td></tr>
<tr><th>Groups</th><td>${groups} (from ${policy.groupSource === "scim" ? "SCIM" : "sign-in claims"}) · ${link("groups", "browse")}</td></tr>
<tr><th>Teams</th><td>${teams.length} · mapping mode <code>${policy.mode}</code> · ${link("teams", "edit mapping")}</td></tr>
</table>`,
    });
  });
  return router;
}
