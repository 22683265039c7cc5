/**
 * Why a login failed. `reason` is a stable code (logs, metrics, tests); `message` is shown to the person logging in
 * and says what to do next; `detail` is for the log only (it may name certificates, issuers, claim values).
 */
export class SsoError extends Error {
  constructor(
    readonly reason: string,
    readonly userMessage: string,
    readonly status = 401,
    readonly detail?: Record<string, unknown>,
  ) {
    super(`${reason}: ${userMessage}`);
    this.name = "SsoError";
  }
}

/** A failed check of an IdP's response: the person sees one generic message, the log says exactly which check. */
export const rejectedResponse = (reason: string, detail?: Record<string, unknown>) =>
  new SsoError(reason, "The identity provider's response could not be accepted. Try logging in again; if it keeps " +
    "failing, ask your administrator to check the SSO connection (the server log names the failed check).", 401, detail);

/** A refused Single Logout message: its page says that signing out did not complete, the log says which check failed. */
export class LogoutRefused extends SsoError {
  constructor(reason: string, detail?: Record<string, unknown>) {
    super(reason, "The identity provider's sign-out message could not be accepted, so nothing was signed out by it. Sign out " +
      "of your applications directly; if this keeps happening, ask your administrator to check the SSO connection.", 400, detail);
    this.name = "LogoutRefused";
  }

  /** A check shared with logins (algorithms, XML) refused the message: the same reason, told as a logout. */
  static from(err: unknown): unknown {
    return err instanceof SsoError && !(err instanceof LogoutRefused) ? new LogoutRefused(err.reason, err.detail) : err;
  }
}
