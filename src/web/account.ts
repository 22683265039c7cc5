import { NextFunction, Request, Response, Router } from "express";
import {
  confirmTotp, disableTotp, pendingTotpEnrolment, recoveryCodesLeft, startTotpEnrolment, TotpEnrolment,
} from "../identity/admin-second-factor.js";
import { AdminAccountInfo, changeAdminPassword, getAdminAccount, MIN_PASSWORD_LENGTH } from "../identity/admins.js";
import { one, refusal, viewerOf, WebDeps, WebError } from "./context.js";
import { badge, copyValue, field, html, postButton } from "./html.js";
import { errorBox, sendPage, when } from "./layout.js";

/**
 * `/console/account`: the signed-in admin account's own page. Its password (a one-time password must be changed here
 * before any other console page opens: `requirePasswordChanged`), and two-factor sign-in: enrol an authenticator app
 * (the secret shown to type or paste, confirmed by a code), recovery codes shown once, turn it off with the password.
 */

export const ACCOUNT_PATH = "/console/account";

/** Until an account's one-time password is changed, every console page but this one sends it here. */
export function requirePasswordChanged(deps: WebDeps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const { adminId } = viewerOf(res);
    if (adminId && !req.originalUrl.startsWith(ACCOUNT_PATH) && (await getAdminAccount(deps.db, adminId))?.mustChangePassword) {
      return res.redirect(303, `${ACCOUNT_PATH}?notice=change-password`);
    }
    next();
  };
}

interface Shown {
  error?: { message: string; status: number };
  enrolment?: TotpEnrolment | null;
  recoveryCodes?: string[];
}

export function accountRouter(deps: WebDeps): Router {
  const router = Router();

  async function ownAccount(res: Response): Promise<AdminAccountInfo> {
    const viewer = viewerOf(res);
    if (viewer.kind === "setup_link") throw new WebError(403, "A setup link has no account.");
    const account = viewer.adminId ? await getAdminAccount(deps.db, viewer.adminId) : null;
    if (!account) {
      throw new WebError(404, "You signed in through your organization's single sign-on: your password and second factor are managed by your identity provider.");
    }
    return account;
  }

  async function show(req: Request, res: Response, shown: Shown = {}) {
    const account = await ownAccount(res);
    const enrolment = shown.enrolment ?? (account.totpEnabledAt ? null : await pendingTotpEnrolment(deps.db, deps.secretKey, account.id));
    sendPage(req, res, {
      title: "Your account", status: shown.error?.status,
      body: html`<h1>Your account</h1>
<table><tr><th>Email</th><td>${account.email}</td></tr><tr><th>Name</th><td>${account.name}</td></tr>
<tr><th>Role</th><td>${account.role === "operator" ? "Instance operator (every organization)" : "Organization admin"}</td></tr>
<tr><th>Last sign-in</th><td>${when(account.lastLoginAt)}</td></tr>
<tr><th>Two-factor sign-in</th><td>${account.totpEnabledAt ? badge("on", "on") : badge("off", "off")}</td></tr></table>
${errorBox(shown.error?.message)}
<h2 id="password">Password</h2>
${account.mustChangePassword ? html`<div class="warning" role="status"><p>Your password was a one-time password. Choose your own to continue.</p></div>` : ""}
<form method="post" action="${ACCOUNT_PATH}/password">
${field(account.mustChangePassword ? "One-time password" : "Current password", "currentPassword", "", { type: "password", attrs: 'required autocomplete="current-password"' })}
${field("New password", "newPassword", "", { type: "password", attrs: `required minlength="${MIN_PASSWORD_LENGTH}" autocomplete="new-password"`, hint: `At least ${MIN_PASSWORD_LENGTH} characters.` })}
${field("New password again", "repeatPassword", "", { type: "password", attrs: `required minlength="${MIN_PASSWORD_LENGTH}" autocomplete="new-password"` })}
<p><button type="submit">Change password</button></p></form>
<h2 id="two-factor">Two-factor sign-in</h2>
${shown.recoveryCodes ? recoveryCodesBox(shown.recoveryCodes) : ""}
${account.totpEnabledAt ? await totpOn(account) : enrolment ? totpEnrolling(enrolment) : totpOff()}`,
    });
  }

  const totpOff = () => html`<p>With two-factor sign-in, signing in takes your password and a code from an authenticator app
(Google Authenticator, Microsoft Authenticator, 1Password…), so a leaked password alone opens nothing.</p>
<p>${postButton(`${ACCOUNT_PATH}/totp`, "Set up two-factor sign-in")}</p>`;

  const totpEnrolling = (enrolment: TotpEnrolment) => html`<ol><li>In your authenticator app, add an account by setup key (or paste the link, if the app takes one):
<table><tr><th>Setup key</th><td>${copyValue(enrolment.secret, "totp-secret", "setup key")}</td></tr>
<tr><th>Link</th><td>${copyValue(enrolment.uri, "totp-uri", "otpauth link")}</td></tr></table></li>
<li><form method="post" action="${ACCOUNT_PATH}/totp/confirm">${field("The code the app shows", "code", "", { attrs: 'required autocomplete="one-time-code" inputmode="numeric" pattern="[0-9 ]{6,7}"', id: "totp-code" })}
<p><button type="submit">Turn on two-factor sign-in</button></p></form></li></ol>`;

  const totpOn = async (account: AdminAccountInfo) => html`<p>On since ${when(account.totpEnabledAt)}. ${String(await recoveryCodesLeft(deps.db, account.id))} unused recovery code(s).</p>
<form method="post" action="${ACCOUNT_PATH}/totp/disable">${field("Password", "password", "", { type: "password", attrs: 'required autocomplete="current-password"', id: "totp-off-password", hint: "Turning it off needs your password." })}
<p><button type="submit" class="danger">Turn off two-factor sign-in</button></p></form>`;

  const recoveryCodesBox = (codes: string[]) => html`<div class="secret" role="status"><p><strong>Save these recovery codes now.</strong>
Each signs you in once without the app (a lost phone); they are stored only as hashes and cannot be shown again.</p>
${copyValue(codes.join("\n"), "recovery-codes", "recovery codes")}</div>`;

  /** A change whose refusal shows the page again with the reason; success redirects with a notice. */
  const change = (req: Request, res: Response, work: (account: AdminAccountInfo) => Promise<unknown>, notice: string) =>
    ownAccount(res).then(work).then(() => res.redirect(303, `${ACCOUNT_PATH}?notice=${notice}`), (err) => refused(req, res, err));

  async function refused(req: Request, res: Response, err: unknown) {
    const reason = refusal(err);
    if (!reason) throw err;
    await show(req, res, { error: reason });
  }

  router.get("/", (req, res) => show(req, res));

  router.post("/password", (req, res) => change(req, res, async (account) => {
    if (one(req.body.newPassword) !== one(req.body.repeatPassword)) throw new WebError(400, "The two new passwords differ.");
    await changeAdminPassword(deps.db, account.id, one(req.body.currentPassword), one(req.body.newPassword), viewerOf(res).actor);
  }, "password-changed"));

  router.post("/totp", async (req, res) => {
    const account = await ownAccount(res);
    try {
      await show(req, res, { enrolment: await startTotpEnrolment(deps.db, deps.secretKey, account.id) });
    } catch (err) {
      await refused(req, res, err);
    }
  });

  router.post("/totp/confirm", async (req, res) => {
    const account = await ownAccount(res);
    try {
      // Shown in this response only, never after a redirect: the codes must not reach a URL or a later page.
      await show(req, res, { recoveryCodes: await confirmTotp(deps.db, deps.secretKey, account.id, one(req.body.code), viewerOf(res).actor) });
    } catch (err) {
      await refused(req, res, err);
    }
  });

  router.post("/totp/disable", (req, res) => change(req, res,
    (account) => disableTotp(deps.db, account.id, one(req.body.password), viewerOf(res).actor), "totp-disabled"));

  return router;
}
