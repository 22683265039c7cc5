import { Request, Response, Router } from "express";
import { createSetupLink, DEFAULT_SETUP_LINK_HOURS, listSetupLinks, revokeSetupLink } from "../identity/setup-links.js";
import { one, orgOf, orgPath, refusal, submit, viewerOf, WebDeps } from "./context.js";
import { badge, copyable, field, html, postButton, select } from "./html.js";
import { errorBox, sendPage, when } from "./layout.js";

/**
 * Self-serve setup links: an admin creates a time-limited link and sends it to the customer's IT admin, who opens
 * it without an account and may then use only this organization's SSO connection wizard and SCIM token page.
 */

const VALIDITY: [string, string][] = [["24", "1 day"], ["72", "3 days"], ["168", "7 days"], ["720", "30 days"]];

export function setupLinksRouter(deps: WebDeps): Router {
  const router = Router({ mergeParams: true });
  const here = (res: Response) => orgPath(orgOf(res).id, "setup-links");

  async function show(req: Request, res: Response, extra: { created?: string; error?: string; status?: number } = {}) {
    const links = await listSetupLinks(deps.db, orgOf(res).id);
    const now = new Date().toISOString();
    const base = here(res);
    sendPage(req, res, {
      section: "setup-links", title: "Setup links", status: extra.status,
      body: html`<h1>Setup links</h1>
<p>Send a setup link to your customer's IT administrator: without an account, they can configure this organization's
SSO connection and SCIM tokens, and nothing else, until the link expires or you revoke it.</p>
${extra.created ? html`<div class="secret" role="status"><p><strong>Copy this link now</strong>; it cannot be shown again.</p>
<table>${copyable("Setup link", extra.created, "new-setup-link")}</table></div>` : ""}${errorBox(extra.error)}
${links.length ? html`<table><tr><th>Name</th><th>Prefix</th><th>Created</th><th>Expires</th><th>State</th><th></th></tr>
${links.map((l) => {
    const state = l.revokedAt ? badge("revoked", "off") : l.expiresAt <= now ? badge("expired", "off") : badge("active", "on");
    return html`<tr><td>${l.name}</td><td><code>${l.prefix}…</code></td><td>${when(l.createdAt)}</td><td>${when(l.expiresAt)}</td><td>${state}</td>
<td>${!l.revokedAt && l.expiresAt > now ? postButton(`${base}/${l.id}/revoke`, "Revoke", { className: "danger" }) : ""}</td></tr>`;
  })}</table>` : html`<p>No setup links yet.</p>`}
<h2>New setup link</h2><form method="post" action="${base}"><div class="row">
<div>${field("For", "name", "", { attrs: 'required maxlength="200" placeholder="e.g. Acme IT (jane@acme.example)"' })}</div>
<div>${select("Valid for", "validHours", VALIDITY, String(DEFAULT_SETUP_LINK_HOURS))}</div><button type="submit">Create link</button></div></form>`,
    });
  }

  router.get("/", (req, res) => show(req, res));

  router.post("/", async (req, res) => {
    try {
      const { token } = await createSetupLink(deps.db, orgOf(res).id,
        { name: one(req.body.name), validHours: Number(one(req.body.validHours)) }, viewerOf(res).actor);
      await show(req, res, { created: `${deps.baseUrl}/setup/${token}` });
    } catch (err) {
      const refused = refusal(err);
      if (!refused) throw err;
      await show(req, res, { error: refused.message, status: refused.status });
    }
  });

  router.post("/:linkId/revoke", (req, res) => submit(res,
    () => revokeSetupLink(deps.db, orgOf(res).id, req.params.linkId, viewerOf(res).actor),
    `${here(res)}?notice=link-revoked`, (error, status) => show(req, res, { error, status })));

  return router;
}
