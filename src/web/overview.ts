import { Request, Response, Router } from "express";
import { sql } from "../db/sql.js";
import { listConnections } from "../identity/connections.js";
import { listScimTokens } from "../identity/scim-tokens.js";
import { listTeams, organizationPolicy } from "../identity/teams.js";
import { orgOf, orgPath, viewerOf, WebDeps } from "./context.js";
import { badge, html } from "./html.js";
import { errorBox, sendPage } from "./layout.js";
import { organizationSettings, organizationSettingsRouter } from "./organizations.js";

/** `/console/orgs/<id>`: one organization at a glance; an operator also gets its rename and delete forms. */

export function overviewRouter(deps: WebDeps): Router {
  const router = Router({ mergeParams: true });
  const show = async (req: Request, res: Response, error?: { message: string; status: number }) => {
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
      section: "overview", title: organization.name, status: error?.status,
      body: html`<h1>${organization.name} <span class="muted">(${organization.slug})</span></h1>
<table>
<tr><th>Single sign-on</th><td>${enabled.length
    ? enabled.map((c, i) => html`${i ? html`<br>` : ""}${badge("enabled", "on")} ${c.name} (${c.type.toUpperCase()}) at <code>${deps.baseUrl}/login/${c.loginPath}</code>`)
    : html`${badge("off", "off")} ${connections.length ? `${connections.length} connection(s), none enabled` : "no connection yet"}`} · ${link("connections", "set up")}</td></tr>
<tr><th>SCIM provisioning</th><td>${liveTokens.length} active token(s)${lastPush ? `, last used ${lastPush.slice(0, 16).replace("T", " ")} UTC` : ""} · ${link("tokens", "manage tokens")}</td></tr>
<tr><th>Users</th><td>${activeUsers} active of ${users} · ${link("users", "browse")}</td></tr>
<tr><th>Groups</th><td>${groups} (from ${policy.groupSource === "scim" ? "SCIM" : "sign-in claims"}) · ${link("groups", "browse")}</td></tr>
<tr><th>Teams</th><td>${teams.length} · mapping mode <code>${policy.mode}</code> · ${link("teams", "edit mapping")}</td></tr>
</table>${errorBox(error?.message)}
${viewerOf(res).kind === "operator" ? organizationSettings(organization) : ""}`,
    });
  };
  router.get("/", (req, res) => show(req, res));
  router.use(organizationSettingsRouter(deps, show));
  return router;
}
