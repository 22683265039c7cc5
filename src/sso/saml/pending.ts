import type { Request } from "express";
import type { LoginIntent } from "../protocol.js";
import { REQUEST_TTL_MS } from "./transactions.js";

/**
 * SAML logins this browser started, kept in its session under the RelayState nonce sent with each AuthnRequest.
 * A response is accepted only by the browser that started its login (no login CSRF), for the connection it was
 * started for, in answer to the request sent then.
 */
export interface PendingLogin extends LoginIntent {
  connectionId: string;
  requestId: string;
  expiresAt: number;
}

declare module "express-session" {
  interface SessionData {
    samlLogins?: Record<string, PendingLogin>;
  }
}

/** Logins in different tabs may overlap; more than this in ten minutes is not a person. */
const MAX_PENDING = 5;

function sessionOf(req: Request) {
  if (!req.session) throw new Error("express-session must be mounted before the SSO routes (SAML logins live in the session)");
  return req.session;
}

export function rememberLogin(req: Request, relayNonce: string, login: Omit<PendingLogin, "expiresAt">): void {
  const session = sessionOf(req);
  const now = Date.now();
  const kept = Object.entries(session.samlLogins ?? {}).filter(([, p]) => p.expiresAt > now).slice(-(MAX_PENDING - 1));
  session.samlLogins = Object.fromEntries([...kept, [relayNonce, { ...login, expiresAt: now + REQUEST_TTL_MS }]]);
}

/** The unexpired login started for this connection under this RelayState, removed so it cannot be used twice. */
export function takeLogin(req: Request, relayState: string | null, connectionId: string): PendingLogin | null {
  const session = sessionOf(req);
  const logins = session.samlLogins ?? {};
  const login = relayState !== null && Object.hasOwn(logins, relayState) ? logins[relayState] : undefined;
  if (!login || login.connectionId !== connectionId) return null;
  delete logins[relayState!];
  session.samlLogins = logins;
  return login.expiresAt > Date.now() ? login : null;
}
