import { createHmac } from "node:crypto";
import { NextFunction, Request, RequestHandler, Response } from "express";
import session, { SessionData, Store } from "express-session";
import { Database } from "./db/database.js";
import { DATABASE_RETRY_AFTER_SECONDS } from "./db/unavailable.js";
import { destroySession, openSession, readSession, saveSession, SessionOrigin, SessionPrincipal, touchSession } from "./identity/sessions.js";

declare module "express-session" {
  interface SessionData {
    /** Set at login; absent while an SSO login is in progress. */
    principal: SessionPrincipal;
    /** When the login happened (ms): sessions end 12 h after it however active they are. */
    openedAt: number;
    /** An admin login whose password was right, waiting for its second factor (src/web/login.ts). */
    secondFactor: { adminId: string; expiresAt: number; attempts: number; returnTo: string };
  }
}

export interface SessionLimits {
  idleMinutes: number;
  absoluteHours: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMinutes: 60, absoluteHours: 12 };
export const SESSION_COOKIE = "rc_session";

/** The time in ms since the epoch: Date.now, or a clock that a test moves instead of waiting. */
export type Clock = () => number;

/**
 * express-session's store on the shared database (src/identity/sessions.ts), so every replica sees every session.
 * It keeps the time that both limits are measured by: each write pushes a session's expiry to a full idle period
 * from now (the cookie's own expiry only tells the browser).
 */
class DatabaseStore extends Store {
  constructor(private readonly db: Database, private readonly limits: SessionLimits, readonly now: Clock) {
    super();
  }

  expiry(): Date {
    return new Date(this.now() + this.limits.idleMinutes * 60_000);
  }

  get(sid: string, done: (err: unknown, data?: SessionData | null) => void) {
    readSession(this.db, sid, new Date(this.now())).then((row) => done(null, row ? JSON.parse(row.data) : null), done);
  }

  set(sid: string, data: SessionData, done?: (err?: unknown) => void) {
    saveSession(this.db, sid, JSON.stringify(data), this.expiry(), data.principal ?? null).then(() => done?.(), done);
  }

  override touch(sid: string, _data: SessionData, done?: (err?: unknown) => void) {
    touchSession(this.db, sid, this.expiry()).then(() => done?.(), done);
  }

  destroy(sid: string, done?: (err?: unknown) => void) {
    destroySession(this.db, sid).then(() => done?.(), done);
  }
}

/**
 * Browser sessions: an HttpOnly, SameSite=Lax cookie (Secure when the request came over HTTPS — set TRUST_PROXY
 * behind a TLS proxy), 60 minutes idle (every request renews it) and 12 hours absolute by default.
 */
export function webSession(db: Database, secretKey: Buffer, limits: SessionLimits = DEFAULT_SESSION_LIMITS, now: Clock = Date.now): RequestHandler[] {
  const store = new DatabaseStore(db, limits, now);
  const sessions = session({
    name: SESSION_COOKIE,
    // A key of its own, derived from the instance key, so a leaked cookie secret reveals nothing else.
    secret: createHmac("sha256", secretKey).update("rollcall session cookie").digest("base64url"),
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: "lax", secure: "auto", maxAge: limits.idleMinutes * 60_000, path: "/" },
  });
  const absoluteLimit = (req: Request, _res: Response, next: NextFunction) => {
    const opened = req.session?.openedAt;
    // A fresh, empty session replaces it, so that this request can still start a login.
    if (opened !== undefined && now() - opened > limits.absoluteHours * 3_600_000) return req.session.regenerate(next);
    next();
  };
  return [sessions, absoluteLimit];
}

/**
 * Turns the current (anonymous) session into a logged-in one. The session id is regenerated (no fixation) and the
 * row is created here, at login; the store only ever updates logged-in rows afterwards (see saveSession).
 */
export async function logIn(req: Request, db: Database, principal: SessionPrincipal, origin: SessionOrigin | null = null): Promise<void> {
  await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
  const store = req.sessionStore;
  // The login is timed by the clock the limits are measured by: the store's.
  if (!(store instanceof DatabaseStore)) throw new Error("logIn() runs behind webSession()");
  req.session.principal = principal;
  req.session.openedAt = store.now();
  await openSession(db, req.sessionID, JSON.stringify(req.session), store.expiry(), principal, origin);
}

/**
 * Ends the session: its row is deleted and the request carries on with a fresh, empty one (saved only if something
 * is put in it), so a later step of the same request — a new login, say — still has a session to use.
 */
export function logOut(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

/**
 * Holds this response back until its session is in the store. express-session sends the headers (the cookie, a
 * redirect's Location) before its store has answered, so a client that follows at once (an IdP that answers without
 * showing a page, a script) could come back before the login it started is stored and be told it never started
 * one. The protocols call it once a login they start is in the session. If the store fails, the login could not
 * finish: the answer becomes a 503 to try again rather than a redirect to an IdP.
 */
export function respondOnceSessionStored(req: Request, res: Response): void {
  const end = res.end as (...args: unknown[]) => Response;
  res.end = function endOnceStored(this: Response, ...args: unknown[]) {
    req.session.save((err) => {
      if (!err || res.headersSent) return end.apply(this, args);
      req.log.error({ err }, "the session of a starting login could not be stored");
      res.status(503).removeHeader("Location");
      res.setHeader("Retry-After", String(DATABASE_RETRY_AFTER_SECONDS)).type("text/plain").removeHeader("Content-Length");
      end.call(this, "The sign-in could not be started. Try again in a moment.");
    });
    return this;
  } as Response["end"];
}
