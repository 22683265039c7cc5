import { Request, Response, Router } from "express";
import { searchGroups } from "../identity/directory.js";
import {
  createTeam, deleteTeam, listTeams, organizationPolicy, replaceTeamMappings, setGroupSource, setTeamMappingMode, TeamRecord, updateTeam,
} from "../identity/teams.js";
import { many, one, orgOf, orgPath, submit, viewerOf, WebDeps, WebError } from "./context.js";
import { field, html, Html, postButton } from "./html.js";
import { errorBox, sendPage } from "./layout.js";

/**
 * Teams and the group-to-team mapping: teams with their roles; per team the IdP groups mapped to it (an alias names
 * a group the IdP sends as an opaque id, such as an Entra object id), saved as one list that replaces the old one;
 * the mapping mode (IdP groups decide, or admins assign) and where users' groups come from (SCIM or login claims).
 * A setup link with the `mappings` capability sees and saves the mapped groups only: teams and their roles (what
 * the app grants) stay the admins'.
 */

/** Empty rows under a team's mappings, to add groups without JavaScript. */
const BLANK_ROWS = 3;

const rolesText = (roles: string[]) => roles.join(", ");
const roleList = (text: string) => text.split(",").map((r) => r.trim()).filter(Boolean);

export function teamsRouter(deps: WebDeps): Router {
  const router = Router({ mergeParams: true });
  const here = (res: Response) => orgPath(orgOf(res).id, "teams");

  async function show(req: Request, res: Response, error?: { message: string; status: number; teamId?: string }) {
    const organization = orgOf(res);
    const em = deps.db.dataSource.manager;
    const [teams, policy, { groups }] = await Promise.all([
      listTeams(deps.db, organization.id),
      organizationPolicy(em, organization.id),
      searchGroups(deps.db, organization.id, {}, { offset: 0, limit: 1000 }),
    ]);
    const base = here(res);
    const mappingsOnly = viewerOf(res).kind === "setup_link";
    const radio = (name: string, value: string, checked: boolean, label: Html | string) =>
      html`<label><input type="radio" name="${name}" value="${value}"${new Html(checked ? " checked" : "")}> ${label}</label>`;
    sendPage(req, res, {
      section: "teams", title: "Teams", status: error?.status,
      body: html`<h1>Teams and group mapping</h1>${error && !error.teamId ? errorBox(error.message) : ""}
${mappingsOnly ? html`<p>Map your identity provider's groups to the teams below: members of a mapped group join the team at their next sign-in or SCIM push.</p>` : html`<form method="post" action="${base}/mode"><fieldset><legend>Who decides a user's teams</legend>
${radio("mode", "idp", policy.mode === "idp", html`<strong>The identity provider</strong>: each user's teams follow its IdP groups through the mapping below; admins cannot change them here`)}
${radio("mode", "manual", policy.mode === "manual", html`<strong>Admins</strong>: teams are assigned on each user's page; the mapping is not applied`)}
<p><button type="submit">Save mode</button></p></fieldset></form>
<form method="post" action="${base}/source"><fieldset><legend>Where users' groups come from</legend>
${radio("groupSource", "scim", policy.groupSource === "scim", html`<strong>SCIM</strong>: the groups your IdP pushes (set automatically by the first pushed group)`)}
${radio("groupSource", "claims", policy.groupSource === "claims", html`<strong>Sign-in</strong>: the groups claim or attribute of each user's last SSO login`)}
<p><button type="submit">Save group source</button></p></fieldset></form>`}
<datalist id="idp-groups">${groups.flatMap((g) => [g.displayName, ...(g.externalId ? [g.externalId] : [])]).map((v) => html`<option value="${v}">`)}</datalist>
<h2>Teams (${teams.length})</h2>
${teams.length ? teams.map((t) => teamForms(base, t, error?.teamId === t.id ? error.message : undefined, mappingsOnly)) : html`<p>No teams yet.</p>`}
${mappingsOnly ? "" : html`<h2>New team</h2>
<form method="post" action="${base}"><div class="row"><div>${field("Name", "name", "", { attrs: "required" })}</div>
<div>${field("Roles", "roles", "", { hint: "Comma-separated role names your app understands, e.g. viewer, editor" })}</div>
<button type="submit">Create team</button></div></form>`}`,
    });
  }

  const again = (req: Request, res: Response, teamId?: string) =>
    (message: string, status: number) => show(req, res, { message, status, teamId });

  router.get("/", (req, res) => show(req, res));

  // A setup link may only save mapped groups (see the header comment).
  router.post(/^\/(?![^/]+\/mappings$)/, (_req, res, next) => {
    if (viewerOf(res).kind === "setup_link") throw new WebError(403, "A setup link may change the mapped groups of teams only.");
    next();
  });

  router.post("/", (req, res) => submit(res,
    () => createTeam(deps.db, orgOf(res).id, { name: one(req.body.name), roles: roleList(one(req.body.roles)) }, viewerOf(res).actor),
    `${here(res)}?notice=team-created`, again(req, res)));

  router.post("/mode", (req, res) => submit(res,
    () => setTeamMappingMode(deps.db, orgOf(res).id, one(req.body.mode) as "idp" | "manual", viewerOf(res).actor),
    `${here(res)}?notice=mode-saved`, again(req, res)));

  router.post("/source", (req, res) => submit(res,
    () => setGroupSource(deps.db, orgOf(res).id, one(req.body.groupSource) as "claims" | "scim", viewerOf(res).actor),
    `${here(res)}?notice=source-saved`, again(req, res)));

  router.post("/:teamId", (req, res) => submit(res,
    () => updateTeam(deps.db, orgOf(res).id, req.params.teamId, { name: one(req.body.name), roles: roleList(one(req.body.roles)) }, viewerOf(res).actor),
    `${here(res)}?notice=team-saved`, again(req, res, req.params.teamId)));

  router.post("/:teamId/mappings", (req, res) => {
    const groups = many(req.body.idpGroup);
    const aliases = many(req.body.alias);
    const rows = groups.map((idpGroup, i) => ({ idpGroup: idpGroup.trim(), alias: aliases[i]?.trim() || null })).filter((g) => g.idpGroup !== "");
    return submit(res, () => replaceTeamMappings(deps.db, orgOf(res).id, req.params.teamId, rows, viewerOf(res).actor),
      `${here(res)}?notice=team-saved`, again(req, res, req.params.teamId));
  });

  router.post("/:teamId/delete", (req, res) => submit(res,
    () => deleteTeam(deps.db, orgOf(res).id, req.params.teamId, viewerOf(res).actor),
    `${here(res)}?notice=team-deleted`, again(req, res, req.params.teamId)));

  return router;
}

function teamForms(base: string, team: TeamRecord, error: string | undefined, mappingsOnly: boolean): Html {
  const action = `${base}/${encodeURIComponent(team.id)}`;
  const rows = [...team.mappings, ...Array.from({ length: BLANK_ROWS }, () => ({ idpGroup: "", alias: null }))];
  return html`<fieldset id="team-${team.id}"><legend>${team.name}</legend>${errorBox(error)}
${mappingsOnly ? html`<p class="muted">Roles: ${rolesText(team.roles) || "none"}</p>` : html`<form method="post" action="${action}"><div class="row"><div>${field("Name", "name", team.name, { attrs: "required", id: `team-${team.id}-name` })}</div>
<div>${field("Roles", "roles", rolesText(team.roles), { id: `team-${team.id}-roles` })}</div><button type="submit" class="secondary">Save team</button></div></form>`}
<form method="post" action="${action}/mappings"><table><tr><th>IdP group (name or id)</th><th>Alias (for an opaque id)</th></tr>
${rows.map((m) => html`<tr><td><input type="text" name="idpGroup" value="${m.idpGroup}" list="idp-groups" aria-label="IdP group"></td>
<td><input type="text" name="alias" value="${m.alias ?? ""}" aria-label="Alias"></td></tr>`)}</table>
<p><button type="submit">Save mapped groups</button> <span class="muted">Replaces this team's mapped groups with the rows above; an empty row is ignored.</span></p></form>
${mappingsOnly ? "" : html`<p>${postButton(`${action}/delete`, "Delete team", { className: "danger" })}</p>`}</fieldset>`;
}
