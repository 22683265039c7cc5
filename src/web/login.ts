import { Request, Response, Router } from "express";
import { openSetupSession, passwordLogIn, secondFactorLogIn } from "../admin/auth.js";
import { getAdminAccount } from "../identity/admins.js";
import { findConnection, LOGIN_PATH } from "../identity/connections.js";
import { routeByEmail } from "../identity/login-routing.js";
import { safeReturnTo } from "../sso/return-to.js";
import { one, PORTAL_PATH, WebDeps } from "./context.js";
import { field, html } from "./html.js";
import { errorBox, sendPage } from "./layout.js";

/**
 * The ways in: `/login` sends a person to their organization's SSO (`/login/<loginPath>`), `/console/login` is the
 * built-in admin login, and `/setup/<secret>` opens a setup link's session. Signing out is the SSO router's
 * `POST /logout`.
 */


/** How long, and how many tries, the second step of a sign-in has after a right password. */
const SECOND_FACTOR_MINUTES = 5;
const SECOND_FACTOR_ATTEMPTS = 5;

export function loginRouter(deps: WebDeps): Router {
  const router = Router();
  /** After an admin sign-in: where the login page was asked to return, on this server; the console by default. */
  const consoleReturnTo = (value: unknown) => {
    const returnTo = safeReturnTo(value, deps.baseUrl);
    return returnTo === "/" ? "/console" : returnTo;
  };

  function ssoForm(req: Request, res: Response, entered = "", error?: string) {
    // Where the login was asked to return (an app's page that sent the person here) is carried through this step.
    const returnTo = safeReturnTo(req.body?.return_to ?? req.query.return_to, deps.baseUrl);
    // This form's answer redirects on to the organization's IdP, and browsers hold a form's redirects to the page's
    // CSP form-action (helmet's is 'self'): let it reach an IdP, which is https (or http while insecure IdPs are allowed).
    const csp = res.get("Content-Security-Policy");
    if (csp) res.set("Content-Security-Policy", csp.replace(/form-action [^;]*/, `form-action 'self' https:${deps.allowInsecureIdp ? " http:" : ""}`));
    sendPage(req, res, {
      title: "Sign in", status: error ? 404 : 200,
      body: html`<h1>Sign in</h1>${errorBox(error)}
<form method="post" action="/login">${returnTo === "/" ? "" : html`<input type="hidden" name="return_to" value="${returnTo}">`}${field("Work email or organization login path", "identifier", entered, { attrs: 'required autocomplete="username" autofocus' })}
<p class="muted">With an email, you are sent to the single sign-on of the organization that verified its domain. Your
administrator can also give you the direct link, <code>${deps.baseUrl}/login/&lt;login path&gt;</code>.</p>
<p><button type="submit">Continue</button></p></form>
<p class="muted">Administrators: <a href="/console/login">sign in with a password</a>.</p>`,
    });
  }

  router.get("/login", (req, res) => ssoForm(req, res));

  router.post("/login", async (req, res) => {
    const entered = one(req.body.identifier).trim();
    if (entered.includes("@")) return routeEmail(req, res, entered);
    const connection = LOGIN_PATH.test(entered) ? await findConnection(deps.db, deps.secretKey, { loginPath: entered }) : null;
    if (!connection?.enabled) {
      return ssoForm(req, res, entered, `No single sign-on is set up for "${entered}". Check the spelling, or ask your administrator for your login link.`);
    }
    res.redirect(303, ssoStart(req, connection.loginPath));
  });

  /** A connection's login URL, carrying on where the login page was asked to return. */
  function ssoStart(req: Request, loginPath: string): string {
    const returnTo = safeReturnTo(req.body?.return_to, deps.baseUrl);
    return `/login/${encodeURIComponent(loginPath)}${returnTo === "/" ? "" : `?return_to=${encodeURIComponent(returnTo)}`}`;
  }

  /** An email goes where its verified domain says: one connection at once, several to choose from, none explained. */
  async function routeEmail(req: Request, res: Response, email: string) {
    const route = await routeByEmail(deps.db, deps.secretKey, email);
    if (!route) {
      const domain = email.slice(email.lastIndexOf("@") + 1) || "this domain";
      return ssoForm(req, res, email, `No organization has verified ${domain} for single sign-on, so we cannot tell where to send you. ` +
        `Use the login link your administrator gave you. Administrators: verify ${domain} under Domains in the console (a DNS TXT record), then people can sign in with their email.`);
    }
    if (route.connections.length === 0) {
      return ssoForm(req, res, email, `Single sign-on for ${route.domain} is switched off. Ask your administrator.`);
    }
    if (route.connections.length === 1) return res.redirect(303, ssoStart(req, route.connections[0].loginPath));
    sendPage(req, res, {
      title: "Choose how to sign in",
      body: html`<h1>Choose how to sign in</h1><p>${route.domain} signs in with more than one identity provider:</p>
<ul class="choices">${route.connections.map((c) => html`<li><a class="button" href="${ssoStart(req, c.loginPath)}">${c.name}</a></li>`)}</ul>`,
    });
  }

  function adminForm(req: Request, res: Response, email = "", error?: string) {
    const returnTo = safeReturnTo(req.body?.return_to ?? req.query.return_to, deps.baseUrl);
    sendPage(req, res, {
      title: "Administrator sign-in", status: error ? 401 : 200,
      body: html`<h1>Administrator sign-in</h1>${errorBox(error)}
<form method="post" action="/console/login"><input type="hidden" name="return_to" value="${returnTo === "/" ? "/console" : returnTo}">
${field("Email", "email", email, { type: "email", attrs: 'required autocomplete="username" autofocus' })}
${field("Password", "password", "", { type: "password", attrs: 'required autocomplete="current-password"' })}
<p><button type="submit">Sign in</button></p></form>
<p class="muted">People of an organization with single sign-on <a href="/login">sign in here</a>.</p>`,
    });
  }

  router.get("/console/login", (req, res) => adminForm(req, res));

  router.post("/console/login", async (req, res) => {
    const email = one(req.body.email);
    const outcome = email ? await passwordLogIn(req, deps.db, deps.secretKey, email, one(req.body.password)) : null;
    if (!outcome) return adminForm(req, res, email, "That email and password do not match an active administrator account.");
    const returnTo = consoleReturnTo(req.body.return_to);
    if ("signedIn" in outcome) return res.redirect(303, returnTo);
    req.session.secondFactor = { adminId: outcome.secondFactorDue.id, expiresAt: Date.now() + SECOND_FACTOR_MINUTES * 60_000, attempts: 0, returnTo };
    res.redirect(303, "/console/login/code");
  });

  /** The second step, for an account with two-factor sign-in: a few minutes and a few tries, then back to the password. */
  function codeForm(req: Request, res: Response, error?: string) {
    sendPage(req, res, {
      title: "Two-factor sign-in", status: error ? 401 : 200,
      body: html`<h1>Two-factor sign-in</h1>${errorBox(error)}
<form method="post" action="/console/login/code">${field("Code from your authenticator app", "code", "", { attrs: 'required autocomplete="one-time-code" inputmode="numeric" autofocus' , hint: "The 6-digit code the app shows now, or one of your recovery codes." })}
<p><button type="submit">Verify</button></p></form>
<p class="muted"><a href="/console/login">Start again</a></p>`,
    });
  }

  const pendingSecondFactor = (req: Request) => {
    const pending = req.session?.secondFactor;
    return pending && pending.expiresAt > Date.now() && pending.attempts < SECOND_FACTOR_ATTEMPTS ? pending : null;
  };

  router.get("/console/login/code", (req, res) => (pendingSecondFactor(req) ? codeForm(req, res) : res.redirect(303, "/console/login")));

  router.post("/console/login/code", async (req, res) => {
    const pending = pendingSecondFactor(req);
    if (!pending) {
      delete req.session.secondFactor;
      return adminForm(req, res, "", "The sign-in took too long or had too many wrong codes. Sign in again.");
    }
    pending.attempts += 1;
    const account = await getAdminAccount(deps.db, pending.adminId);
    const signedIn = account && !account.disabledAt ? await secondFactorLogIn(req, deps.db, deps.secretKey, account, one(req.body.code)) : null;
    if (!signedIn) return codeForm(req, res, "That code is not right, or was used already. Type the code the app shows now.");
    res.redirect(303, pending.returnTo);
  });

  router.get("/setup/:secret", async (req, res) => {
    // The secret is a credential: keep it out of the request log, which records the URL when the response ends.
    req.originalUrl = "/setup/[redacted]";
    const link = await openSetupSession(req, deps.db, req.params.secret);
    if (!link) {
      return sendPage(req, res, {
        title: "Setup link", status: 404,
        body: html`<h1>This setup link does not work</h1><div class="error"><p>It has expired, was revoked, or was copied incompletely. Ask the person who sent it for a new one.</p></div>`,
      });
    }
    res.redirect(303, PORTAL_PATH);
  });

  return router;
}
