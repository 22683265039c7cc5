import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from "jose";
import * as client from "openid-client";
import { Database, openDatabase } from "../../src/db/database.js";
import { createConnection, setConnectionEnabled, updateConnection } from "../../src/identity/connections.js";
import { createOpClient } from "../../src/identity/op-clients.js";
import { claimDomain, markDomainVerified } from "../../src/identity/domains.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createScimToken } from "../../src/identity/scim-tokens.js";
import { createTeam, replaceTeamMappings } from "../../src/identity/teams.js";
import { identityClaimsSchema } from "../../src/apps/op/claims.js";
import { IDENTITY_JWT_TYPE, identityAudience } from "../../src/apps/op/identity-header.js";
import { RunningApp, startAppOn } from "../support/app-server.js";
import { databaseTargets } from "../support/databases.js";
import { Browser, OpenIdProvider, startOpenIdProvider } from "../support/oidc-op.js";

/**
 * Rollcall as the OpenID Provider of an app, tested the way an app meets it: openid-client 6 as the app, the real
 * Rollcall server, and behind it each organization's own IdP (a real oidc-provider) that people sign in with.
 */
const system = { type: "system" as const, id: null };
const key = randomBytes(32);
const IDP_CLIENT = { clientId: "rollcall", clientSecret: randomBytes(16).toString("hex") };
/** The app's callback: never opened, the test stops at the redirect to it, as the browser would arrive. */
const APP_CALLBACK = "http://127.0.0.1:1/auth/callback";
const APP_LOGGED_OUT = "http://127.0.0.1:1/logged-out";

for (const target of await databaseTargets()) {
  describe(`Rollcall as OpenID Provider (${target.name})`, { skip: target.skip }, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let app: RunningApp;
    let idp: OpenIdProvider;
    let scimToken: string;
    const orgs: Record<string, { id: string; slug: string }> = {};
    /** The app as openid-client sees it: open to every organization, with refresh tokens. */
    let config: client.Configuration;
    let clientId: string;
    const connectionOf = (slug: string) => connectionIds[slug];
    const connectionIds: Record<string, string> = {};

    before(async () => {
      const created = await target.create({ migrated: true });
      drop = created.drop;
      db = await openDatabase({ url: created.url });
      app = await startAppOn(db, { secretKey: key, allowInsecureIdp: true });
      const connections: { id: string; organizationId: string }[] = [];
      for (const [slug, group, team] of [["acme", "eng", "Engineering"], ["globex", "sales", "Sales"]]) {
        const org = await createOrganization(db, { slug, name: slug }, system);
        orgs[slug] = org;
        connections.push(await createConnection(db, key, org.id, {
          type: "oidc", name: `${slug} IdP`, loginPath: slug, preset: "generic",
          oidc: { issuerUrl: "http://127.0.0.1:9/", ...IDP_CLIENT, scopes: ["openid", "email", "profile", "groups"], claimMappings: { name: "name", email: "email", groups: "groups" } },
        }, system));
        connectionIds[slug] = connections.at(-1)!.id;
        // login_hint and typed emails route by verified domain, and the IdP's addresses must be in the org's domains.
        for (const domain of slug === "acme" ? ["acme.example", "acme.test"] : ["globex.test"]) {
          await markDomainVerified(db, org.id, (await claimDomain(db, org.id, domain, system)).id, system);
        }
        await replaceTeamMappings(db, org.id, (await createTeam(db, org.id, { name: team, roles: [`${group}-role`] }, system)).id, [{ idpGroup: group }], system);
      }
      scimToken = (await createScimToken(db, orgs.acme.id, { name: "idp" }, system)).token;
      idp = await startOpenIdProvider({
        clients: [{ client_id: IDP_CLIENT.clientId, client_secret: IDP_CLIENT.clientSecret, redirect_uris: connections.map((c) => `${app.origin}/sso/${c.id}/oidc/callback`) }],
        accounts: {
          ada: { email: "ada@acme.test", email_verified: true, name: "Ada Lovelace", given_name: "Ada", family_name: "Lovelace", groups: ["eng"] },
          gus: { email: "gus@globex.test", email_verified: true, name: "Gus", groups: ["sales"] },
        },
      });
      for (const c of connections) {
        await updateConnection(db, key, c.organizationId, c.id, { oidc: { issuerUrl: idp.issuer } }, system);
        await setConnectionEnabled(db, key, c.organizationId, c.id, true, system);
      }
      const registered = await createOpClient(db, { name: "Reports", redirectUris: [APP_CALLBACK], postLogoutRedirectUris: [APP_LOGGED_OUT], refreshTokens: true }, system);
      clientId = registered.client.clientId;
      config = await client.discovery(new URL(app.origin), clientId, undefined, client.ClientSecretBasic(registered.secret!), { execute: [client.allowInsecureRequests] });
    });
    after(async () => {
      await app?.close();
      await idp?.close();
      await db?.close();
      await drop?.();
    });

    /** The OAuth error code of a refusal openid-client threw (in the body or in a WWW-Authenticate challenge). */
    const oauthError = (code: string) => (err: { error?: string; cause?: unknown }) =>
      (err.error ?? (err.cause as { parameters?: { error?: string } }[] | undefined)?.[0]?.parameters?.error) === code;

    interface Started { url: URL; verifier: string; state: string; nonce: string }

    async function authorization(params: Record<string, string>, using = config): Promise<Started> {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(using, {
        redirect_uri: APP_CALLBACK, scope: "openid email profile", state, nonce,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", ...params,
      });
      return { url, verifier, state, nonce };
    }

    /** Follows the browser's redirects to the app's callback; returns it and every URL passed on the way. */
    async function toCallback(browser: Browser, start: URL): Promise<{ callback: URL; hops: string[] }> {
      const hops: string[] = [];
      let next = start;
      for (let i = 0; i < 30; i++) {
        const res = await browser.get(next);
        const location = res.headers.get("location");
        if (res.status < 300 || res.status >= 400 || !location) throw new Error(`${next} answered ${res.status}: ${await res.text()}`);
        next = new URL(location, next);
        hops.push(next.href);
        if (next.href.startsWith(APP_CALLBACK)) return { callback: next, hops };
      }
      throw new Error("too many redirects");
    }

    async function signIn(browser: Browser, account: string, params: Record<string, string>) {
      idp.setAccount(account);
      const started = await authorization(params);
      const { callback, hops } = await toCallback(browser, started.url);
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce,
      });
      return { tokens, hops, started, callback };
    }

    it("documents the claims as the IdentityClaims JSON Schema of the OpenAPI document", async () => {
      const openapi = await (await fetch(`${app.origin}/api/v1/openapi.json`)).json();
      const schema = openapi.components.schemas.IdentityClaims;
      assert.deepEqual(schema.required.sort(), ["groups", "org_id", "org_slug", "roles", "sub", "teams"]);
      assert.ok(schema.properties.email_verified);
    });

    it("publishes discovery with BASE_URL as issuer, S256 PKCE, ES256 and RS256 keys at jwks_uri", async () => {
      const metadata = config.serverMetadata();
      assert.equal(metadata.issuer, app.origin);
      assert.deepEqual(metadata.code_challenge_methods_supported, ["S256"]);
      assert.deepEqual(metadata.response_types_supported, ["code"]);
      assert.deepEqual([...metadata.id_token_signing_alg_values_supported!].sort(), ["ES256", "RS256"]);
      assert.ok(!metadata.token_endpoint_auth_methods_supported!.includes("client_secret_jwt"));
      const jwks = await (await fetch(metadata.jwks_uri!)).json();
      assert.deepEqual(jwks.keys.map((k: { alg: string }) => k.alg).sort(), ["ES256", "RS256"]);
      for (const k of jwks.keys) assert.equal(k.d, undefined, "no private part is published");
    });

    it("code + PKCE through the organization's IdP: the ID token and userinfo carry the org, teams and roles", async () => {
      const browser = new Browser();
      const { tokens, hops, started, callback } = await signIn(browser, "ada", { organization: "acme" });
      assert.ok(hops.some((h) => h.startsWith(`${app.origin}/login/acme`)), "went through acme's SSO login");
      assert.ok(hops.some((h) => h.startsWith(idp.issuer)), "and its IdP");
      const claims = tokens.claims()!;
      assert.equal(claims.iss, app.origin);
      assert.equal(claims.aud, clientId);
      assert.equal(claims.org_slug, "acme");
      assert.equal(claims.org_id, orgs.acme.id);
      assert.deepEqual(claims.teams, ["Engineering"]);
      assert.deepEqual(claims.roles, ["eng-role"]);
      assert.deepEqual(claims.groups, ["eng"]);
      assert.equal(claims.email, "ada@acme.test");
      assert.equal(claims.email_verified, false);
      assert.equal(claims.given_name, "Ada");
      assert.match(String(claims.idp), /^[0-9a-f-]{36}$/);
      identityClaimsSchema.parse(claims);
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      identityClaimsSchema.parse(userinfo);
      assert.equal(userinfo.sub, claims.sub);
      assert.equal(userinfo.org_slug, "acme");
      assert.deepEqual(userinfo.teams, ["Engineering"]);
      assert.equal(userinfo.name, "Ada Lovelace");
      // A code is used once; presenting it again also revokes what it gave (RFC 6749 §4.1.2).
      await assert.rejects(client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce,
      }), oauthError("invalid_grant"));
      await assert.rejects(client.fetchUserInfo(config, tokens.access_token, claims.sub), oauthError("invalid_token"));
    });

    it("the app's state and nonce are checked: a callback of another sign-in is refused by the app", async () => {
      const browser = new Browser();
      idp.setAccount("ada");
      const started = await authorization({ organization: "acme" });
      const { callback } = await toCallback(browser, started.url);
      const about = (word: RegExp) => (err: Error & { cause?: { message?: string } }) => word.test(`${err.message} ${err.cause?.message ?? ""}`);
      await assert.rejects(client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: started.verifier, expectedState: "other", expectedNonce: started.nonce }), about(/state/));
      const again = await authorization({ organization: "acme" });
      const second = await toCallback(browser, again.url);
      await assert.rejects(client.authorizationCodeGrant(config, second.callback, { pkceCodeVerifier: again.verifier, expectedState: again.state, expectedNonce: "other" }), about(/nonce/));
      const third = await authorization({ organization: "acme" });
      const thirdCallback = await toCallback(browser, third.url);
      await assert.rejects(client.authorizationCodeGrant(config, thirdCallback.callback, { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: third.state, expectedNonce: third.nonce }), oauthError("invalid_grant"));
    });

    it("an authorization request without PKCE is refused", async () => {
      const url = client.buildAuthorizationUrl(config, { redirect_uri: APP_CALLBACK, scope: "openid", state: client.randomState(), organization: "acme" });
      const res = await new Browser().get(url);
      assert.equal(res.status, 303);
      const back = new URL(res.headers.get("location")!);
      assert.equal(back.searchParams.get("error"), "invalid_request");
      assert.match(back.searchParams.get("error_description")!, /PKCE/);
    });

    it("reuses the Rollcall session for the same organization only; another organization signs in again", async () => {
      const browser = new Browser();
      const first = await signIn(browser, "ada", { organization: "acme" });
      const again = await signIn(browser, "ada", { organization: orgs.acme.id });
      assert.ok(!again.hops.some((h) => h.startsWith(idp.issuer)), `no IdP round trip: ${again.hops.join(" → ")}`);
      assert.equal(again.tokens.claims()!.sub, first.tokens.claims()!.sub);
      // globex has an IdP of its own: this browser has no session there (the test IdP serves both organizations).
      for (const name of [...browser.cookies.keys()]) if (name.startsWith("_")) browser.cookies.delete(name);
      const other = await signIn(browser, "gus", { organization: "globex" });
      assert.ok(other.hops.some((h) => h.startsWith(`${app.origin}/login/globex`)), "globex's own login, not acme's session");
      assert.equal(other.tokens.claims()!.org_slug, "globex");
      assert.equal(other.tokens.claims()!.email, "gus@globex.test");
      assert.notEqual(other.tokens.claims()!.sub, first.tokens.claims()!.sub);
    });

    it("routes by login_hint's domain or connection=, and asks when the app names no organization", async () => {
      const byHint = await signIn(new Browser(), "ada", { login_hint: "ada@acme.example" });
      assert.equal(byHint.tokens.claims()!.org_slug, "acme");
      const byConnection = await signIn(new Browser(), "gus", { connection: connectionOf("globex") });
      assert.equal(byConnection.tokens.claims()!.org_slug, "globex");
      assert.equal(byConnection.tokens.claims()!.idp, connectionOf("globex"));
      const asked = await authorization({});
      const browser = new Browser();
      const res = await browser.get(asked.url);
      const interaction = new URL(res.headers.get("location")!, asked.url);
      const page = await browser.get(interaction);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Work email or organization login path/);
      idp.setAccount("gus");
      const answered = new URL(interaction);
      answered.searchParams.set("organization", "gus@globex.test");
      const { callback } = await toCallback(browser, answered);
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: asked.verifier, expectedState: asked.state, expectedNonce: asked.nonce });
      assert.equal(tokens.claims()!.org_slug, "globex");
    });

    it("an app open to some organizations refuses the others alike, whether they exist or not", async () => {
      const limited = await createOpClient(db, { name: "Acme only", redirectUris: [APP_CALLBACK], organizationIds: [orgs.acme.id] }, system);
      const limitedConfig = await client.discovery(new URL(app.origin), limited.client.clientId, undefined, client.ClientSecretBasic(limited.secret!), { execute: [client.allowInsecureRequests] });
      const pages = [];
      for (const organization of ["globex", "nosuch", orgs.globex.id]) {
        const browser = new Browser();
        const started = await authorization({ organization }, limitedConfig);
        const interaction = new URL((await browser.get(started.url)).headers.get("location")!, started.url);
        const res = await browser.get(interaction);
        assert.equal(res.status, 403, organization);
        pages.push((await res.text()).replace(/reference: <code>[^<]*<\/code>/, ""));
      }
      assert.equal(new Set(pages).size, 1);
      // With no organization named, the only organization it is open to is the one.
      idp.setAccount("ada");
      const started = await authorization({}, limitedConfig);
      const { callback } = await toCallback(new Browser(), started.url);
      const tokens = await client.authorizationCodeGrant(limitedConfig, callback, { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce });
      assert.equal(tokens.claims()!.org_slug, "acme");
    });

    it("an app that authenticates with private_key_jwt signs in without a secret", async () => {
      const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
      const jwk = { ...await exportJWK(publicKey), kid: "app-key", alg: "ES256", use: "sig" };
      const registered = await createOpClient(db, { name: "Keyed", authMethod: "private_key_jwt", jwks: { keys: [jwk] }, redirectUris: [APP_CALLBACK] }, system);
      assert.equal(registered.secret, null);
      const keyed = await client.discovery(new URL(app.origin), registered.client.clientId, undefined,
        client.PrivateKeyJwt({ key: privateKey, kid: "app-key" }), { execute: [client.allowInsecureRequests] });
      idp.setAccount("ada");
      const started = await authorization({ organization: "acme" }, keyed);
      const { callback } = await toCallback(new Browser(), started.url);
      const tokens = await client.authorizationCodeGrant(keyed, callback, { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce });
      assert.equal(tokens.claims()!.org_slug, "acme");
    });

    it("response_mode=form_post: the form to the app's callback is allowed by the page's CSP", async () => {
      const browser = new Browser();
      await signIn(browser, "ada", { organization: "acme" });
      const started = await authorization({ organization: "acme", response_mode: "form_post" });
      let res = await browser.get(started.url);
      for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 5; hops++) res = await browser.get(new URL(res.headers.get("location")!, started.url));
      assert.equal(res.status, 200);
      assert.ok((await res.text()).includes(`action="${APP_CALLBACK}"`));
      assert.match(res.headers.get("content-security-policy")!, /form-action 'self' https: http:/);
      assert.match(res.headers.get("content-security-policy")!, /script-src[^;]*'sha256-/);
    });

    it("a wrong client secret is refused at the token endpoint", async () => {
      const started = await authorization({ organization: "acme" });
      idp.setAccount("ada");
      const { callback } = await toCallback(new Browser(), started.url);
      const wrong = await client.discovery(new URL(app.origin), clientId, undefined, client.ClientSecretBasic("rcc_wrong"), { execute: [client.allowInsecureRequests] });
      await assert.rejects(client.authorizationCodeGrant(wrong, callback, { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce }), oauthError("invalid_client"));
    });

    it("refresh works, and a deactivated user is refused at once by userinfo, refresh and introspection", async () => {
      const { tokens } = await signIn(new Browser(), "ada", { organization: "acme" });
      assert.ok(tokens.refresh_token, "the app was given refresh tokens");
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      assert.equal(refreshed.claims()!.org_slug, "acme");
      const introspected = await client.tokenIntrospection(config, refreshed.access_token);
      assert.equal(introspected.active, true);
      assert.equal(introspected.sub, tokens.claims()!.sub);

      const patch = await fetch(`${app.origin}/scim/v2/Users/${tokens.claims()!.sub}`, {
        method: "PATCH", headers: { authorization: `Bearer ${scimToken}`, "content-type": "application/scim+json" },
        body: JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] }),
      });
      assert.equal(patch.status, 200);
      await assert.rejects(client.fetchUserInfo(config, refreshed.access_token, tokens.claims()!.sub), oauthError("invalid_token"));
      await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token!), oauthError("invalid_grant"));
      assert.equal((await client.tokenIntrospection(config, refreshed.access_token)).active, false);
      // Reactivated, the user signs in anew; the old tokens stay dead.
      await fetch(`${app.origin}/scim/v2/Users/${tokens.claims()!.sub}`, {
        method: "PATCH", headers: { authorization: `Bearer ${scimToken}`, "content-type": "application/scim+json" },
        body: JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: true }] }),
      });
      assert.equal((await client.tokenIntrospection(config, refreshed.access_token)).active, false);
    });

    it("RP-initiated logout ends the Rollcall session too, and returns to the app's registered URI", async () => {
      const browser = new Browser();
      const { tokens } = await signIn(browser, "ada", { organization: "acme" });
      const cookie = () => [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      const rollcallSession = { headers: { cookie: `rc_session=${browser.cookies.get("rc_session")}` } };
      assert.equal((await fetch(`${app.origin}/session`, rollcallSession)).status, 200);
      const endSession = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: APP_LOGGED_OUT });
      const confirm = await browser.get(endSession);
      assert.equal(confirm.status, 200);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(await confirm.text())![1];
      const done = await fetch(`${app.origin}/oidc/session/end/confirm`, {
        method: "POST", redirect: "manual", headers: { cookie: cookie(), "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ xsrf, logout: "yes" }),
      });
      assert.equal(done.status, 303, await done.text());
      assert.equal(done.headers.get("location"), APP_LOGGED_OUT);
      assert.equal((await fetch(`${app.origin}/session`, rollcallSession)).status, 401, "the Rollcall session is gone");
    });

    it("forward auth adds X-Rollcall-Identity, a JWT with the ID token's claims an app verifies with jwks_uri", async () => {
      const browser = new Browser();
      idp.setAccount("ada");
      const callback = await browser.followTo(`${app.origin}/login/acme`, `${app.origin}/sso/`);
      await browser.get(callback);
      const res = await fetch(`${app.origin}/auth/verify?org=acme`, { headers: { cookie: `rc_session=${browser.cookies.get("rc_session")}` } });
      assert.equal(res.status, 200);
      const jwt = res.headers.get("x-rollcall-identity")!;
      const { payload, protectedHeader } = await jwtVerify(jwt, createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!)), {
        issuer: app.origin, audience: identityAudience(app.origin), typ: IDENTITY_JWT_TYPE, maxTokenAge: "2m",
      });
      assert.equal(protectedHeader.alg, "ES256");
      assert.equal(payload.org_slug, "acme");
      assert.deepEqual(payload.teams, ["Engineering"]);
      assert.equal(payload.sub, res.headers.get("x-rollcall-user-id"));
      assert.ok(payload.exp! - payload.iat! <= 60);
      assert.equal(decodeProtectedHeader(jwt).typ, IDENTITY_JWT_TYPE);
      identityClaimsSchema.parse(payload);
    });
  });
}
