import { Router } from "express";
import { chunks, sql } from "../db/sql.js";
import { getGroup, listGroups } from "../identity/groups.js";
import { containsPattern, one, orgOf, orgPath, WebDeps, WebError } from "./context.js";
import { badge, html } from "./html.js";
import { pageNumberOf, pager, sendPage, when } from "./layout.js";
import { activeBadge } from "./users.js";

/** The groups browser: the groups IdPs push over SCIM, with their member counts; a group's page lists members. */

const PER_PAGE = 50;
/** Members listed on a group's page; a 100,000-member group is counted, not rendered. */
const MEMBERS_SHOWN = 200;

export function groupsRouter(deps: WebDeps): Router {
  const router = Router({ mergeParams: true });
  const em = () => deps.db.dataSource.manager;

  router.get("/", async (req, res) => {
    const organization = orgOf(res);
    const q = one(req.query.q).trim();
    const pageNumber = pageNumberOf(req);
    const { total, groups } = await listGroups(deps.db, organization.id, {
      condition: q ? {
        sql: "(g.display_name_norm LIKE :q ESCAPE '\\' OR g.external_id = :exact OR g.id = :exact)",
        params: { q: containsPattern(q), exact: q },
      } : undefined,
      sort: { sql: "g.display_name_norm", descending: false },
      start: { offset: (pageNumber - 1) * PER_PAGE }, limit: PER_PAGE,
    }, { withMembers: false });
    const counts = await memberCounts(groups.map((g) => g.id));
    const base = orgPath(organization.id, "groups");
    sendPage(req, res, {
      section: "groups", title: "Groups",
      body: html`<h1>Groups</h1><p class="muted">Groups exist here only when an identity provider pushes them over SCIM; they are changed at the IdP.</p>
<form method="get" action="${base}" role="search"><div class="row"><div><label for="f-q">Search</label>
<input type="search" id="f-q" name="q" value="${q}" placeholder="group name or id"></div><button type="submit">Search</button></div></form>
${groups.length ? html`<table><tr><th>Group</th><th>External id</th><th>Members</th><th>Source</th></tr>
${groups.map((g) => html`<tr><td><a href="${base}/${g.id}">${g.displayName}</a></td><td><code>${g.externalId ?? ""}</code></td>
<td>${counts.get(g.id) ?? 0}</td><td>${badge("SCIM-managed", "scim")}</td></tr>`)}</table>` : html`<p>No group${q ? " matches" : " yet"}.</p>`}
${pager(base, q ? { q } : {}, pageNumber, total, PER_PAGE)}`,
    });

    async function memberCounts(ids: string[]) {
      const out = new Map<string, number>();
      for (const part of chunks(ids)) {
        const rows = await sql<{ group_id: string; n: number | string }>(em(),
          "SELECT group_id, COUNT(*) AS n FROM group_members WHERE organization_id = :organizationId AND group_id IN (:...part) GROUP BY group_id",
          { organizationId: organization.id, part });
        for (const r of rows) out.set(r.group_id, Number(r.n));
      }
      return out;
    }
  });

  router.get("/:groupId", async (req, res) => {
    const organization = orgOf(res);
    const group = await getGroup(deps.db, organization.id, req.params.groupId, { withMembers: false });
    if (!group) throw new WebError(404, "There is no such group in this organization.");
    const scope = { groupId: group.id, organizationId: organization.id };
    const [[{ n }], members] = await Promise.all([
      sql<{ n: number | string }>(em(), "SELECT COUNT(*) AS n FROM group_members WHERE group_id = :groupId AND organization_id = :organizationId", scope),
      sql<{ id: string; user_name: string; active: boolean | number }>(em(),
        `SELECT u.id, u.user_name, u.active FROM group_members m JOIN users u ON u.id = m.user_id
         WHERE m.group_id = :groupId AND m.organization_id = :organizationId ORDER BY u.user_name_norm LIMIT ${MEMBERS_SHOWN}`, scope),
    ]);
    const count = Number(n);
    sendPage(req, res, {
      section: "groups", title: group.displayName,
      body: html`<p><a href="${orgPath(organization.id, "groups")}">← Groups</a></p><h1>${group.displayName} ${badge("SCIM-managed", "scim")}</h1>
<table><tr><th>External id</th><td><code>${group.externalId ?? ""}</code></td></tr><tr><th>Id</th><td><code>${group.id}</code></td></tr>
<tr><th>Created</th><td>${when(group.createdAt)}</td></tr><tr><th>Last modified</th><td>${when(group.updatedAt)}</td></tr></table>
<h2>Members (${count})</h2>${members.length ? html`<table>${members.map((m) => html`<tr><td><a href="${orgPath(organization.id, "users", m.id)}">${m.user_name}</a></td>
<td>${activeBadge(Boolean(m.active))}</td></tr>`)}</table>` : html`<p>No members.</p>`}
${count > members.length ? html`<p class="muted">The first ${members.length} of ${count} members, by user name.</p>` : ""}`,
    });
  });

  return router;
}
