import type { Request, Response } from "express";
import { html, Html, page } from "./html.js";
import { mayOpen, orgPath, PORTAL_PATH, Section, Viewer } from "./context.js";

/** The one console layout: navigation for the viewer and organization, an optional notice, then the page. */

const SECTIONS: [Section, string][] = [
  ["overview", "Overview"], ["connections", "SSO connections"], ["domains", "Domains"], ["teams", "Teams"], ["users", "Users"], ["groups", "Groups"],
  ["tokens", "SCIM tokens"], ["audit", "Audit log"], ["webhooks", "Webhooks"], ["setup-links", "Setup links"],
];

/** Fixed notices a redirect may name (`?notice=`), so a URL can never put arbitrary text on a console page. */
const NOTICES: Record<string, string> = {
  "connection-created": "Connection created. Now copy the values below into your identity provider, then test the connection.",
  "connection-saved": "Connection saved.",
  "connection-enabled": "Connection enabled: people can now sign in through it.",
  "connection-disabled": "Connection disabled: sign-in through it is switched off.",
  "connection-deleted": "Connection deleted.",
  "domain-claimed": "Domain added. Publish its TXT record, then verify it.",
  "domain-checked": "Domain checked: its state is below.",
  "domain-routed": "Domain routing saved.",
  "domain-deleted": "Domain removed.",
  "sp-key-published": "Next SP key published: it is in the SP metadata beside the current one. Give the IdP the new metadata or certificate, then promote it.",
  "sp-key-promoted": "Next SP key promoted: it is now the current key, and the old one has left the SP metadata.",
  "sp-key-discarded": "Next SP key withdrawn.",
  "team-created": "Team created.",
  "team-saved": "Team saved.",
  "team-deleted": "Team deleted.",
  "mode-saved": "Team mapping mode saved; team memberships were recomputed.",
  "source-saved": "Group source saved; team memberships were recomputed.",
  "membership-saved": "Team membership saved.",
  "token-revoked": "Token revoked: the IdP using it is refused from its next request.",
  "link-revoked": "Setup link revoked.",
  "delivery-resent": "Delivery queued again: the worker sends it within a few seconds.",
  "webhook-enabled": "Endpoint enabled: its pending deliveries go out again.",
  "organization-created": "Organization created. Next: an SSO connection, or a setup link for the customer's IT admin.",
  "organization-renamed": "Organization renamed.",
  "organization-deleted": "Organization deleted, with everything in it.",
  "change-password": "Your password was a one-time password: choose your own before going on.",
  "password-changed": "Password changed.",
  "totp-disabled": "Two-factor sign-in turned off.",
  "admin-disabled": "Account disabled: its sessions ended and its API tokens stop working.",
  "admin-enabled": "Account enabled.",
  "user-deactivated": "User deactivated: its sessions ended, and it cannot sign in until it is reactivated.",
  "user-reactivated": "User reactivated.",
  "sessions-ended": "The user's sessions ended.",
  "app-removed": "App removed: its tokens stop working.",
};

export const allowedSections = (viewer: Viewer): Section[] => SECTIONS.map(([s]) => s).filter((s) => mayOpen(viewer, s));

function nav(viewer: Viewer | undefined, organization: { id: string; name: string } | undefined, current: Section | undefined): Html {
  if (!viewer) return html`<nav><strong>Rollcall</strong></nav>`;
  const links = organization
    ? SECTIONS.filter(([s]) => allowedSections(viewer).includes(s)).map(([s, label]) =>
      html`<a href="${orgPath(organization.id, ...(s === "overview" ? [] : [s]))}"${new Html(s === current ? ' aria-current="page"' : "")}>${label}</a>`)
    : [];
  const who = viewer.kind === "operator" ? "Operator" : viewer.kind === "setup_link" ? "Setup link" : "Organization admin";
  const accountLinks = viewer.kind === "setup_link"
    ? html`<a href="${PORTAL_PATH}">Setup guide</a>`
    : html`${viewer.kind === "operator" ? html`<a href="/console/apps">Apps</a>` : ""}<a href="/console/admins">Admins</a>${viewer.adminId ? html`<a href="/console/account">Your account</a>` : ""}`;
  return html`<nav aria-label="Console"><strong><a href="/console">Rollcall</a></strong>${viewer.kind === "operator" ? html`<a href="/console">All organizations</a>` : ""}
${organization ? html`<span class="badge">${organization.name}</span>` : ""}${links}${accountLinks}
<form method="post" action="/logout"><input type="hidden" name="return_to" value="/console/login"><span class="muted">${who}</span> <button class="secondary" type="submit">${viewer.kind === "setup_link" ? "End setup" : "Sign out"}</button></form></nav>`;
}

/** Sends a console page. The viewer and organization come from res.locals (set by the console's guards). */
export function sendPage(req: Request, res: Response, options: { section?: Section; title: string; body: Html; status?: number }): void {
  const notice = NOTICES[String(req.query.notice ?? "")];
  const body = html`${nav(res.locals.admin ?? undefined, res.locals.organization, options.section)}
${notice ? html`<div class="ok" role="status"><p>${notice}</p></div>` : ""}<main>${options.body}</main>`;
  // helmet's `no-referrer` makes a browser send `Origin: null` with a form POST, which the same-origin check must
  // refuse; `same-origin` sends our origin to ourselves and still nothing to anyone else.
  res.status(options.status ?? 200).type("html").set({ "Cache-Control": "no-store", "Referrer-Policy": "same-origin" }).send(page(options.title, body));
}

/** A form's refusal, shown above the form that caused it. */
export const errorBox = (error: string | undefined): Html => (error ? html`<div class="error" role="alert"><p>${error}</p></div>` : html``);

/** Previous/next links for a list shown `perPage` rows at a time; `query` keeps the list's filters. */
export function pager(path: string, query: Record<string, string>, pageNumber: number, total: number, perPage: number): Html {
  const pages = Math.max(1, Math.ceil(total / perPage));
  const link = (n: number, label: string) => html`<a href="${path}?${new URLSearchParams({ ...query, page: String(n) }).toString()}">${label}</a>`;
  return html`<p class="muted">${total} in all · page ${pageNumber} of ${pages}
${pageNumber > 1 ? html` · ${link(pageNumber - 1, "← previous")}` : ""}${pageNumber < pages ? html` · ${link(pageNumber + 1, "next →")}` : ""}</p>`;
}

/** The 1-based page number asked for in `?page=`. */
export const pageNumberOf = (req: Request) => Math.max(1, Math.min(1_000_000, Number.parseInt(String(req.query.page ?? "1"), 10) || 1));

/** `2026-11-27T22:18:26.123Z` as `2026-11-27 22:18 UTC`; a missing time as a dash. */
export const when = (at: string | null | undefined) => (at ? `${at.slice(0, 10)} ${at.slice(11, 16)} UTC` : "—");
