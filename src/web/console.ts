import { OrganizationBusy } from "../db/fair-queue.js";
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from "../db/unavailable.js";
import { bodyParserStatus } from "../json-body.js";
import express, { NextFunction, Request, Response, Router } from "express";
import { adminOf, organizationFor, resolveAdmin } from "../admin/auth.js";
import { ApiProblem } from "../admin/problems.js";
import { IdentityError } from "../identity/errors.js";
import { ACCOUNT_PATH, accountRouter, requirePasswordChanged } from "./account.js";
import { ADMINS_PATH, adminsRouter } from "./admins.js";
import { APPS_PATH, appsRouter } from "./apps.js";
import { auditRouter } from "./audit.js";
import { webhooksRouter } from "./webhooks.js";
import { connectionsRouter } from "./connections.js";
import { domainsRouter } from "./domains.js";
import { mayOpen, sameOriginPosts, Section, viewerOf, WebDeps, WebError } from "./context.js";
import { groupsRouter } from "./groups.js";
import { homeHandler } from "./home.js";
import { html } from "./html.js";
import { sendPage } from "./layout.js";
import { loginRouter } from "./login.js";
import { COPY_SCRIPT } from "./html.js";
import { createOrganizationHandler, organizationListHandler } from "./organizations.js";
import { overviewRouter } from "./overview.js";
import { setupLinksRouter } from "./setup-links.js";
import { setupPortalRouter } from "./setup-portal.js";
import { teamsRouter } from "./teams.js";
import { tokensRouter } from "./tokens.js";
import { usersRouter } from "./users.js";

/**
 * The admin console: server-rendered pages with plain HTML forms that post back to the page they came from.
 * Every organization's pages live under `/console/orgs/<id>/`; who may open them is decided here, once:
 * - no console session → redirect to `/console/login`;
 * - an organization admin or setup link opening another organization → 404, as if it did not exist;
 * - a setup link opening anything but the pages of its organization its capabilities allow → 403.
 */
export function consoleRouter(deps: WebDeps): Router {
  const router = Router();
  // Form bodies (IdP metadata XML is the largest), and the cross-site check on every POST of these pages.
  router.use(["/login", "/console", "/setup"], formBody(), sameOriginPosts(deps.baseUrl));
  router.get("/console/copy.js", (_req, res) => void res.type("js").set("Cache-Control", "public, max-age=3600").send(COPY_SCRIPT));
  // Before the login router, whose `/setup/:secret` would take `/setup/done` for a secret.
  router.use(setupPortalRouter(deps));
  router.use(loginRouter(deps));

  const signedIn = [...requireViewer(deps), requirePasswordChanged(deps)];
  router.use(ACCOUNT_PATH, signedIn, accountRouter(deps));
  router.use(ADMINS_PATH, signedIn, adminsRouter(deps));
  router.use(APPS_PATH, signedIn, appsRouter(deps));
  router.get("/console", signedIn, organizationListHandler(deps));
  router.post("/console/orgs", signedIn, createOrganizationHandler(deps));

  const organization = Router({ mergeParams: true });
  organization.use(inScope(deps));
  const areas: [Section, Router][] = [
    ["connections", connectionsRouter(deps)], ["domains", domainsRouter(deps)], ["teams", teamsRouter(deps)], ["users", usersRouter(deps)],
    ["groups", groupsRouter(deps)], ["tokens", tokensRouter(deps)], ["audit", auditRouter(deps)], ["webhooks", webhooksRouter(deps)],
    ["setup-links", setupLinksRouter(deps)],
  ];
  for (const [section, area] of areas) organization.use(`/${section}`, allow(section), area);
  organization.use("/", allow("overview"), overviewRouter(deps));
  router.use("/console/orgs/:orgId", signedIn, organization);
  router.use("/console", signedIn, (_req: Request, _res: Response, next: NextFunction) => next(new WebError(404, "There is no such page.")));

  router.use(["/login", "/console", "/setup"], errorPage);
  router.get("/", homeHandler(deps), errorPage);
  return router;
}

/**
 * Form bodies: pasted IdP metadata XML is the largest, and only a signed-in session may send it; the forms of a
 * caller not yet known (password login, setup link) are a few hundred bytes.
 */
function formBody() {
  const anonymous = express.urlencoded({ extended: false, limit: "16kb" });
  const signedIn = express.urlencoded({ extended: false, limit: "512kb" });
  return (req: Request, res: Response, next: NextFunction) => (req.session?.principal ? signedIn : anonymous)(req, res, next);
}

/**
 * The console's caller, by the admin API's rules (resolveAdmin): checked against the database at every request, so a
 * disabled account, a deactivated SSO admin or a revoked setup link stops working at once. Nobody → the login page;
 * an SSO user without the admin role → 403.
 */
function requireViewer(deps: WebDeps) {
  const resolve = resolveAdmin(deps.db);
  return [resolve, (req: Request, res: Response, next: NextFunction) => {
    if (adminOf(res)) return next();
    if (res.locals.adminRefusal) throw new WebError(403, res.locals.adminRefusal as string);
    const back = req.method === "GET" ? `?return_to=${encodeURIComponent(req.originalUrl)}` : "";
    res.redirect(303, `/console/login${back}`);
  }];
}

/** The organization of the URL, by the admin API's rule: one the viewer may not see is a 404, whether or not it exists. */
function inScope(deps: WebDeps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    res.locals.organization = await organizationFor(deps.db, viewerOf(res), String(req.params.orgId));
    next();
  };
}

function allow(section: Section) {
  return (_req: Request, res: Response, next: NextFunction) => {
    const viewer = viewerOf(res);
    if (!mayOpen(viewer, section)) {
      throw new WebError(403, `This setup link lets you configure only: ${(viewer.capabilities ?? []).join(", ")}.`);
    }
    next();
  };
}

/** Misses, refusals and failures as console pages; the log gets the failures. */
function errorPage(err: unknown, req: Request, res: Response, _next: NextFunction) {
  let status = 500;
  let message = "Something went wrong on our side. Try again; if it keeps failing, give your operator the reference below.";
  const parserStatus = bodyParserStatus(err);
  if (err instanceof WebError) ({ status, message } = err);
  else if (err instanceof ApiProblem && err.status < 500) [status, message] = [err.status, err.detail];
  else if (err instanceof IdentityError && err.reason === "notFound") [status, message] = [404, "There is no such page."];
  else if (parserStatus) [status, message] = [parserStatus, parserStatus === 413 ? "The form is too large." : "The form could not be read."];
  else if (err instanceof OrganizationBusy) [status, message] = [429, `${err.message} Try again in a moment.`];
  else if (isDatabaseUnavailable(err)) {
    [status, message] = [503, "The database is not answering, so nothing was changed. Try again in a few seconds."];
    res.set("Retry-After", String(DATABASE_RETRY_AFTER_SECONDS));
    req.log.warn({ err }, "console page: database unavailable");
  }
  else req.log.error({ err }, "console page failed");
  if (res.headersSent) return;
  const title = status === 404 ? "Not found" : status === 403 ? "Not allowed" : status >= 500 ? "Error" : "Refused";
  sendPage(req, res, {
    title, status,
    body: html`<h1>${title}</h1><div class="error"><p>${message}</p></div>
${status >= 500 ? html`<p class="muted">Reference: <code>${String(res.getHeader("X-Request-Id") ?? "")}</code></p>` : ""}
<p><a href="/console">Back to the console</a></p>`,
  });
}
