import type { Request, Response, Router } from "express";
import type { Logger } from "pino";
import type { Database } from "../db/database.js";
import type { ConnectionRecord } from "../identity/connections.js";
import type { SessionOrigin } from "../identity/sessions.js";
import type { IdpProfile } from "../identity/sign-in.js";

/**
 * What the SSO router needs from a protocol module (saml/, oidc/). The router finds the connection by login path or
 * id, the protocol speaks to the IdP, and every successful callback ends in `finishLogin`, which links or provisions
 * the user through the identity core and opens the session. Protocol failures are thrown as SsoError.
 */
export interface SsoProtocol {
  /** Redirects the browser to the IdP. The intent must come back to `finishLogin` unchanged, bound to this browser. */
  start(req: Request, res: Response, connection: ConnectionRecord, intent: LoginIntent): Promise<void>;
  /**
   * Mounts the protocol's routes on a router that is itself mounted at `/sso/:connectionId/<type>`. Before any of
   * them runs, the SSO router has loaded that connection (see `connectionOf`); an unknown id never reaches them.
   */
  mount(router: Router, finishLogin: FinishLogin): void;
  /**
   * Single Logout, after the session that `origin` describes has ended here: tells the IdP, and resolves true once
   * it has answered the browser (sent it to the IdP); false when the connection has no logout to send.
   */
  logout?(req: Request, res: Response, connection: ConnectionRecord, origin: SessionOrigin, returnTo: string): Promise<boolean>;
}

export interface LoginIntent {
  /** A same-origin path to land on after login (already checked by the router). */
  returnTo: string;
  /** "Test connection": show what the IdP sent and the teams it would give, without a session or any write. */
  dryRun: boolean;
}

export type FinishLogin = (
  req: Request, res: Response, connection: ConnectionRecord, intent: LoginIntent, profile: IdpProfile,
) => Promise<void>;

/** The connection named by the route's `:connectionId`, loaded by the SSO router (src/sso/router.ts). */
export const connectionOf = (res: Response): ConnectionRecord => res.locals.connection as ConnectionRecord;

/** Routes of one connection, relative to BASE_URL; also what an admin pastes into the IdP. */
export const ssoPaths = (connectionId: string) => ({
  oidcCallback: `/sso/${connectionId}/oidc/callback`,
  samlAcs: `/sso/${connectionId}/saml/acs`,
  samlMetadata: `/sso/${connectionId}/saml/metadata`,
  samlSlo: `/sso/${connectionId}/saml/slo`,
});

export interface SsoDeps {
  db: Database;
  /** Public origin of this server (no trailing slash): callback URLs and entity IDs are built from it. */
  baseUrl: string;
  logger: Logger;
  /**
   * Lets connections use http:// and loopback IdP URLs. Off in production (an admin-entered URL must not reach
   * into the private network); on for tests and local development (ROLLCALL_ALLOW_INSECURE_IDP=1).
   */
  allowInsecureIdp: boolean;
}
