import express from "express";
import session from "express-session";
import { createRemoteJWKSet, JWTPayload, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { Webhook } from "standardwebhooks";
import { adminApiClient } from "../../client/index.js";

/**
 * A multi-tenant app that hands its sign-in and its user lifecycle to Rollcall, in the three ways an app meets it:
 *   1. sign-in: an OpenID Connect client of Rollcall (openid-client; code + PKCE, state, nonce), the customer's
 *      organization named by `organization=`; who the person is, and their teams and roles, come from the ID token;
 *   2. deprovisioning: OIDC Back-Channel Logout 1.0 (a signed logout token, checked with jose) ends their sessions here
 *      the moment their IdP deactivates them in Rollcall;
 *   3. lifecycle events: webhooks signed per Standard Webhooks (checked with `standardwebhooks`);
 * and one read of Rollcall's admin API with the typed client in client/ (the organization's teams).
 */

export interface ExampleSettings {
  /** Where browsers reach this app: Rollcall must know `${appUrl}/auth/callback` as a redirect URI. */
  appUrl: string;
  /** Rollcall's BASE_URL, which is its issuer. */
  rollcallUrl: string;
  clientId: string;
  clientSecret: string;
  /** The signing secret (`whsec_…`) Rollcall showed when the webhook endpoint `${appUrl}/webhooks` was created. */
  webhookSecret: string;
  /** A Rollcall API token, for the admin read; without one the page leaves it out. */
  apiToken?: string;
  /** Signs this app's session cookie. */
  sessionSecret: string;
}

/** Who is signed in, from the ID token's claims (Rollcall documents them as `IdentityClaims` in its OpenAPI document). */
interface SignedIn {
  sub: string;
  sid?: string;
  name?: string;
  email?: string;
  orgId: string;
  orgSlug: string;
  teams: string[];
  roles: string[];
}

declare module "express-session" {
  interface SessionData {
    signedIn?: SignedIn;
    /** The PKCE verifier, state and nonce of the sign-in under way. */
    pendingSignIn?: { verifier: string; state: string; nonce: string };
  }
}

/** A lifecycle event as Rollcall's webhooks carry it (docs/events.md). */
export interface RollcallEvent {
  id: string;
  type: string;
  timestamp: string;
  organizationId: string | null;
  data: Record<string, unknown>;
}

const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";

export async function exampleApp(settings: ExampleSettings) {
  const issuer = new URL(settings.rollcallUrl);
  const redirectUri = new URL("/auth/callback", settings.appUrl).href;
  // Plain http only for a Rollcall on this machine (development); in production the issuer is https.
  const config = await oidc.discovery(issuer, settings.clientId, undefined, oidc.ClientSecretBasic(settings.clientSecret),
    issuer.protocol === "http:" ? { execute: [oidc.allowInsecureRequests] } : undefined);
  const rollcallKeys = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
  const rollcall = settings.apiToken ? adminApiClient(settings.rollcallUrl, settings.apiToken) : null;
  const webhook = new Webhook(settings.webhookSecret);

  // The app's sessions, and which person (and Rollcall session) each belongs to: a logout token names a person
  // (`sub`) or one of their Rollcall sessions (`sid`), and every matching session here must end. In memory for the
  // example; an app with several replicas keeps both in a shared store.
  const sessions = new session.MemoryStore();
  const owners = new Map<string, { sub: string; sid?: string }>();
  /** Logout token ids already used, until they expire (a replayed token is refused). */
  const usedLogoutTokens = new Map<string, number>();
  /** Verified webhook events, newest first, by webhook-id: a retried delivery carries the same id. */
  const events: RollcallEvent[] = [];

  const app = express();
  app.use(session({
    store: sessions, secret: settings.sessionSecret, name: "example_session", resave: false, saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: "lax", secure: new URL(settings.appUrl).protocol === "https:" },
  }));

  app.get("/", async (req, res) => {
    const user = req.session.signedIn;
    if (!user) return void res.type("html").send(page("Signed out", `<p>You are signed out.</p>${loginForm()}`));
    // The admin read: the teams the organization has (the ID token says which of them the person is in).
    const teams = rollcall && (await rollcall.GET("/organizations/{orgId}/teams", { params: { path: { orgId: user.orgId } } })).data?.items;
    const recent = events.filter((e) => e.organizationId === user.orgId).slice(0, 10);
    res.type("html").send(page(`Signed in to ${user.orgSlug}`, `
<p id="who">${esc(user.name ?? user.email ?? user.sub)}, of <strong id="org">${esc(user.orgSlug)}</strong></p>
<p>Your teams: <span id="teams">${esc(user.teams.join(", ") || "none")}</span></p>
<p>Your roles: <span id="roles">${esc(user.roles.join(", ") || "none")}</span></p>
${teams ? `<p>Teams in your organization: <span id="org-teams">${esc(teams.map((t) => t.name).join(", "))}</span></p>` : ""}
<h2>Recent events in your organization</h2>
<ul id="events">${recent.map((e) => `<li>${esc(e.timestamp)} ${esc(e.type)}</li>`).join("")}</ul>
<form method="post" action="/logout"><button>Sign out</button></form>`));
  });

  // The tenant is the customer's organization in Rollcall: the person names it here (a subdomain per tenant, or an
  // email domain, would do as well), and Rollcall runs that organization's own SAML or OIDC sign-in.
  app.get("/login", async (req, res) => {
    const organization = typeof req.query.organization === "string" ? req.query.organization.trim() : "";
    if (!organization) return void res.type("html").send(page("Sign in", loginForm()));
    const pending = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
    req.session.pendingSignIn = pending;
    res.redirect(oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: "openid email profile", organization,
      state: pending.state, nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier), code_challenge_method: "S256",
    }).href);
  });

  app.get("/auth/callback", async (req, res) => {
    const pending = req.session.pendingSignIn;
    if (!pending) return void res.status(400).type("html").send(page("Sign-in failed", `<p>No sign-in was under way.</p>${loginForm()}`));
    delete req.session.pendingSignIn;
    let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
    try {
      // Checks the state (and an error Rollcall sent back instead of a code, such as access_denied), exchanges the
      // code with the PKCE verifier, and validates the ID token (signature, issuer, audience, expiry, nonce).
      tokens = await oidc.authorizationCodeGrant(config, new URL(req.originalUrl, settings.appUrl),
        { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce });
    } catch (err) {
      const reason = (err as { error?: string }).error ?? (err as Error).message;
      return void res.status(400).type("html").send(page("Sign-in failed", `<p id="reason">${esc(reason)}</p>${loginForm()}`));
    }
    const claims = tokens.claims()!;
    // Accounts are keyed on `sub` (with the organization), never on the email: an organization's IdP can assert any.
    const signedIn: SignedIn = {
      sub: claims.sub, sid: claims.sid as string | undefined, name: claims.name as string | undefined, email: claims.email as string | undefined,
      orgId: claims.org_id as string, orgSlug: claims.org_slug as string, teams: claims.teams as string[], roles: claims.roles as string[],
    };
    await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
    req.session.signedIn = signedIn;
    owners.set(req.session.id, { sub: signedIn.sub, sid: signedIn.sid });
    res.redirect("/");
  });

  app.post("/logout", (req, res) => {
    owners.delete(req.session.id);
    req.session.destroy(() => res.redirect("/"));
  });

  // OIDC Back-Channel Logout 1.0: Rollcall posts a logout token when the person is deactivated or deleted (by SCIM or
  // an admin), or their sessions are ended. 200 once their sessions here are gone; 400 for a token that fails a check.
  app.post("/backchannel-logout", express.urlencoded({ extended: false }), async (req, res) => {
    res.set("cache-control", "no-store");
    let logout: JWTPayload;
    try {
      logout = await verifiedLogoutToken(String(req.body?.logout_token ?? ""));
    } catch (err) {
      return void res.status(400).json({ error: "invalid_request", error_description: (err as Error).message });
    }
    for (const [sessionId, owner] of owners) {
      // A token with `sid` ends that Rollcall session's sessions here; one with only `sub`, all of the person's.
      if ((logout.sid ? owner.sid === logout.sid : true) && (!logout.sub || owner.sub === logout.sub)) {
        await new Promise<void>((resolve) => sessions.destroy(sessionId, () => resolve()));
        owners.delete(sessionId);
      }
    }
    res.status(200).end();
  });

  /** §2.6 of the spec: validated like an ID token, then the logout-specific rules. */
  async function verifiedLogoutToken(token: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, rollcallKeys, {
      issuer: config.serverMetadata().issuer, audience: settings.clientId, typ: "logout+jwt",
      algorithms: ["RS256", "ES256"], requiredClaims: ["iat", "jti", "events"], maxTokenAge: "5 minutes",
    });
    const events = payload.events as Record<string, unknown> | undefined;
    if (typeof events?.[BACKCHANNEL_LOGOUT_EVENT] !== "object") throw new Error("not a logout token: no back-channel logout event");
    if (!payload.sub && !payload.sid) throw new Error("the logout token names neither sub nor sid");
    if ("nonce" in payload) throw new Error("a logout token must not carry a nonce");
    const now = Date.now();
    for (const [jti, until] of usedLogoutTokens) if (until < now) usedLogoutTokens.delete(jti);
    if (usedLogoutTokens.has(payload.jti!)) throw new Error("the logout token was already used");
    usedLogoutTokens.set(payload.jti!, now + 5 * 60_000);
    return payload;
  }

  // Standard Webhooks: the signature covers webhook-id, webhook-timestamp and the exact bytes of the body, so the body
  // is read raw; `verify` also refuses a timestamp more than five minutes away.
  app.post("/webhooks", express.raw({ type: "application/json" }), (req, res) => {
    const headers = Object.fromEntries(["webhook-id", "webhook-timestamp", "webhook-signature"].map((name) => [name, req.get(name) ?? ""]));
    let event: RollcallEvent;
    try {
      event = webhook.verify(req.body as Buffer, headers) as RollcallEvent;
    } catch {
      return void res.status(400).json({ error: "invalid signature" });
    }
    if (!events.some((e) => e.id === event.id)) {
      events.unshift(event);
      events.length = Math.min(events.length, 200);
    }
    res.status(204).end();
  });

  return { app, events };
}

const esc = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const loginForm = () => `<form method="get" action="/login">
<label for="organization">Your organization</label> <input id="organization" name="organization" required>
<button>Sign in</button></form>`;

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${body}</body></html>`;
