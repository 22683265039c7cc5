import * as client from "openid-client";
import type { ConnectionRecord } from "../../identity/connections.js";
import { rejectedResponse, SsoError } from "../errors.js";

/** Where in a login an openid-client call failed: the same library error means different things at each step. */
export type OidcStage = "discovery" | "callback" | "userinfo";

/**
 * The one place where openid-client's (and oauth4webapi's) errors become SsoErrors with stable reasons:
 * `oidc_discovery`, `oidc_state`, `oidc_issuer`, `oidc_nonce`, `oidc_id_token`, `oidc_pkce`, `oidc_invalid_grant`,
 * `oidc_idp_error`, `oidc_token_exchange` and `oidc_userinfo`. The detail names the failed check for the log, never a token.
 */
export function oidcError(err: unknown, stage: OidcStage, connection: ConnectionRecord): SsoError {
  if (err instanceof SsoError) return err;
  const detail = { ...about(connection), ...describe(err) };
  switch (stage) {
    case "discovery":
      return new SsoError("oidc_discovery", `The issuer URL ${connection.oidc?.issuerUrl} could not be reached or is not an OpenID ` +
        "Connect issuer. Ask your administrator to check the SSO connection's issuer URL.", 502, detail);
    case "userinfo":
      return new SsoError("oidc_userinfo", "The identity provider did not return your profile. Try logging in " +
        "again; if it keeps failing, ask your administrator to check the SSO connection.", 502, detail);
    case "callback":
      return callbackError(err, detail);
  }
}

/**
 * The IdP redirected back with `error=` (the person cancelled, or the IdP refused them): show what it said, cut
 * short. The library reports it only after the state check, so it is this browser's own login.
 */
export function idpRefused(error: string, description: string | undefined, detail: Record<string, unknown>): SsoError {
  return new SsoError("oidc_idp_error", `Your identity provider did not complete the login: ${(description || error).slice(0, 300)}`,
    401, { ...detail, error, error_description: description });
}

/** Which connection and issuer a refusal is about, for the log. */
export const about = (connection: ConnectionRecord) => ({ connectionId: connection.id, issuerUrl: connection.oidc?.issuerUrl });

/** A callback that no login in this browser is waiting for: another browser, a replay, or an expired session. */
export const noTransaction = (detail?: Record<string, unknown>) => new SsoError("oidc_state",
  "This login was not started in this browser, or it took too long. Start the login again from your " +
  "organization's login page (and allow cookies for this site).", 400, detail);

function callbackError(err: unknown, detail: Record<string, unknown>): SsoError {
  if (err instanceof client.AuthorizationResponseError) return idpRefused(err.error, err.error_description, detail);
  if (err instanceof client.ResponseBodyError) {
    // invalid_grant covers expired, used and PKCE-failed codes alike; IdPs that name the verifier in the
    // description (Okta, Entra AADSTS501481, Keycloak, Google, Auth0) let us say which.
    if (err.error === "invalid_grant") {
      if (/pkce|code[_ ]?verifier/i.test(err.error_description ?? "")) return rejectedResponse("oidc_pkce", detail);
      // The code this browser brought back (replayed, expired or altered), not the connection's client: a 4xx, and
      // the fix is a fresh login, not the client secret.
      return new SsoError("oidc_invalid_grant", "Your identity provider did not accept this login's code: it was already used, " +
        "expired or altered. Start the login again from your organization's login page.", 400, detail);
    }
    return tokenExchangeFailed(detail);
  }
  if (!(err instanceof client.ClientError)) return tokenExchangeFailed(detail);
  // oauth4webapi tells its checks apart by the claim they compared, or else only by message (pinned version).
  const check = checkOf(err);
  if (err.code === CODES.claimComparison) {
    if (check.claim === "nonce") return rejectedResponse("oidc_nonce", detail);
    if (check.claim === "iss") return rejectedResponse("oidc_issuer", detail);
    return rejectedResponse("oidc_id_token", detail);
  }
  if (err.code === CODES.timestamp || err.code === CODES.keySelection || /\bJW[TS]\b/.test(check.message)) {
    return rejectedResponse("oidc_id_token", detail);
  }
  if (/response parameter/.test(check.message)) {
    if (/"state"/.test(check.message)) return noTransaction(detail);
    if (/"iss"/.test(check.message)) return rejectedResponse("oidc_issuer", detail);
  }
  return tokenExchangeFailed(detail);
}

const tokenExchangeFailed = (detail: Record<string, unknown>) => new SsoError("oidc_token_exchange",
  "The identity provider did not complete the login. Try again; if it keeps failing, ask your administrator to " +
  "check the SSO connection's client ID and secret.", 502, detail);

/** oauth4webapi's error codes, which openid-client passes on but does not export. */
const CODES = {
  claimComparison: "OAUTH_JWT_CLAIM_COMPARISON_FAILED",
  timestamp: "OAUTH_JWT_TIMESTAMP_CHECK_FAILED",
  keySelection: "OAUTH_KEY_SELECTION_FAILED",
};

/** openid-client wraps oauth4webapi's error, whose message and `cause.claim` say which check failed. */
function checkOf(err: Error): { message: string; claim?: unknown } {
  const inner = err.cause instanceof Error ? err.cause : err;
  return { message: inner.message, claim: (inner.cause as { claim?: unknown } | undefined)?.claim };
}

/** What the log may say about a library error: names and codes, never its cause objects (claims, codes, keys). */
function describe(err: unknown): Record<string, unknown> {
  if (err instanceof client.ResponseBodyError) {
    return { error: err.error, error_description: err.error_description, status: err.status };
  }
  if (!(err instanceof Error)) return { error: String(err) };
  return { error: err.message, code: (err as { code?: unknown }).code, check: err.cause instanceof Error ? checkOf(err) : undefined };
}
