/**
 * OpenID Providers and a relying party for the OIDC tests, all on loopback:
 * - startOpenIdProvider: a real OP (oidc-provider) with headless login and consent;
 * - startStubIssuer: a minimal OP whose ID tokens the test forges (bad signatures, claims, algorithms);
 * - startRelyingParty: an Express app that mounts oidcProtocol the way the SSO router does;
 * - Browser: fetch with a cookie jar that follows redirects by hand.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import session from "express-session";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
// @ts-expect-error oidc-provider 9 ships no type declarations (and @types/oidc-provider describes version 8)
import ProviderModule from "oidc-provider";
import { pino } from "pino";
import { type Database, openDatabase } from "../../src/db/database.js";
import type { ClaimMappings, ConnectionRecord } from "../../src/identity/connections.js";
import type { IdpProfile } from "../../src/identity/sign-in.js";
import { SsoError } from "../../src/sso/errors.js";
import { oidcProtocol } from "../../src/sso/oidc/index.js";
import type { LoginIntent } from "../../src/sso/protocol.js";

export type Claims = Record<string, unknown>;

async function listen(handler: RequestListener): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function rsaSigningKey(kid: string) {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk: JWK = { ...await exportJWK(privateKey), kid, alg: "RS256", use: "sig" };
  return { privateKey, jwk };
}

// ---------------------------------------------------------------------------------------------------------------
// A real OpenID Provider

/** The little of oidc-provider's API the test OP uses. */
interface Provider {
  callback(): RequestListener;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<{
    prompt: { name: string; details: { missingOIDCScope?: string[]; missingOIDCClaims?: string[] } };
    params: Record<string, string | undefined>;
    session?: { accountId: string };
  }>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: object, options: object): Promise<void>;
  Grant: new (init: { accountId: string; clientId: string }) => {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    save(): Promise<string>;
  };
  on(event: string, listener: (...args: never[]) => void): void;
}
const Provider = ProviderModule as new (issuer: string, configuration: object) => Provider;

export interface OpClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface OpenIdProvider {
  issuer: string;
  /** Accounts by `sub`; a test may add or change them at any time. */
  accounts: Map<string, Claims>;
  /** The account that logs in when the authorization request has no `login_hint`. */
  setAccount(sub: string): void;
  /** Makes the next logins end with `error=` (as when a user is not assigned to the app); null logs in again. */
  refuseLogins(refusal: { error: string; error_description: string } | null): void;
  close(): Promise<void>;
}

/**
 * oidc-provider on loopback: PKCE required, claims of the requested scopes in the ID token, and headless
 * interactions (the login is the `login_hint` account or the default one; consent is granted at once).
 */
export async function startOpenIdProvider(options: { clients: OpClient[]; accounts: Record<string, Claims> }): Promise<OpenIdProvider> {
  const accounts = new Map(Object.entries(options.accounts));
  let defaultAccount = accounts.keys().next().value;
  let refusal: Claims | null = null;
  let op: Provider | undefined;
  const { server, origin } = await listen((req, res) => {
    if (req.url?.startsWith("/interaction/")) interact(op!, req, res, refusal, defaultAccount).catch((err) => fail(res, err));
    else op!.callback()(req, res);
  });
  const { jwk } = await rsaSigningKey("op-key");
  op = new Provider(origin, {
    // The RP authenticates with client_secret_post, openid-client's default.
    clients: options.clients.map((c) => ({ ...c, grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "client_secret_post" })),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString("hex")] },
    pkce: { required: () => true },
    conformIdTokenClaims: false,
    scopes: ["openid", "email", "profile", "groups"],
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "given_name", "family_name"],
      groups: ["groups"],
    },
    features: { devInteractions: { enabled: false } },
    ttl: { AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, sub: string) => {
      const claims = accounts.get(sub);
      return claims && { accountId: sub, claims: async () => ({ sub, ...claims }) };
    },
  });
  // Real IdPs name the failed check of a refused code in error_description (Okta "PKCE verification failed",
  // Entra AADSTS501481 "The Code_Verifier does not match…"); oidc-provider keeps it in error_detail.
  op.on("grant.error", (ctx: { body: Claims }, err: { error_detail?: string }) => {
    if (err.error_detail) ctx.body = { ...ctx.body, error_description: err.error_detail };
  });
  return {
    issuer: origin,
    accounts,
    setAccount: (sub) => { defaultAccount = sub; },
    refuseLogins: (next) => { refusal = next; },
    close: () => close(server),
  };
}

/** Ends an interaction with the refusal if any, else logs in `login_hint` (or the default account) and consents. */
async function interact(op: Provider, req: IncomingMessage, res: ServerResponse, refusal: Claims | null, defaultAccount?: string) {
  const { prompt, params, session: opSession } = await op.interactionDetails(req, res);
  if (refusal) return op.interactionFinished(req, res, refusal, { mergeWithLastSubmission: false });
  if (prompt.name === "login") {
    const accountId = params.login_hint ?? defaultAccount;
    return op.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
  }
  const grant = new op.Grant({ accountId: opSession!.accountId, clientId: params.client_id! });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(" "));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  return op.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

function fail(res: ServerResponse, err: unknown) {
  res.statusCode = 500;
  res.end(String(err));
}

// ---------------------------------------------------------------------------------------------------------------
// A stub issuer that forges ID tokens

export interface StubIssuer {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The account's claims, put in a correct ID token (and answered by userinfo). */
  account: Claims;
  /** Whether the ID token carries the account's claims or only iss/sub/aud/exp/iat/nonce (userinfo has the rest). */
  claimsInIdToken: boolean;
  /** Makes the next ID tokens from the claims a correct one would carry; the default signs them as they are. */
  forge: (claims: JWTPayload) => Promise<string>;
  /** Signs with the key the issuer publishes (RS256). */
  sign(claims: JWTPayload): Promise<string>;
  close(): Promise<void>;
}

/**
 * Discovery, JWKS, an authorization endpoint that approves at once, a token endpoint (client secret and PKCE
 * checked) and userinfo. It advertises `none` and HS256 beside RS256, so that refusing those tokens is the relying
 * party's doing.
 */
export async function startStubIssuer(options: {
  clientId: string; clientSecret: string; account: Claims;
  /** How the token endpoint takes the client's credentials (advertised alone in the metadata); post by default. */
  clientAuth?: "client_secret_post" | "client_secret_basic";
}): Promise<StubIssuer> {
  const clientAuth = options.clientAuth ?? "client_secret_post";
  const key = await rsaSigningKey("stub-key");
  const codes = new Map<string, URLSearchParams>();
  const accessTokens = new Set<string>();
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  const { server, origin } = await listen(app);
  const stub: StubIssuer = {
    issuer: origin,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    account: options.account,
    claimsInIdToken: true,
    forge: (claims) => stub.sign(claims),
    sign: (claims) => new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "stub-key" }).sign(key.privateKey),
    close: () => close(server),
  };

  app.get("/.well-known/openid-configuration", (_req, res) => {
    res.json({
      issuer: origin,
      authorization_endpoint: `${origin}/authorize`,
      token_endpoint: `${origin}/token`,
      userinfo_endpoint: `${origin}/userinfo`,
      jwks_uri: `${origin}/jwks`,
      response_types_supported: ["code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256", "HS256", "none"],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: [clientAuth],
      authorization_response_iss_parameter_supported: true,
    });
  });
  app.get("/jwks", (_req, res) => {
    const { kty, n, e, kid, alg, use } = key.jwk;
    res.json({ keys: [{ kty, n, e, kid, alg, use }] });
  });
  app.get("/authorize", (req, res) => {
    const params = new URL(req.url, origin).searchParams;
    const code = randomUUID();
    codes.set(code, params);
    const back = new URL(params.get("redirect_uri")!);
    back.search = new URLSearchParams({ code, state: params.get("state") ?? "", iss: origin }).toString();
    res.redirect(back.href);
  });
  app.post("/token", async (req, res) => {
    const body = req.body as Record<string, string>;
    if (clientAuth === "client_secret_basic") {
      // RFC 6749 §2.3.1: form-urlencoded id and secret, base64 together.
      const [id, secret] = Buffer.from(req.get("authorization")?.replace(/^Basic /, "") ?? "", "base64").toString().split(":").map(decodeURIComponent);
      Object.assign(body, { client_id: id, client_secret: body.client_secret === undefined ? secret : "sent twice" });
    }
    const request = codes.get(body.code);
    codes.delete(body.code);
    const challenge = createHash("sha256").update(body.code_verifier ?? "").digest("base64url");
    if (!request || body.client_id !== stub.clientId || body.client_secret !== stub.clientSecret ||
      challenge !== request.get("code_challenge") || body.redirect_uri !== request.get("redirect_uri")) {
      res.status(400).json({ error: "invalid_grant" });
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const { sub, ...profile } = stub.account;
    const claims = { iss: origin, sub, aud: stub.clientId, iat: now, exp: now + 300, nonce: request.get("nonce"), ...(stub.claimsInIdToken && profile) };
    const accessToken = randomUUID();
    accessTokens.add(accessToken);
    res.json({ access_token: accessToken, token_type: "Bearer", expires_in: 300, id_token: await stub.forge(claims as JWTPayload) });
  });
  app.get("/userinfo", (req, res) => {
    if (!accessTokens.has(req.get("authorization")?.replace(/^Bearer /, "") ?? "")) res.status(401).end();
    else res.json(stub.account);
  });
  return stub;
}

// ---------------------------------------------------------------------------------------------------------------
// The relying party

export interface CompletedLogin {
  connection: ConnectionRecord;
  intent: LoginIntent;
  profile: IdpProfile;
}

export interface RelyingParty {
  /** The app's origin, also its BASE_URL. */
  url: string;
  store: session.MemoryStore;
  /** Every login that reached finishLogin. */
  logins: CompletedLogin[];
  connections: Map<string, ConnectionRecord>;
  close(): Promise<void>;
}

export const DEFAULT_MAPPINGS: ClaimMappings = { name: "name", email: "email", groups: "groups" };

export function oidcConnection(
  id: string, issuerUrl: string, client: { clientId: string; clientSecret: string }, overrides: Partial<ConnectionRecord> = {},
): ConnectionRecord {
  return {
    id,
    organizationId: `org-of-${id}`,
    type: "oidc",
    name: id,
    loginPath: id,
    enabled: true,
    isDefault: false,
    allowOtherDomains: false,
    preset: "generic",
    oidc: { issuerUrl, ...client, scopes: ["openid", "email", "profile", "groups"], claimMappings: DEFAULT_MAPPINGS },
    saml: null,
    version: 1,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    ...overrides,
  };
}

/**
 * The app as the SSO router builds it: express-session (MemoryStore, SameSite=Lax), `/login/:connectionId`
 * calling `start` (`return_to` and `test=1` make the intent), the protocol's routes under `/sso/:connectionId/oidc` with the connection in res.locals, a
 * finishLogin that records the profile, and an error handler answering `{ reason }`.
 */
export async function startRelyingParty(options: { allowInsecureIdp?: boolean } = {}): Promise<RelyingParty> {
  const store = new session.MemoryStore();
  const logins: CompletedLogin[] = [];
  const connections = new Map<string, ConnectionRecord>();
  const db: Database = await openDatabase({ url: "sqlite::memory:" });
  const app = express();
  const { server, origin } = await listen(app);
  const protocol = oidcProtocol({ db, baseUrl: origin, logger: pino({ level: "silent" }),
    allowInsecureIdp: options.allowInsecureIdp ?? true });

  app.use(session({ secret: "rp-test", store, resave: false, saveUninitialized: false, cookie: { sameSite: "lax", httpOnly: true } }));
  const connectionOf = (req: Request, res: Response, next: NextFunction) => {
    const connection = connections.get(String(req.params.connectionId));
    if (!connection) res.status(404).json({ reason: "unknown_connection" });
    else { res.locals.connection = connection; next(); }
  };
  app.get("/login/:connectionId", connectionOf, async (req, res) => {
    await protocol.start(req, res, res.locals.connection, { returnTo: String(req.query.return_to ?? "/"), dryRun: req.query.test === "1" });
  });
  const router = express.Router({ mergeParams: true });
  protocol.mount(router, async (_req, res, connection, intent, profile) => {
    logins.push({ connection, intent, profile });
    res.json({ subject: profile.subject });
  });
  app.use("/sso/:connectionId/oidc", connectionOf, router);
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof SsoError) res.status(err.status).json({ reason: err.reason, message: err.userMessage, detail: err.detail });
    else res.status(500).json({ reason: "internal", message: String(err) });
  });
  return {
    url: origin,
    store,
    logins,
    connections,
    close: async () => { await close(server); await db.close(); },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A browser without a browser

/** fetch with a cookie jar (one site: every server here is 127.0.0.1, and cookies ignore ports) and manual redirects. */
export class Browser {
  readonly cookies = new Map<string, string>();

  async get(url: string | URL): Promise<globalThis.Response> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
    for (const line of res.headers.getSetCookie()) this.store(line);
    return res;
  }

  /** Follows redirects from `url` until one points under `prefix`, and returns that location without opening it. */
  async followTo(url: string | URL, prefix: string): Promise<URL> {
    let next = new URL(url);
    for (let hops = 0; hops < 20; hops++) {
      const res = await this.get(next);
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || !location) throw new Error(`${next} answered ${res.status}: ${await res.text()}`);
      next = new URL(location, next);
      if (next.href.startsWith(prefix)) return next;
    }
    throw new Error(`too many redirects before ${prefix}`);
  }

  private store(line: string) {
    const [pair, ...attributes] = line.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const expired = attributes.some((a) => {
      const [k, v = ""] = a.trim().split("=");
      return (k.toLowerCase() === "max-age" && Number(v) <= 0) || (k.toLowerCase() === "expires" && Date.parse(v) <= Date.now());
    });
    if (expired) this.cookies.delete(name);
    else this.cookies.set(name, pair.slice(eq + 1).trim());
  }
}
