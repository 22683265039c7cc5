import { Router } from "express";
import { groupMembersPreview, searchGroups } from "../identity/directory.js";
import { getGroup } from "../identity/groups.js";
import { one, orgOf, orgPath, WebDeps, WebError } from "./context.js";
import { badge, html } from "./html.js";
import { pageNumberOf, pager, sendPage, when } from "./layout.js";
import { activeBadge } from "./users.js";

/** The groups browser: the groups IdPs push over SCIM, with their member counts; a group's page lists members. */

const PER_PAGE = 50;
/** Members listed on a group's page; a 100,000-member group is counted, not rendered. */
const MEMBERS_SHOWN = 200;

export function groupsRouter(deps: WebDeps): Router {
  const router = Router({ mergeParams: true });

  router.get("/", async (req, res) => {
    const organization = orgOf(res);
    const q = one(req.query.q).trim();
    const pageNumber = pageNumberOf(req);
    const { total, groups } = await searchGroups(deps.db, organization.id, { search: q || undefined },
      { offset: (pageNumber - 1) * PER_PAGE, limit: PER_PAGE });
    const base = orgPath(organization.id, "groups");
    sendPage(req, res, {
      section: "groups", title: "Groups",
      body: html`<h1>Groups</h1><p class="muted">Groups exist here only when an identity provider pushes them over SCIM; they are changed at the IdP.</p>
<form method="get" action="${base}" role="search"><div class="row"><div><label for="f-q">Search</label>
<input type="search" id="f-q" name="q" value="${q}" placeholder="group name or id"></div><button type="submit">Search</button></div></form>
${groups.length ? html`<table><tr><th>Group</th><th>External id</th><th>Members</th><th>Source</th></tr>
${groups.map((g) => html`<tr><td><a href="${base}/${g.id}">${g.displayName}</a></td><td><code>${g.externalId ?? ""}</code></td>
<td>${g.memberCount}</td><td>${badge("SCIM-managed", "scim")}</td></tr>`)}</table>` : html`<p>No group${q ? " matches" : " yet"}.</p>`}
${pager(base, q ? { q } : {}, pageNumber, total, PER_PAGE)}`,
    });
  });

  router.get("/:groupId", async (req, res) => {
    const organization = orgOf(res);
    const group = await getGroup(deps.db, organization.id, req.params.groupId, { withMembers: false });
    if (!group) throw new WebError(404, "There is no such group in this organization.");
    const { count, members } = await groupMembersPreview(deps.db, organization.id, group.id, MEMBERS_SHOWN);
    sendPage(req, res, {
      section: "groups", title: group.displayName,
      body: html`<p><a href="${orgPath(organization.id, "groups")}">← Groups</a></p><h1>${group.displayName} ${badge("SCIM-managed", "scim")}</h1>
<table><tr><th>External id</th><td><code>${group.externalId ?? ""}</code></td></tr><tr><th>Id</th><td><code>${group.id}</code></td></tr>
<tr><th>Created</th><td>${when(group.createdAt)}</td></tr><tr><th>Last modified</th><td>${when(group.updatedAt)}</td></tr></table>
<h2>Members (${count})</h2>${members.length ? html`<table>${members.map((m) => html`<tr><td><a href="${orgPath(organization.id, "users", m.id)}">${m.userName}</a></td>
<td>${activeBadge(m.active)}</td></tr>`)}</table>` : html`<p>No members.</p>`}
${count > members.length ? html`<p class="muted">The first ${members.length} of ${count} members, by user name.</p>` : ""}`,
    });
  });

  return router;
}
