import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { Logger } from "pino";
import { Database } from "../../db/database.js";
import { consumeEvents } from "../../identity/events/outbox.js";
import {
  claimDueLogouts, enqueueLogouts, LOGOUT_EVENT_TYPES, LogoutDelivery, recordLogoutDelivered, recordLogoutFailed,
} from "../../identity/op-logouts.js";
import { assertPublicUrl } from "../../sso/outbound.js";
import { SigningKeys } from "./keys.js";

/**
 * OIDC Back-Channel Logout 1.0 from the lifecycle outbox: oidc-provider sends logout tokens only from its own
 * end-session endpoint, once; deprovisioning (SCIM deactivation or deletion, sessions ended by an admin) must reach
 * apps too, and survive an app that is down. Each pass moves new events into delivery rows (outbox consumer), then
 * sends the due rows: a logout token naming the user (`sub`, no `sid`: every session of the user at the app ends).
 */

export const LOGOUT_CONSUMER = "oidc-backchannel-logout";
const BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout";
/** §4 of the spec recommends a short lifetime; two minutes covers clock skew. */
const LOGOUT_TOKEN_SECONDS = 120;
const SEND_TIMEOUT_MS = 10_000;

export interface LogoutSenderDeps {
  db: Database;
  baseUrl: string;
  keys: SigningKeys;
  logger: Logger;
  /** Lets apps' logout URIs be http:// or loopback (tests, local development), as for IdP URLs. */
  allowInsecureIdp: boolean;
}

/**
 * The logout token (§2.4): signed like our ID tokens (RS256, every client's default), `typ` logout+jwt, the events
 * claim, never a nonce.
 */
export async function logoutToken(deps: Pick<LogoutSenderDeps, "keys" | "baseUrl">, delivery: LogoutDelivery): Promise<string> {
  const { kid, key } = await deps.keys.signing("RS256");
  return new SignJWT({ events: { [BACKCHANNEL_EVENT]: {} }, org_id: delivery.organizationId })
    .setProtectedHeader({ alg: "RS256", kid, typ: "logout+jwt" })
    .setIssuer(deps.baseUrl).setAudience(delivery.clientId).setSubject(delivery.userId).setJti(randomUUID())
    .setIssuedAt().setExpirationTime(`${LOGOUT_TOKEN_SECONDS}s`).sign(key);
}

/** One attempt (§2.5): POST the token as a form; 200 or 204 is delivered, anything else is retried. */
async function send(deps: LogoutSenderDeps, delivery: LogoutDelivery, now: Date): Promise<boolean> {
  if (!delivery.backchannelLogoutUri) {
    await recordLogoutFailed(deps.db, delivery, "the app was removed or has no backchannel_logout_uri any more", now, true);
    return false;
  }
  try {
    await assertPublicUrl(delivery.backchannelLogoutUri, deps.allowInsecureIdp);
    const res = await fetch(delivery.backchannelLogoutUri, {
      method: "POST", redirect: "manual", signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ logout_token: await logoutToken(deps, delivery) }),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status === 200 || res.status === 204) {
      await recordLogoutDelivered(deps.db, delivery.id, now);
      return true;
    }
    throw new Error(`the app answered ${res.status}`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.logger.warn({ clientId: delivery.clientId, userId: delivery.userId, attempts: delivery.attempts + 1, err: message }, "back-channel logout failed");
    await recordLogoutFailed(deps.db, delivery, message, now);
    return false;
  }
}

/** One pass: new events to delivery rows, then every due row once. `now` is the clock retries are timed by. */
export async function backchannelLogoutPass(deps: LogoutSenderDeps, now = new Date()): Promise<{ queued: number; delivered: number; failed: number }> {
  let queued = 0;
  await consumeEvents(deps.db, LOGOUT_CONSUMER, { types: LOGOUT_EVENT_TYPES }, async (em, events) => {
    queued += await enqueueLogouts(em, events, now);
  });
  let delivered = 0;
  let failed = 0;
  for (const delivery of await claimDueLogouts(deps.db, now)) {
    if (await send(deps, delivery, now)) delivered++;
    else failed++;
  }
  return { queued, delivered, failed };
}

/** Runs a pass every `intervalMs` in this replica (never two at once); returns the stop function. */
export function startBackchannelLogout(deps: LogoutSenderDeps, intervalMs = 5_000): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    backchannelLogoutPass(deps)
      .catch((err) => deps.logger.warn({ err }, "back-channel logout pass failed"))
      .finally(() => { running = false; });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
