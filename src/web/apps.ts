import { Request, Response, Router } from "express";
import { createOpClient, deleteOpClient, listOpClients, OpClientRecord, rotateOpClientSecret } from "../identity/op-clients.js";
import { listOrganizations } from "../identity/organizations.js";
import { many, one, refusal, viewerOf, WebDeps, WebError } from "./context.js";
import { badge, copyable, field, html, postButton } from "./html.js";
import { errorBox, sendPage, when } from "./layout.js";

/**
 * `/console/apps`, for operators: the apps that sign their users in through Rollcall's OpenID Provider (OIDC
 * clients, docs/sso.md), with a form to register one and, per app, a new secret or removal. A secret is shown once,
 * on the page that answers its creation; only its digest is kept (identity/op-clients.ts).
 */

export const APPS_PATH = "/console/apps";

/** Lines of a textarea as a list, blank lines dropped. */
const lines = (value: unknown) => one(value).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);

export function appsRouter(deps: WebDeps): Router {
  const router = Router();
  router.use((_req, res, next) => {
    if (viewerOf(res).kind !== "operator") throw new WebError(403, "Only an instance operator registers apps.");
    next();
  });

  async function show(req: Request, res: Response, extra: { error?: string; status?: number; shown?: { app: OpClientRecord; secret: string | null } } = {}) {
    const [apps, organizations] = await Promise.all([listOpClients(deps.db), listOrganizations(deps.db)]);
    const orgName = (id: string) => organizations.find((o) => o.id === id)?.name ?? id;
    const shown = extra.shown;
    sendPage(req, res, {
      title: "Apps", status: extra.status,
      body: html`<h1>Apps</h1>
<p>Apps that sign people in through Rollcall as their OpenID Provider: authorization code with PKCE, ID tokens with the
organization, teams and roles, back-channel logout when a user is deactivated. Give the app these values:</p>
<table>${copyable("Issuer (discovery at /.well-known/openid-configuration)", deps.baseUrl, "issuer")}</table>
${shown ? html`<div class="ok" role="status"><p>${shown.app.name} is registered. Give its developer:</p><table>
${copyable("Client ID", shown.app.clientId, "new-client-id")}${shown.secret ? copyable("Client secret (shown once)", shown.secret, "new-client-secret") : ""}</table></div>` : ""}
${errorBox(extra.error)}
${apps.length ? html`<table><tr><th>App</th><th>Client ID</th><th>Redirect URIs</th><th>Organizations</th><th>Back-channel logout</th><th>Created</th><th></th></tr>
${apps.map((a) => html`<tr><td>${a.name} ${badge(a.authMethod)}${a.refreshTokens ? html` ${badge("refresh tokens")}` : ""}</td><td><code>${a.clientId}</code></td>
<td>${a.redirectUris.map((u) => html`<code>${u}</code><br>`)}</td><td>${a.organizationIds ? a.organizationIds.map(orgName).join(", ") : "all"}</td>
<td>${a.backchannelLogoutUri ? html`<code>${a.backchannelLogoutUri}</code>` : html`<span class="muted">none</span>`}</td><td>${when(a.createdAt)}</td>
<td>${a.authMethod === "private_key_jwt" ? "" : postButton(`${APPS_PATH}/${a.clientId}/secret`, "New secret", { className: "secondary", label: `New secret for ${a.name}` })}
${postButton(`${APPS_PATH}/${a.clientId}/delete`, "Remove", { className: "danger", label: `Remove ${a.name}` })}</td></tr>`)}</table>`
    : html`<p>No app is registered yet.</p>`}
<h2>Register an app</h2>
<form method="post" action="${APPS_PATH}">${field("Name", "name", "", { attrs: "required maxlength=200" })}
<label for="f-redirect-uris">Redirect URIs, one per line</label><textarea id="f-redirect-uris" name="redirectUris" rows="2" required></textarea>
<fieldset><legend>Organizations whose people may sign in</legend>${organizations.map((o) => html`<label class="check"><input type="checkbox" name="organizationIds" value="${o.id}"> ${o.name}</label>`)}
<p class="muted">None ticked: every organization.</p></fieldset>
${field("Back-channel logout URI (optional)", "backchannelLogoutUri", "", { type: "url", hint: "Rollcall POSTs a signed logout token here when a user is deactivated, deleted or signed out." })}
<label class="check"><input type="checkbox" name="refreshTokens" value="1"> Issue refresh tokens</label>
<p><button type="submit">Register</button></p></form>`,
    });
  }

  /** Runs a change whose answer is this page with a secret shown once, or the page with the refusal. */
  async function showing(req: Request, res: Response, change: () => Promise<{ app: OpClientRecord; secret: string | null }>) {
    let shown;
    try {
      shown = await change();
    } catch (err) {
      const refused = refusal(err);
      if (!refused) throw err;
      return show(req, res, { error: refused.message, status: refused.status });
    }
    return show(req, res, { shown });
  }

  router.get("/", (req, res) => show(req, res));
  router.post("/", (req, res) => showing(req, res, async () => {
    const organizationIds = many(req.body.organizationIds).filter(Boolean);
    const { client, secret } = await createOpClient(deps.db, {
      name: one(req.body.name).trim(), redirectUris: lines(req.body.redirectUris), organizationIds: organizationIds.length ? organizationIds : null,
      backchannelLogoutUri: one(req.body.backchannelLogoutUri).trim() || null, refreshTokens: one(req.body.refreshTokens) === "1",
    }, viewerOf(res).actor);
    return { app: client, secret };
  }));
  router.post("/:clientId/secret", (req, res) => showing(req, res, async () => {
    const app = (await listOpClients(deps.db)).find((a) => a.clientId === req.params.clientId);
    if (!app) throw new WebError(404, "There is no such app.");
    return { app, secret: await rotateOpClientSecret(deps.db, app.clientId, viewerOf(res).actor) };
  }));
  router.post("/:clientId/delete", async (req, res) => {
    await deleteOpClient(deps.db, String(req.params.clientId), viewerOf(res).actor);
    res.redirect(303, `${APPS_PATH}?notice=app-removed`);
  });
  return router;
}
