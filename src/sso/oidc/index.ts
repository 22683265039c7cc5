import type { Request, Response } from "express";
import type { ConnectionRecord } from "../../identity/connections.js";
import type { IdpProfile } from "../../identity/sign-in.js";
import { respondOnceSessionStored } from "../../web-session.js";
import type { LoginIntent, SsoDeps, SsoProtocol } from "../protocol.js";
import { about, idpRefused, noTransaction, oidcError } from "./errors.js";
import { verifyProfile } from "./profile.js";
import { connectionStrategies, type OidcAuthenticateOptions } from "./strategy.js";

declare module "express-session" {
  interface SessionData {
    /**
     * The intent of each OIDC login in progress, by connection id. Its PKCE verifier, state and nonce sit beside
     * it under `oidc:<connection id>`, written by openid-client's Strategy; both are taken by the callback.
     */
    oidcIntents: Record<string, LoginIntent>;
  }
}

/**
 * OpenID Connect logins: authorization code flow with PKCE (S256), state and nonce, ID token signatures checked
 * against the issuer's keys. The callback expects the SSO router to have put the connection named by
 * `:connectionId` in `res.locals.connection`, and express-session to be mounted.
 */
export function oidcProtocol(deps: SsoDeps): SsoProtocol {
  const { authenticator, strategyFor } = connectionStrategies(deps, verifyProfile);

  /** Resolves once the Strategy has redirected the browser (express-session has saved the transaction by then). */
  const redirectToIdp = (req: Request, res: Response, name: string, connection: ConnectionRecord) =>
    new Promise<void>((resolve, reject) => {
      const options: OidcAuthenticateOptions = { session: false, initiate: true };
      res.once("close", resolve);
      authenticator.authenticate(name, options, (err: unknown) => reject(oidcError(err, "discovery", connection)))(req, res, reject);
    });

  /** Resolves with the verified profile; rejects with the SsoError naming the failed check. */
  const verifiedProfile = (req: Request, res: Response, name: string, connection: ConnectionRecord) =>
    new Promise<IdpProfile>((resolve, reject) => {
      authenticator.authenticate(name, { session: false }, (err: unknown, user?: Express.User | false, info?: unknown) => {
        if (err) reject(oidcError(err, "callback", connection));
        else if (user) resolve(user as IdpProfile);
        else reject(strategyFailure(info, about(connection)));
      })(req, res, reject);
    });

  return {
    async start(req, res, connection, intent) {
      const name = await strategyFor(connection);
      sessionOf(req).oidcIntents = { ...req.session.oidcIntents, [connection.id]: intent };
      respondOnceSessionStored(req, res);
      await redirectToIdp(req, res, name, connection);
    },

    mount(router, finishLogin) {
      router.get("/callback", async (req, res) => {
        const connection = res.locals.connection as ConnectionRecord;
        const intent = takeIntent(req, connection.id);
        if (!intent) throw noTransaction({ ...about(connection), check: "no login in progress in this session" });
        const profile = await verifiedProfile(req, res, await strategyFor(connection), connection);
        await finishLogin(req, res, connection, intent, profile);
      });
    },
  };
}

function sessionOf(req: Request) {
  if (!req.session) throw new Error("OIDC logins need express-session mounted before the SSO routes");
  return req.session;
}

/** The login intent this browser stored for the connection, removed so that a callback works once. */
function takeIntent(req: Request, connectionId: string): LoginIntent | undefined {
  const { [connectionId]: intent, ...others } = sessionOf(req).oidcIntents ?? {};
  if (intent) req.session.oidcIntents = others;
  return intent;
}

/**
 * The Strategy fails (rather than errs) in two cases: the IdP answered `error=access_denied`, whose parameters it
 * passes on, and a callback with no transaction in this session.
 */
function strategyFailure(info: unknown, detail: Record<string, unknown>): Error {
  const { error, error_description } = (info ?? {}) as { error?: string; error_description?: string };
  return error ? idpRefused(error, error_description, detail) : noTransaction(detail);
}
