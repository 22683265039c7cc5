import { Request, Response, Router } from "express";
import { createOrganization, deleteOrganization, listOrganizations, renameOrganization, SLUG_RULE } from "../identity/organizations.js";
import { one, orgOf, orgPath, PORTAL_PATH, refusal, submit, viewerOf, WebDeps, WebError } from "./context.js";
import { field, html, Html } from "./html.js";
import { errorBox, sendPage } from "./layout.js";

/**
 * Organizations, for operators: `/console` lists them and creates one; an organization's overview carries its rename
 * and delete forms (organizationSettings), which post to `/console/orgs/<id>/rename` and `/delete`. Deleting asks
 * for the slug to be typed, and the identity core checks it again.
 */

function operatorOnly(res: Response) {
  if (viewerOf(res).kind !== "operator") throw new WebError(403, "Only an instance operator may create, rename or delete organizations.");
}

/** `GET /console`: an operator's list of organizations; anyone else goes to their own organization. */
export function organizationListHandler(deps: WebDeps) {
  return (req: Request, res: Response) => showList(deps, req, res);
}

async function showList(deps: WebDeps, req: Request, res: Response, typed: { slug?: string; name?: string } = {}, error?: { message: string; status: number }) {
  const viewer = viewerOf(res);
  if (viewer.kind !== "operator") {
    const home = viewer.kind === "setup_link" ? PORTAL_PATH : orgPath(viewer.organizationId!);
    return res.redirect(303, home);
  }
  const organizations = await listOrganizations(deps.db);
  sendPage(req, res, {
    title: "Organizations", status: error?.status,
    body: html`<h1>Organizations</h1><table><tr><th>Name</th><th>Slug</th><th>Created</th></tr>
${organizations.map((o) => html`<tr><td><a href="${orgPath(o.id)}">${o.name}</a></td><td><code>${o.slug}</code></td><td>${o.createdAt.slice(0, 10)}</td></tr>`)}</table>
<h2>New organization</h2>${errorBox(error?.message)}
<form method="post" action="/console/orgs"><div class="row">
<div>${field("Name", "name", typed.name ?? "", { attrs: 'required maxlength="200" placeholder="e.g. Acme Inc"' })}</div>
<div>${field("Slug", "slug", typed.slug ?? "", { attrs: 'required maxlength="100" pattern="[a-z0-9][a-z0-9\\-]{0,99}" placeholder="e.g. acme"', hint: `The short name in the CLI and the API: ${SLUG_RULE}.` })}</div>
<button type="submit">Create organization</button></div></form>`,
  });
}

/** `POST /console/orgs`: creates an organization and opens it. */
export function createOrganizationHandler(deps: WebDeps) {
  return async (req: Request, res: Response) => {
    operatorOnly(res);
    const typed = { slug: one(req.body.slug).trim(), name: one(req.body.name) };
    try {
      const created = await createOrganization(deps.db, typed, viewerOf(res).actor);
      res.redirect(303, `${orgPath(created.id)}?notice=organization-created`);
    } catch (err) {
      const refused = refusal(err);
      if (!refused) throw err;
      await showList(deps, req, res, typed, refused);
    }
  };
}

/** The rename and delete forms under an organization's overview, for operators. */
export function organizationSettings(organization: { id: string; slug: string; name: string }): Html {
  const base = orgPath(organization.id);
  return html`<h2>Organization settings</h2>
<form method="post" action="${base}/rename"><div class="row"><div>${field("Name", "name", organization.name, { attrs: 'required maxlength="200"', id: "org-name" })}</div>
<button type="submit" class="secondary">Rename</button></div></form>
<section class="danger-zone" aria-labelledby="delete-org"><h2 id="delete-org">Delete this organization</h2>
<p>Deleting removes its users, groups, teams, SSO connections, SCIM tokens, setup links, admin accounts and audit log, and
ends its sessions. It cannot be undone.</p>
<form method="post" action="${base}/delete">${field(`Type the slug, ${organization.slug}, to confirm`, "confirm", "", { attrs: 'required autocomplete="off"', id: "confirm-delete" })}
<p><button type="submit" class="danger">Delete organization</button></p></form></section>`;
}

/** `POST …/rename` and `…/delete`, mounted on an organization's router (the organization is in scope already). */
export function organizationSettingsRouter(deps: WebDeps, showOverview: (req: Request, res: Response, error: { message: string; status: number }) => Promise<void>): Router {
  const router = Router({ mergeParams: true });
  router.use((_req, res, next) => {
    operatorOnly(res);
    next();
  });
  router.post("/rename", (req, res) => submit(res,
    () => renameOrganization(deps.db, orgOf(res).id, one(req.body.name), viewerOf(res).actor),
    `${orgPath(orgOf(res).id)}?notice=organization-renamed`, (message, status) => showOverview(req, res, { message, status })));
  router.post("/delete", (req, res) => submit(res,
    () => deleteOrganization(deps.db, orgOf(res).id, one(req.body.confirm), viewerOf(res).actor),
    "/console?notice=organization-deleted", (message, status) => showOverview(req, res, { message, status })));
  return router;
}
