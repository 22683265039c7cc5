import { Router } from "express";
import { sql } from "../db/sql.js";
import { listAuditEvents } from "../identity/audit.js";
import { foldCase } from "../identity/text.js";
import { one, orgOf, orgPath, WebDeps } from "./context.js";
import { field, html, select } from "./html.js";
import { sendPage, when } from "./layout.js";

/**
 * The audit log, newest first, filtered by target (an id, or a user name), action and time range (UTC). Pages go
 * back in time by event id.
 */

const PER_PAGE = 100;

/**
 * `2026-11-27T22:18` from an `<input type="datetime-local">`, read as UTC; null when empty or not a time. `end`
 * gives the end of that minute (or second), so that "to 22:18" includes the events of 22:18.
 */
function utc(value: string, end = false): string | null {
  const match = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.exec(value);
  const date = new Date(`${value}Z`);
  if (!match || Number.isNaN(date.getTime())) return null;
  return new Date(date.getTime() + (end ? (match[1] ? 1000 : 60_000) : 0)).toISOString();
}

export function auditRouter(deps: WebDeps): Router {
  const router = Router({ mergeParams: true });

  router.get("/", async (req, res) => {
    const organization = orgOf(res);
    const em = deps.db.dataSource.manager;
    const filters = { target: one(req.query.target).trim(), action: one(req.query.action), from: one(req.query.from), to: one(req.query.to) };
    const before = Number.parseInt(one(req.query.before), 10);

    // A user name stands for its user's id; anything else is taken as a target id as written.
    let targetIds = filters.target ? [filters.target] : [];
    if (filters.target) {
      const users = await sql<{ id: string }>(em, "SELECT id FROM users WHERE organization_id = :organizationId AND user_name_norm = :norm",
        { organizationId: organization.id, norm: foldCase(filters.target) });
      targetIds = [...targetIds, ...users.map((u) => u.id)];
    }
    const rows = await listAuditEvents(em, organization.id, {
      involving: targetIds, action: filters.action || undefined, since: utc(filters.from) ?? undefined,
      until: utc(filters.to, true) ?? undefined, beforeId: Number.isSafeInteger(before) ? before : undefined,
      newestFirst: true, limit: PER_PAGE + 1,
    });
    const events = rows.slice(0, PER_PAGE);
    const actions = await sql<{ action: string }>(em, "SELECT DISTINCT action FROM audit_events WHERE organization_id = :organizationId ORDER BY action",
      { organizationId: organization.id });
    const base = orgPath(organization.id, "audit");
    const older = rows.length > PER_PAGE ? `${base}?${new URLSearchParams({ ...filters, before: String(events.at(-1)!.id) })}` : null;
    sendPage(req, res, {
      section: "audit", title: "Audit log",
      body: html`<h1>Audit log</h1>
<form method="get" action="${base}"><div class="row">
<div>${field("User or target", "target", filters.target, { attrs: 'placeholder="user name or id"' })}</div>
<div>${select("Action", "action", [["", "any"], ...actions.map((a): [string, string] => [a.action, a.action])], filters.action)}</div>
<div>${field("From (UTC)", "from", filters.from, { type: "datetime-local" })}</div><div>${field("To (UTC)", "to", filters.to, { type: "datetime-local" })}</div>
<button type="submit">Filter</button></div></form>
${events.length ? html`<table><tr><th>When</th><th>Actor</th><th>Action</th><th>Target</th><th>Details</th></tr>
${events.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.actorType}${e.actorId ? html` <code>${e.actorId.slice(0, 8)}</code>` : ""}</td><td><code>${e.action}</code></td>
<td>${e.targetType}${e.targetId ? html` ${e.targetType === "user"
    ? html`<a href="${orgPath(organization.id, "users", e.targetId)}"><code>${e.targetId.slice(0, 8)}</code></a>`
    : html`<code>${e.targetId.slice(0, 8)}</code>`}` : ""}</td><td><code>${JSON.stringify(e.summary)}</code></td></tr>`)}</table>` : html`<p>No event matches.</p>`}
${older ? html`<p><a href="${older}">Older events →</a></p>` : ""}`,
    });
  });

  return router;
}
