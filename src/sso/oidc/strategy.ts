import type { Request } from "express";
import passport from "passport";
import * as client from "openid-client";
import { type AuthenticateOptions, Strategy, type VerifyFunction } from "openid-client/passport";
import type { ConnectionRecord, OidcSettings } from "../../identity/connections.js";
import { publicFetch } from "../outbound.js";
import { ssoPaths, type SsoDeps } from "../protocol.js";
import { oidcError } from "./errors.js";

/** Options our routes pass to passport: `initiate` marks the start of a login (see shouldInitiateAuthRequest). */
export interface OidcAuthenticateOptions extends AuthenticateOptions {
  initiate?: boolean;
}

/** openid-client's Strategy with PKCE, state and nonce on every login, and logins started only by `start`. */
class ConnectionStrategy extends Strategy {
  // The Strategy sends `state` only when the IdP lacks S256 and `nonce` only for id_token response types. It keeps
  // whatever the request carries in the session and checks it on the callback (expectedState, expectedNonce).
  override authorizationRequestParams<T extends AuthenticateOptions>(req: Request, options: T) {
    const params = new URLSearchParams(super.authorizationRequestParams(req, options));
    params.set("state", client.randomState());
    params.set("nonce", client.randomNonce());
    return params;
  }

  // By default any GET without `code` or `error` starts a login, so a bare GET of the callback would bounce the
  // browser to the IdP; here only `start` does.
  override shouldInitiateAuthRequest<T extends AuthenticateOptions>(_req: Request, _url: URL, options: T) {
    return (options as OidcAuthenticateOptions).initiate === true;
  }
}

export type ProfileVerifier = (connection: ConnectionRecord, config: client.Configuration) => VerifyFunction;

/**
 * One passport strategy per connection, named `oidc:<connection id>` with the same session key: the Strategy's
 * default for both is the issuer's host, on which every Entra (or Okta) tenant would share one transaction. The
 * discovered configuration is kept until the connection's version changes.
 */
export function connectionStrategies(deps: SsoDeps, verifier: ProfileVerifier) {
  const authenticator = new passport.Passport();
  const registered = new Map<string, { version: number; name: Promise<string> }>();

  async function register(connection: ConnectionRecord, settings: OidcSettings): Promise<string> {
    const config = await discover(connection, settings, deps.allowInsecureIdp);
    const name = `oidc:${connection.id}`;
    authenticator.use(name, new ConnectionStrategy({
      name,
      sessionKey: name,
      config,
      callbackURL: `${deps.baseUrl}${ssoPaths(connection.id).oidcCallback}`,
      scope: settings.scopes.join(" "),
    }, verifier(connection, config)));
    deps.logger.info({ connectionId: connection.id, issuer: config.serverMetadata().issuer }, "OIDC issuer discovered");
    return name;
  }

  return {
    authenticator,
    /** The connection's strategy name, discovering the issuer on first use and after the connection changes. */
    strategyFor(connection: ConnectionRecord): Promise<string> {
      const known = registered.get(connection.id);
      if (known?.version === connection.version) return known.name;
      const entry = { version: connection.version, name: register(connection, oidcSettings(connection)) };
      registered.set(connection.id, entry);
      // A failed discovery is retried on the next login rather than remembered.
      entry.name.catch(() => registered.get(connection.id) === entry && registered.delete(connection.id));
      return entry.name;
    },
  };
}

export function oidcSettings(connection: ConnectionRecord): OidcSettings {
  if (connection.type !== "oidc" || !connection.oidc) throw new Error(`Connection ${connection.id} is not an OIDC connection`);
  return connection.oidc;
}

/**
 * The issuer's metadata and keys. ID token signatures are checked against its JWKS only with
 * enableNonRepudiationChecks (openid-client otherwise trusts the TLS channel to the token endpoint). The client
 * secret goes in the token request's body (client_secret_post) when the issuer lists that method, else in the
 * Authorization header (client_secret_basic, RFC 8414's default when an issuer lists none).
 */
async function discover(connection: ConnectionRecord, settings: OidcSettings, allowInsecure: boolean): Promise<client.Configuration> {
  const execute = [client.enableNonRepudiationChecks];
  if (allowInsecure) execute.push(client.allowInsecureRequests);
  const options = { execute, timeout: 10, [client.customFetch]: publicFetch(allowInsecure) };
  try {
    const discovered = await client.discovery(new URL(settings.issuerUrl), settings.clientId, settings.clientSecret, undefined, options);
    const metadata = discovered.serverMetadata();
    if (metadata.token_endpoint_auth_methods_supported?.includes("client_secret_post") ?? false) return discovered;
    const config = new client.Configuration(metadata, settings.clientId, settings.clientSecret, client.ClientSecretBasic(settings.clientSecret));
    config.timeout = options.timeout;
    config[client.customFetch] = options[client.customFetch];
    for (const step of execute) step(config);
    return config;
  } catch (err) {
    throw oidcError(err, "discovery", connection);
  }
}
