import { createHmac, JsonWebKey, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Database } from "../../db/database.js";
import { identityOf } from "../../identity/access.js";
import { secretDigest } from "../../identity/bearer-secrets.js";
import { html, Html, page } from "../../web/html.js";
import { logOut } from "../../web-session.js";
import { recordAdapter } from "./adapter.js";
import { SigningKeys } from "./keys.js";
import { CLAIMS_BY_SCOPE, identityClaims } from "./claims.js";

/** The little of oidc-provider's API Rollcall uses. */
export interface Provider {
  proxy: boolean;
  callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<{
    uid: string;
    prompt: { name: string };
    params: Record<string, string | undefined>;
    session?: { uid: string; accountId: string };
  }>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: object, options: object): Promise<void>;
  Interaction: { find(id: string): Promise<{ session?: unknown; exp: number; save(ttl: number): Promise<unknown> } | undefined> };
  Session: { findByUid(uid: string): Promise<{ destroy(): Promise<void> } | undefined> };
  Grant: new (init: { accountId: string; clientId: string }) => { addOIDCScope(scope: string): void; save(): Promise<string> };
  Client: { prototype: { compareClientSecret(this: { clientSecret?: string }, actual: string): boolean } };
  on(event: string, listener: (...args: never[]) => void): void;
  use(middleware: (ctx: never, next: () => Promise<void>) => Promise<void>): void;
}
/** oidc-provider's exports that Rollcall uses. */
interface OidcProviderModule {
  Provider: new (issuer: string, configuration: object) => Provider;
  interactionPolicy: {
    base(): { get(name: string): { checks: { add(check: unknown, index?: number): void } } };
    Check: (new (reason: string, description: string, check: (ctx: OidcContext) => unknown) => unknown) & { REQUEST_PROMPT: unknown; NO_NEED_TO_PROMPT: unknown };
  };
}
/**
 * Loaded when the first request reaches the provider: it is a third of a second of CPU at start-up, and most
 * deployments (and every process that never serves an app's login) do not need it.
 */
let oidcProviderModule: Promise<OidcProviderModule> | undefined;
// @ts-expect-error oidc-provider 9 ships no type declarations (and @types/oidc-provider describes version 8)
const loadOidcProvider = () => (oidcProviderModule ??= import("oidc-provider") as Promise<OidcProviderModule>);
type OidcContext = { oidc: { result?: { login?: unknown } }; req: IncomingMessage; type: string; body: string; state: Record<string, unknown> };

/** The provider's own endpoints, under /oidc; discovery stays where clients look for it. */
export const OP_PREFIX = "/oidc";
export const DISCOVERY_PATH = "/.well-known/openid-configuration";
export const interactionPath = (uid: string) => `${OP_PREFIX}/interaction/${uid}`;

/** Lifetimes in seconds: short codes and access tokens; refresh tokens for apps that were given them. */
const TTL = {
  AuthorizationCode: 60, AccessToken: 600, IdToken: 3600, Interaction: 3600, Session: 12 * 3600,
  RefreshToken: 14 * 24 * 3600, Grant: 14 * 24 * 3600,
};

export interface ProviderDeps {
  db: Database;
  baseUrl: string;
  secretKey: Buffer;
  trustProxy: boolean;
}

/**
 * Holds the oidc-provider instance built for the current signing keys; when another replica rotated them, the
 * provider is rebuilt (its records live in the database, so flows in progress carry on).
 */
export class OpenIdProvider {
  private built: { fingerprint: string; provider: Provider; handler: ReturnType<Provider["callback"]> } | null = null;

  constructor(private readonly deps: ProviderDeps, readonly keys: SigningKeys) {}

  async provider(): Promise<{ provider: Provider; handler: ReturnType<Provider["callback"]> }> {
    const keys = await this.keys.current();
    if (this.built?.fingerprint !== keys.fingerprint) {
      const provider = buildProvider(await loadOidcProvider(), this.deps, keys.jwks);
      this.built = { fingerprint: keys.fingerprint, provider, handler: provider.callback() };
    }
    return this.built;
  }
}

function buildProvider({ Provider: ProviderClass, interactionPolicy }: OidcProviderModule, deps: ProviderDeps, jwks: JsonWebKey[]): Provider {
  const { Check } = interactionPolicy;
  const policy = interactionPolicy.base();
  // Every authorization request comes to Rollcall's interaction, which decides the organization and whether the
  // browser's Rollcall session (not the provider's own) may be reused: a session is reused only within the
  // organization the app asked for. Passing once the interaction has finished the login.
  policy.get("login").checks.add(new Check("rollcall_organization", "Rollcall decides the organization of every sign-in",
    (ctx) => (ctx.oidc.result?.login ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT)), 0);

  const provider = new ProviderClass(deps.baseUrl, {
    adapter: recordAdapter(deps.db),
    jwks: { keys: jwks },
    findAccount: async (_ctx: unknown, sub: string) => {
      const identity = await identityOf(deps.db, sub);
      // A deactivated or deleted user: no ID token, userinfo or refresh for it (its tokens were deleted with the
      // change too; this is the backstop).
      if (!identity) return undefined;
      return { accountId: sub, claims: async () => identityClaims(identity) };
    },
    cookies: {
      keys: [createHmac("sha256", deps.secretKey).update("rollcall op cookies").digest("base64url")],
      names: { session: "rc_op_session", interaction: "rc_op_interaction", resume: "rc_op_resume" },
    },
    routes: {
      authorization: `${OP_PREFIX}/auth`, token: `${OP_PREFIX}/token`, userinfo: `${OP_PREFIX}/me`, jwks: `${OP_PREFIX}/jwks`,
      end_session: `${OP_PREFIX}/session/end`, introspection: `${OP_PREFIX}/token/introspection`,
      revocation: `${OP_PREFIX}/token/revocation`, registration: `${OP_PREFIX}/reg`,
      pushed_authorization_request: `${OP_PREFIX}/request`, backchannel_authentication: `${OP_PREFIX}/backchannel`,
      code_verification: `${OP_PREFIX}/device`, device_authorization: `${OP_PREFIX}/device/auth`, challenge: `${OP_PREFIX}/challenge`,
      credential: `${OP_PREFIX}/credential`,
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => interactionPath(interaction.uid), policy },
    extraParams: ["organization", "connection"],
    pkce: { required: () => true },
    responseTypes: ["code"],
    // HMAC algorithms would need each client's plain secret, which is not kept.
    clientAuthMethods: ["client_secret_basic", "client_secret_post", "private_key_jwt"],
    enabledJWA: {
      idTokenSigningAlgValues: ["ES256", "RS256"],
      userinfoSigningAlgValues: ["ES256", "RS256"],
      introspectionSigningAlgValues: ["ES256", "RS256"],
      clientAuthSigningAlgValues: ["ES256", "RS256", "PS256", "EdDSA"],
    },
    conformIdTokenClaims: false,
    scopes: ["openid", "email", "profile", "offline_access"],
    claims: CLAIMS_BY_SCOPE,
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed("refresh_token"),
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    },
    ttl: TTL,
    renderError,
  });
  provider.proxy = deps.trustProxy;
  // Secrets are kept as SHA-256 digests (src/identity/op-clients.ts): compare the digest of what the app sent.
  provider.Client.prototype.compareClientSecret = function compareDigest(actual: string) {
    const stored = Buffer.from(this.clientSecret ?? "", "hex");
    const presented = Buffer.from(secretDigest(actual), "hex");
    return stored.length === presented.length && timingSafeEqual(stored, presented);
  };
  // RP-initiated logout ends the Rollcall session too, so that the next sign-in asks the IdP again: marked when the
  // provider's logout succeeds, done before its answer leaves.
  provider.on("end_session.success", ((ctx: OidcContext) => { ctx.state.endRollcallSession = true; }) as never);
  provider.use(async (ctx: OidcContext, next: () => Promise<void>) => {
    await next();
    const req = ctx.req as IncomingMessage & { session?: unknown };
    if (ctx.state.endRollcallSession && req.session) await logOut(req as Parameters<typeof logOut>[0]);
  });
  return provider;
}

async function logoutSource(ctx: OidcContext, form: string) {
  ctx.type = "html";
  ctx.body = page("Sign out", html`<h1>Sign out of Rollcall?</h1>${new Html(form)}
<p><button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button>
<button class="secondary" type="submit" form="op.logoutForm">Stay signed in</button></p>`);
}

async function postLogoutSuccessSource(ctx: OidcContext) {
  ctx.type = "html";
  ctx.body = page("Signed out", html`<h1>You are signed out</h1>`);
}

async function renderError(ctx: OidcContext, out: { error: string; error_description?: string }) {
  ctx.type = "html";
  ctx.body = page("Sign-in failed", html`<h1>Sign-in failed</h1><div class="error"><p>${out.error_description ?? "The app's sign-in request could not be completed."}</p></div>
<p class="muted">Reason: <code>${out.error}</code>. Start again from the app.</p>`);
}
