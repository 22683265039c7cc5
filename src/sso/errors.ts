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
