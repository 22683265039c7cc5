import { Request, Response, Router } from "express";
import { searchUsers, UserFilter, userDetail } from "../identity/directory.js";
import { UserRecord } from "../identity/records.js";
import { listTeams, matchingMappings, organizationPolicy, setManualTeamMembership } from "../identity/teams.js";
import { endUserSessions, managedElsewhere, setUserActiveByAdmin } from "../identity/users.js";
import { one, orgOf, orgPath, submit, viewerOf, WebDeps, WebError } from "./context.js";
import { badge, html, Html, postButton, select } from "./html.js";
import { errorBox, pageNumberOf, pager, sendPage, when } from "./layout.js";

/**
 * The users browser: search by user name, display name, email, external id or id, filter by source and state;
 * each user's page shows its teams, where IdP-derived memberships are read-only (the IdP and the mapping decide them)
 * and manual ones can be changed while the organization assigns teams by hand.
 */

const PER_PAGE = 50;
const SOURCES: Record<string, [string, string]> = {
  scim: ["SCIM-managed", "scim"], jit: ["JIT (first SSO login)", "jit"], manual: ["Manual", "manual"],
};

export const sourceBadge = (source: string) => badge(SOURCES[source]?.[0] ?? source, SOURCES[source]?.[1] ?? "");
export const activeBadge = (active: boolean) => (active ? badge("active", "on") : badge("inactive", "off"));

const primaryEmail = (user: UserRecord) => (user.emails.find((e) => e.primary) ?? user.emails[0])?.value ?? "";

export function usersRouter(deps: WebDeps): Router {
  const router = Router({ mergeParams: true });

  router.get("/", async (req, res) => {
    const organization = orgOf(res);
    const filters = { q: one(req.query.q).trim(), source: one(req.query.source), active: one(req.query.active) };
    const pageNumber = pageNumberOf(req);
    const { total, users } = await searchUsers(deps.db, organization.id, {
      search: filters.q || undefined,
      source: filters.source in SOURCES ? filters.source as UserFilter["source"] : undefined,
      active: filters.active === "true" ? true : filters.active === "false" ? false : undefined,
    }, { offset: (pageNumber - 1) * PER_PAGE, limit: PER_PAGE });
    const base = orgPath(organization.id, "users");
    sendPage(req, res, {
      section: "users", title: "Users",
      body: html`<h1>Users</h1>
<form method="get" action="${base}" role="search"><div class="row">
<div><label for="f-q">Search</label><input type="search" id="f-q" name="q" value="${filters.q}" placeholder="user name, name, email or id"></div>
<div>${select("Source", "source", [["", "any"], ...Object.entries(SOURCES).map(([k, [label]]): [string, string] => [k, label])], filters.source)}</div>
<div>${select("State", "active", [["", "any"], ["true", "active"], ["false", "inactive"]], filters.active)}</div>
<button type="submit">Search</button></div></form>
${users.length ? html`<table><tr><th>User name</th><th>Name</th><th>Email</th><th>Source</th><th>State</th><th>Groups</th></tr>
${users.map((u) => html`<tr><td><a href="${base}/${u.id}">${u.userName}</a></td><td>${u.displayName ?? u.name?.formatted ?? ""}</td>
<td>${primaryEmail(u)}</td><td>${sourceBadge(u.source)}</td><td>${activeBadge(u.active)}</td><td>${u.groups.length}</td></tr>`)}</table>`
    : html`<p>No user matches.</p>`}
${pager(base, filters, pageNumber, total, PER_PAGE)}`,
    });
  });

  async function showUser(req: Request, res: Response, error?: { message: string; status: number }) {
    const organization = orgOf(res);
    const detail = await userDetail(deps.db, organization.id, req.params.userId as string);
    if (!detail) throw new WebError(404, "There is no such user in this organization.");
    const { user, teams, loginGroups, idpGroups } = detail;
    const [allTeams, policy] = await Promise.all([
      listTeams(deps.db, organization.id),
      organizationPolicy(deps.db.dataSource.manager, organization.id),
    ]);
    const via = (teamId: string) => {
      const team = allTeams.find((t) => t.id === teamId);
      return (team ? matchingMappings(team, idpGroups) : []).map((m) => (m.alias ? `${m.alias} (${m.idpGroup})` : m.idpGroup));
    };
    const base = orgPath(organization.id, "users", user.id);
    const manualIds = new Set(teams.filter((t) => t.source === "manual").map((t) => t.id));
    const assignable = allTeams.filter((t) => !manualIds.has(t.id));
    const rows: [string, unknown][] = [
      ["User name", user.userName], ["Display name", user.displayName], ["Email", primaryEmail(user)], ["External id", user.externalId],
      ["Id", user.id], ["Created", when(user.createdAt)], ["Last modified", when(user.updatedAt)],
    ];
    sendPage(req, res, {
      section: "users", title: user.userName, status: error?.status,
      body: html`<p><a href="${orgPath(organization.id, "users")}">← Users</a></p>
<h1>${user.userName} ${sourceBadge(user.source)} ${activeBadge(user.active)}</h1>${errorBox(error?.message)}
<table>${rows.map(([k, v]) => html`<tr><th>${k}</th><td>${v ?? ""}</td></tr>`)}</table>
<h2>Account</h2>${accountActions(base, user)}
<h2>Teams</h2>
${teams.length ? html`<table><tr><th>Team</th><th>Roles</th><th>Source</th><th></th></tr>${teams.map((t) => html`<tr><td>${t.name}</td><td>${t.roles.join(", ")}</td>
<td>${t.source === "idp" ? html`${badge("IdP-managed", "idp")} <span class="muted">via ${via(t.id).join(", ") || "an IdP group"}</span>` : badge("manual", "manual")}</td>
<td>${t.source === "manual" && policy.mode === "manual" ? postButton(`${base}/teams`, "Remove", { hidden: { teamId: t.id, member: "false" }, className: "secondary" }) : ""}</td></tr>`)}</table>`
    : html`<p>In no team.</p>`}
${teams.some((t) => t.source === "idp") ? html`<p class="muted">IdP-managed memberships follow the user's groups at your identity provider and the group mapping on the Teams page: change them there, not here.</p>` : ""}
${policy.mode === "manual" ? assignForm(base, assignable.map((t) => [t.id, t.name]))
    : html`<p class="muted">Teams are decided by the identity provider in this organization (mapping mode <code>idp</code>); switch to manual assignment on the Teams page to assign teams here.</p>`}
<h2>Groups</h2>
<p>${policy.groupSource === "scim" ? "SCIM groups (used for teams)" : "SCIM groups"}: ${user.groups.length ? user.groups.map((g, i) => html`${i ? ", " : ""}<a href="${orgPath(organization.id, "groups", g.id)}">${g.displayName}</a>`) : "none"}</p>
<p>${policy.groupSource === "claims" ? "Groups claim of the last sign-in (used for teams)" : "Groups claim of the last sign-in"}: ${loginGroups.length ? loginGroups.join(", ") : "none"}</p>`,
    });
  }

  router.get("/:userId", (req, res) => showUser(req, res));

  const change = (verb: string, work: (req: Request, res: Response) => Promise<unknown>, notice: string) =>
    router.post(`/:userId/${verb}`, (req, res) => submit(res, () => work(req, res),
      `${orgPath(orgOf(res).id, "users", req.params.userId as string)}?notice=${notice}`, (message, status) => showUser(req, res, { message, status })));
  change("deactivate", (req, res) => setUserActiveByAdmin(deps.db, orgOf(res).id, req.params.userId as string, false, viewerOf(res).actor), "user-deactivated");
  change("reactivate", (req, res) => setUserActiveByAdmin(deps.db, orgOf(res).id, req.params.userId as string, true, viewerOf(res).actor), "user-reactivated");
  change("end-sessions", (req, res) => endUserSessions(deps.db, orgOf(res).id, req.params.userId as string, viewerOf(res).actor), "sessions-ended");

  router.post("/:userId/teams", (req, res) => submit(res,
    () => setManualTeamMembership(deps.db, orgOf(res).id, one(req.body.teamId), req.params.userId, one(req.body.member) !== "false", viewerOf(res).actor),
    `${orgPath(orgOf(res).id, "users", req.params.userId)}?notice=membership-saved`,
    (message, status) => showUser(req, res, { message, status })));

  return router;
}

/**
 * Deactivate or reactivate, for a user the IdP does not manage; a SCIM user's state is read-only here, with why.
 * Ending sessions changes nothing the IdP owns, so it is there for every user.
 */
function accountActions(base: string, user: UserRecord): Html {
  const readOnly = managedElsewhere(user);
  return html`<p>${readOnly ? html`<span class="muted">Read-only: ${readOnly}.</span>`
    : user.active ? postButton(`${base}/deactivate`, "Deactivate", { className: "danger" })
      : postButton(`${base}/reactivate`, "Reactivate")}
${postButton(`${base}/end-sessions`, "End sessions", { className: "secondary" })}</p>
<p class="muted">${readOnly ? "" : "Deactivating ends the user's sessions and refuses its sign-ins until it is reactivated. "}Ending sessions signs the user out of every browser now; it can sign in again.</p>`;
}

function assignForm(base: string, teams: [string, string][]): Html {
  if (teams.length === 0) return html``;
  return html`<form method="post" action="${base}/teams"><input type="hidden" name="member" value="true"><div class="row">
<div>${select("Add to team", "teamId", teams, "")}</div><button type="submit">Add</button></div></form>`;
}
