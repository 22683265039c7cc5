import express, { NextFunction, Request, Response, Router } from "express";
import { AdminContext, mayAccessOrganization, mayUse, sessionContext } from "../admin/auth.js";
import { Database } from "../db/database.js";
import { ConnectionRecord, ConnectionType, findConnection } from "../identity/connections.js";
import { IdpProfile, signIn, SignInOutcome, SignInRefused } from "../identity/sign-in.js";
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from "../db/unavailable.js";
import { bodyParserStatus } from "../json-body.js";
import { recordLoginOutcome } from "../metrics.js";
import { orgPath, PORTAL_PATH } from "../web/context.js";
import { html, Html, page } from "../web/html.js";
import { sessionOrigin } from "../identity/sessions.js";
import { logIn, logOut } from "../web-session.js";
import { LogoutRefused, SsoError } from "./errors.js";
import { FinishLogin, LoginIntent, SsoDeps, SsoProtocol } from "./protocol.js";
import { safeReturnTo } from "./return-to.js";

export interface SsoRouterDeps extends SsoDeps {
  secretKey: Buffer;
  protocols: Record<ConnectionType, SsoProtocol>;
}

/**
 * The SSO door: `GET /login/<loginPath>` starts a login with the organization's enabled connection; the protocol
 * modules own `/sso/<connectionId>/<type>/…` (callbacks, ACS, SP metadata); every verified response ends in
 * `finishLogin`, which hands the profile to the identity core and opens the session. Failures of any step become
 * one friendly page here, with the precise reason in the log.
 */
export function ssoRouter(deps: SsoRouterDeps): Router {
  const router = Router();
  const finishLogin = finisher(deps);

  router.get("/login/:loginPath", async (req, res) => {
    const connection = await findConnection(deps.db, deps.secretKey, { loginPath: String(req.params.loginPath) });
    const dryRun = req.query.test === "1";
    if (!connection || (!connection.enabled && !dryRun)) {
      throw new SsoError("unknown_login_path", "There is no single sign-on at this address. Check the login link with your administrator.", 404);
    }
    if (dryRun && !(await tester(req, res, deps, connection))) {
      throw new SsoError("test_forbidden", "Testing a connection needs an administrator session of its organization. Log in to the console first.", 403);
    }
    const intent: LoginIntent = { returnTo: safeReturnTo(req.query.return_to, deps.baseUrl), dryRun };
    await deps.protocols[connection.type].start(req, res, connection, intent);
  });

  for (const type of ["oidc", "saml"] as const) {
    const protocolRoutes = Router({ mergeParams: true });
    protocolRoutes.use(async (req, res, next) => {
      const connection = await findConnection(deps.db, deps.secretKey, { id: String(req.params.connectionId) });
      if (!connection || connection.type !== type) throw new SsoError("unknown_connection", "This sign-in link is not valid any more. Start again from your application's login page.", 404);
      res.locals.connection = connection;
      next();
    });
    deps.protocols[type].mount(protocolRoutes, finishLogin);
    router.use(`/sso/:connectionId/${type}`, protocolRoutes);
  }

  // The session ends here first, whatever the IdP does next; a SAML login's IdP is then told (Single Logout).
  router.post("/logout", express.urlencoded({ extended: false, limit: "1kb" }), async (req, res) => {
    const returnTo = safeReturnTo(req.body?.return_to, deps.baseUrl);
    const origin = req.session?.principal?.type === "user" ? await sessionOrigin(deps.db, req.sessionID) : null;
    if (req.session) await logOut(req);
    const connection = origin && await findConnection(deps.db, deps.secretKey, { id: origin.connectionId });
    if (connection && connection.organizationId === origin.organizationId
      && await deps.protocols[connection.type].logout?.(req, res, connection, origin, returnTo)) return;
    res.redirect(303, returnTo);
  });

  router.use(loginErrorPage(deps));
  return router;
}

/**
 * A dry run shows what an IdP sent: only whoever may configure the connection's organization may run one (an
 * operator, an admin of the organization — account or SSO user with the admin role — or its setup link, if the link
 * may configure SSO).
 */
async function tester(req: Request, res: Response, deps: { db: Database }, connection: ConnectionRecord): Promise<AdminContext | null> {
  const caller = await sessionContext(req, res, deps.db);
  return caller && mayAccessOrganization(caller, connection.organizationId) && mayUse(caller, "sso") ? caller : null;
}

/**
 * Where a tester fixes a login that would get no team: a setup link's portal step for group mappings, an admin's
 * Teams page; nowhere for a setup link that may not map groups.
 */
function mappingPage(caller: AdminContext, organizationId: string): string | null {
  if (!mayUse(caller, "mappings")) return null;
  return caller.kind === "setup_link" ? `${PORTAL_PATH}/steps/groups` : orgPath(organizationId, "teams");
}

function finisher(deps: SsoRouterDeps): FinishLogin {
  return async (req, res, connection, intent, profile) => {
    const testedBy = intent.dryRun ? await tester(req, res, deps, connection) : null;
    if (intent.dryRun && !testedBy) {
      throw new SsoError("test_forbidden", "Testing a connection needs an administrator session of its organization.", 403);
    }
    if (!connection.enabled && !intent.dryRun) {
      throw new SsoError("connection_disabled", "Single sign-on for this organization is switched off. Ask your administrator.", 403);
    }
    const outcome = await signIn(deps.db, connection, profile, { dryRun: intent.dryRun });
    if (intent.dryRun) {
      res.status(200).type("html").send(testReport(connection, profile, outcome, mappingPage(testedBy!, connection.organizationId)));
      return;
    }
    if (outcome.refused) throw outcome.refused;
    await logIn(req, deps.db, { type: "user", userId: outcome.user!.id, organizationId: connection.organizationId },
      { connectionId: connection.id, saml: profile.samlLogin ?? null });
    req.log.info({ connectionId: connection.id, userId: outcome.user!.id, created: outcome.created, linked: outcome.linked }, "sso login");
    recordLoginOutcome(connection.type, "success", "ok");
    res.redirect(303, intent.returnTo);
  };
}

/** The "test connection" page: the claims received, the groups, and the teams and roles this login would get. */
function testReport(connection: ConnectionRecord, profile: IdpProfile, outcome: SignInOutcome, mappings: string | null): string {
  const verdict = outcome.refused
    ? html`<div class="error"><p><strong>This login would be refused</strong> (<code>${outcome.refused.reason}</code>): ${outcome.refused.message}</p></div>`
    : html`<div class="ok"><p><strong>This login would succeed</strong>${outcome.created ? " and create the account" : outcome.linked ? " and link an existing account" : ""}.</p></div>`;
  const rows = (pairs: [string, unknown][]) => pairs.map(([k, v]) => html`<tr><th>${k}</th><td><code>${typeof v === "string" ? v : JSON.stringify(v)}</code></td></tr>`);
  const warnings = (profile.warnings ?? []).map((w) => html`<div class="warning"><p><strong>Weak:</strong> ${w}</p></div>`);
  return page("Test connection", html`<h1>Test of ${connection.name} (${connection.type.toUpperCase()})</h1>${verdict}${warnings}
<h2>User</h2><table>${rows([["issuer", profile.issuer], ["subject", profile.subject], ["email", profile.email],
    ["email verified", profile.emailVerified], ["name", profile.name]])}</table>
<h2>Groups (${profile.groups.length})</h2><p>${profile.groups.length ? profile.groups.join(", ") : "none received"}${profile.groupsOverage ? " — group overage: the IdP sent a link instead of the groups" : ""}</p>
<h2>Teams this login would get</h2>${outcome.teams.length
    ? html`<table><tr><th>team</th><th>roles</th><th>source</th></tr>${outcome.teams.map((t) => html`<tr><td>${t.name}</td><td>${t.roles.join(", ")}</td><td>${t.source}</td></tr>`)}</table>`
    : html`<p>none</p>${outcome.refused ? "" : html`<div class="warning"><p>This user would get no team: no IdP group they are in is
mapped to one. ${mappings ? html`<a href="${mappings}">Map groups to teams</a>, then test again.` : "Ask your administrator to map their groups to teams."}</p></div>`}`}
${profile.attributes ? receivedAttributes(profile.attributes) : ""}
<h2>Everything the IdP sent</h2><table>${rows(Object.entries(profile.raw))}</table>
<p class="muted">Nothing was saved: no account, session or team change was made by this test.</p>`);
}

/** Every attribute and every value received, so that an admin sees at once which name to map to what. */
function receivedAttributes(attributes: NonNullable<IdpProfile["attributes"]>): Html {
  if (!attributes.length) return html`<h2>Attributes received (0)</h2><p>none: the IdP sent only the NameID</p>`;
  return html`<h2>Attributes received (${attributes.length})</h2><table class="attributes"><tr><th>attribute</th><th>values</th><th>used as</th></tr>
${attributes.map((a) => html`<tr><td><code>${a.name}</code></td><td>${a.values.map((v, i) => html`${i ? html`<br>` : ""}<code>${v}</code>`)}</td><td>${a.usedAs.join(", ") || html`<span class="muted">not mapped</span>`}</td></tr>`)}</table>`;
}

/**
 * The one place where a failed login becomes a page: the person gets what to do, the log gets why. Whoever may
 * configure the connection (testing it, typically) also gets the why on the page: which check failed and on what.
 * Also the error page of the OpenID Provider's interactions (src/apps/op/), which end in these logins.
 */
export function loginErrorPage(deps: { db: Database }) {
  return async (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = res.getHeader("X-Request-Id");
    const connection = res.locals.connection as ConnectionRecord | undefined;
    let status = 500;
    let reason = "internal";
    let message: string | Html = "Something went wrong on our side while signing you in. Try again; if it keeps failing, give your administrator the reference below.";
    let detail: Record<string, unknown> | undefined;
    if (err instanceof SsoError) {
      ({ status, reason, detail } = err);
      message = err.userMessage;
      req.log.warn({ reason, ...err.detail }, err instanceof LogoutRefused ? "saml logout refused" : "sso login refused");
    } else if (err instanceof SignInRefused) {
      status = 403;
      reason = err.reason;
      message = err.message;
      req.log.info({ reason }, "sso login refused by policy");
    } else if (bodyParserStatus(err)) {
      // Anyone can post to an ACS or /logout: an oversized or broken form is their mistake, not ours.
      status = bodyParserStatus(err)!;
      reason = status === 413 ? "request_too_large" : "request_unreadable";
      message = `The sign-in request ${status === 413 ? "was too large to accept" : "could not be read"}. Start again from your application's login page.`;
      req.log.warn({ reason }, "sso request refused");
    } else if (isDatabaseUnavailable(err)) {
      status = 503;
      reason = "database_unavailable";
      message = "Signing in is unavailable for a moment. Try again in a few seconds.";
      res.set("Retry-After", String(DATABASE_RETRY_AFTER_SECONDS));
      req.log.warn({ err }, "sso login: database unavailable");
    } else {
      req.log.error({ err }, "sso login failed");
    }
    const heading = err instanceof LogoutRefused ? "Sign-out failed" : "Sign-in failed";
    if (connection && !(err instanceof LogoutRefused)) recordLoginOutcome(connection.type, "failure", reason);
    if (res.headersSent) return;
    const forAdmins = detail && connection && await tester(req, res, deps, connection).catch(() => null)
      ? html`<h2>Details for administrators</h2><pre>${JSON.stringify(detail, null, 2)}</pre>` : "";
    res.status(status).type("html").send(page(heading, html`<h1>${heading}</h1><div class="error"><p>${message}</p></div>
<p class="muted">Reason: <code>${reason}</code> · reference: <code>${String(requestId ?? "")}</code></p>${forAdmins}`));
  };
}
