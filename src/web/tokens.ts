import { Request, Response, Router } from "express";
import { createScimToken, listScimTokens, revokeScimToken } from "../identity/scim-tokens.js";
import { SCIM_PREFIX } from "../scim/context.js";
import { one, orgOf, orgPath, submit, viewerOf, WebDeps } from "./context.js";
import { badge, copyable, field, html, Html, postButton } from "./html.js";
import { errorBox, sendPage, when } from "./layout.js";

/** SCIM tokens: create (the value is shown once, never again), list with last use, revoke. */

/** Where an IdP sends SCIM requests. Entra ID needs the `aadOptscim062020` flag for standard-conforming PATCHes. */
export function scimBaseUrl(baseUrl: string, preset?: string): string {
  return `${baseUrl}${SCIM_PREFIX}${preset === "entra" ? "?aadOptscim062020" : ""}`;
}

const scimUrlRows = (baseUrl: string) =>
  html`${copyable("SCIM base URL", scimBaseUrl(baseUrl), "scim-base-url")}${copyable("Entra ID tenant URL", scimBaseUrl(baseUrl, "entra"), "entra-tenant-url")}`;

/** A just-created token, the one time its value exists outside the IdP. */
export function newTokenBox(token: string, scimUrlRows: Html, label = "Bearer token"): Html {
  return html`<div class="secret" role="status"><p><strong>Copy this SCIM token now.</strong> It is stored only as a hash and cannot be shown again.</p>
<table>${scimUrlRows}${copyable(label, token, "new-scim-token")}</table></div>`;
}

export function tokensRouter(deps: WebDeps): Router {
  const router = Router({ mergeParams: true });
  const here = (res: Response) => orgPath(orgOf(res).id, "tokens");

  async function show(req: Request, res: Response, extra: { created?: string; error?: string; status?: number } = {}) {
    const tokens = await listScimTokens(deps.db, orgOf(res).id);
    const base = here(res);
    sendPage(req, res, {
      section: "tokens", title: "SCIM tokens", status: extra.status,
      body: html`<h1>SCIM tokens</h1>
<p>An identity provider pushes users and groups to the SCIM base URL (Entra ID: its tenant URL) with one of these
tokens as its bearer token. A token reads and changes only this organization.</p>
<table>${scimUrlRows(deps.baseUrl)}</table>
${extra.created ? newTokenBox(extra.created, html``) : ""}
${errorBox(extra.error)}
${tokens.length ? html`<table><tr><th>Name</th><th>Prefix</th><th>Created</th><th>Last used</th><th>State</th><th></th></tr>
${tokens.map((t) => html`<tr><td>${t.name}</td><td><code>${t.prefix}…</code></td><td>${when(t.createdAt)}</td><td>${t.lastUsedAt ? when(t.lastUsedAt) : "never"}</td>
<td>${t.revokedAt ? html`${badge("revoked", "off")} <span class="muted">${when(t.revokedAt)}</span>` : badge("active", "on")}</td>
<td>${t.revokedAt ? "" : postButton(`${base}/${t.id}/revoke`, "Revoke", { className: "danger" })}</td></tr>`)}</table>` : html`<p>No tokens yet.</p>`}
<h2>New token</h2><form method="post" action="${base}"><div class="row"><div>${field("Name", "name", "", { attrs: 'required maxlength="100" placeholder="e.g. okta-production"' })}</div>
<button type="submit">Create token</button></div></form>`,
    });
  }

  router.get("/", (req, res) => show(req, res));

  router.post("/", async (req, res) => {
    const name = one(req.body.name).trim();
    if (!name || name.length > 100) return show(req, res, { error: "Give the token a name of 1 to 100 characters, such as the IdP that will use it.", status: 400 });
    const { token } = await createScimToken(deps.db, orgOf(res).id, { name }, viewerOf(res).actor);
    // Rendered in the POST's response rather than after a redirect, so the value never travels in a URL.
    await show(req, res, { created: token });
  });

  router.post("/:tokenId/revoke", (req, res) => submit(res,
    () => revokeScimToken(deps.db, orgOf(res).id, req.params.tokenId, viewerOf(res).actor),
    `${here(res)}?notice=token-revoked`, (error, status) => show(req, res, { error, status })));

  return router;
}
