import { Request, Response, Router } from "express";
import {
  createSetupLink, DEFAULT_SETUP_LINK_HOURS, listSetupLinks, revokeSetupLink, SETUP_CAPABILITIES, SetupCapability, setupLinkUrl,
} from "../identity/setup-links.js";
import { many, one, orgOf, orgPath, refusal, submit, viewerOf, WebDeps } from "./context.js";
import { badge, copyable, field, html, Html, postButton, select } from "./html.js";
import { errorBox, sendPage, when } from "./layout.js";

/**
 * Self-serve setup links: an admin creates a time-limited link and sends it to the customer's IT admin, who opens
 * it without an account, lands in the setup portal, and may then use only the pages its capabilities open.
 */

const VALIDITY: [string, string][] = [["4", "4 hours"], ["24", "1 day"], ["72", "3 days"], ["168", "7 days"], ["720", "30 days"]];

/** What each capability lets the IT admin do, as the form and the list say it. */
export const CAPABILITY_LABELS: Record<SetupCapability, string> = {
  sso: "SSO connections", scim: "SCIM tokens", domains: "Domain verification", mappings: "Group → team mapping",
};

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
<p>Send a setup link to your customer's IT administrator: without an account, they are walked through this
organization's setup (domain, identity provider, test, group mapping, SCIM), limited to what you tick below, until
they press Finish, the link expires or you revoke it.</p>
${extra.created ? html`<div class="secret" role="status"><p><strong>Copy this link now</strong>; it cannot be shown again.</p>
<table>${copyable("Setup link", extra.created, "new-setup-link")}</table></div>` : ""}${errorBox(extra.error)}
${links.length ? html`<table><tr><th>Name</th><th>Prefix</th><th>May configure</th><th>Created</th><th>Expires</th><th>State</th><th></th></tr>
${links.map((l) => {
    const state = l.completedAt ? badge("completed", "on") : l.revokedAt ? badge("revoked", "off") : l.expiresAt <= now ? badge("expired", "off") : badge("active", "on");
    return html`<tr><td>${l.name}</td><td><code>${l.prefix}…</code></td><td>${l.capabilities.map((c) => CAPABILITY_LABELS[c]).join(", ")}</td>
<td>${when(l.createdAt)}</td><td>${when(l.expiresAt)}</td><td>${state}</td>
<td>${!l.revokedAt && l.expiresAt > now ? postButton(`${base}/${l.id}/revoke`, "Revoke", { className: "danger" }) : ""}</td></tr>`;
  })}</table>` : html`<p>No setup links yet.</p>`}
<h2>New setup link</h2><form method="post" action="${base}"><div class="row">
<div>${field("For", "name", "", { attrs: 'required maxlength="200" placeholder="e.g. Acme IT (jane@acme.example)"' })}</div>
<div>${select("Valid for", "validHours", VALIDITY, String(DEFAULT_SETUP_LINK_HOURS))}</div></div>
<fieldset><legend>May configure</legend>${SETUP_CAPABILITIES.map((c) => capabilityBox(c))}</fieldset>
<p><button type="submit">Create link</button></p></form>`,
    });
  }

  router.get("/", (req, res) => show(req, res));

  router.post("/", async (req, res) => {
    try {
      const { token } = await createSetupLink(deps.db, orgOf(res).id,
        { name: one(req.body.name), validHours: Number(one(req.body.validHours)), capabilities: many(req.body.capabilities) }, viewerOf(res).actor);
      await show(req, res, { created: setupLinkUrl(deps.baseUrl, token) });
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

const capabilityBox = (capability: SetupCapability): Html =>
  html`<label><input type="checkbox" name="capabilities" value="${capability}" checked> ${CAPABILITY_LABELS[capability]}</label> `;
