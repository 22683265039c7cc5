import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  Browser, oidcConnection, type OpenIdProvider, type RelyingParty, startOpenIdProvider, startRelyingParty,
} from "../support/oidc-op.js";

const ALICE = {
  email: "alice@example.com", email_verified: true, name: "Alice Liddell", given_name: "Alice", family_name: "Liddell",
  groups: ["engineering", "on-call"],
};
const BOB = { email: "bob@example.com", email_verified: false, name: "Bob Builder", groups: "ops" };
const SECRET_A = "secret-of-org-a-0123456789";
const SECRET_B = "secret-of-org-b-0123456789";

type Answer = { status: number; reason?: string; message?: string; subject?: string };

describe("OIDC login against a real OpenID Provider (oidc-provider)", () => {
  let rp: RelyingParty;
  let op: OpenIdProvider;

  before(async () => {
    rp = await startRelyingParty();
    const redirect = (id: string) => [`${rp.url}/sso/${id}/oidc/callback`];
    op = await startOpenIdProvider({
      clients: [
        { client_id: "org-a", client_secret: SECRET_A, redirect_uris: redirect("conn-a") },
        { client_id: "org-b", client_secret: SECRET_B, redirect_uris: redirect("conn-b") },
      ],
      accounts: { alice: ALICE, bob: BOB },
    });
    rp.connections.set("conn-a", oidcConnection("conn-a", op.issuer, { clientId: "org-a", clientSecret: SECRET_A }));
    rp.connections.set("conn-b", oidcConnection("conn-b", op.issuer, { clientId: "org-b", clientSecret: SECRET_B }));
  });
  after(async () => { await rp.close(); await op.close(); });

  const callbackOf = (id: string) => `${rp.url}/sso/${id}/oidc/callback`;

  /** GET /login/<id>: the redirect to the OP's authorization endpoint. */
  async function authorizationRequest(browser: Browser, id: string): Promise<URL> {
    const res = await browser.get(`${rp.url}/login/${id}?return_to=/home`);
    assert.equal(res.status, 302, await res.text());
    return new URL(res.headers.get("location")!);
  }

  /** Through the OP (login and consent) up to the callback URL, which is returned unopened. */
  async function callbackUrl(browser: Browser, id: string): Promise<URL> {
    return browser.followTo(await authorizationRequest(browser, id), callbackOf(id));
  }

  async function open(browser: Browser, url: URL | string): Promise<Answer> {
    const res = await browser.get(url);
    return { status: res.status, ...await res.json() as Omit<Answer, "status"> };
  }

  /** Asserts a refusal with its reason, and that nothing reached finishLogin. */
  async function assertRefused(answer: Promise<Answer>, reason: string, status?: number) {
    const before = rp.logins.length;
    const { status: got, ...body } = await answer;
    assert.equal(body.reason, reason, JSON.stringify(body));
    if (status !== undefined) assert.equal(got, status);
    assert.equal(rp.logins.length, before);
  }

  const sidOf = (browser: Browser) => decodeURIComponent(browser.cookies.get("connect.sid")!).slice(2).split(".")[0];

  /** The browser's express-session record, as the MemoryStore holds it. */
  async function sessionOf(browser: Browser): Promise<Record<string, any>> {
    return new Promise((resolve, reject) => rp.store.get(sidOf(browser), (err, s) => (err ? reject(err) : resolve(s as any))));
  }

  async function replaceSession(browser: Browser, data: Record<string, any>) {
    await new Promise<void>((resolve, reject) => rp.store.set(sidOf(browser), data as any, (err) => (err ? reject(err) : resolve())));
  }

  const withParam = (url: URL, name: string, value: string) => {
    const changed = new URL(url);
    changed.searchParams.set(name, value);
    return changed;
  };

  it("a full login maps the ID token's claims to the profile and hands back the intent", async () => {
    op.setAccount("alice");
    const browser = new Browser();
    const answer = await open(browser, await callbackUrl(browser, "conn-a"));
    assert.equal(answer.status, 200, JSON.stringify(answer));
    const { connection, intent, profile } = rp.logins.at(-1)!;
    assert.equal(connection.id, "conn-a");
    assert.deepEqual(intent, { returnTo: "/home", dryRun: false });
    assert.deepEqual({ ...profile, raw: undefined }, {
      issuer: op.issuer, subject: "alice", externalId: null, email: "alice@example.com", emailVerified: true, name: "Alice Liddell",
      givenName: "Alice", familyName: "Liddell", groups: ["engineering", "on-call"], groupsOverage: false, raw: undefined,
    });
    assert.equal(profile.raw.aud, "org-a");
    const session = await sessionOf(browser);
    assert.equal(session["oidc:conn-a"], undefined, "the transaction is used up");
    assert.deepEqual(session.oidcIntents, {});
  });

  it("the intent of a dry run comes back unchanged; the next login in the browser has its own", async () => {
    op.setAccount("alice");
    const browser = new Browser();
    const dry = await browser.get(`${rp.url}/login/conn-a?return_to=/admin/connections&test=1`);
    const toDry = await browser.followTo(dry.headers.get("location")!, callbackOf("conn-a"));
    assert.equal((await open(browser, toDry)).status, 200);
    assert.deepEqual(rp.logins.at(-1)!.intent, { returnTo: "/admin/connections", dryRun: true });
    assert.equal((await open(browser, await callbackUrl(browser, "conn-a"))).status, 200);
    assert.deepEqual(rp.logins.at(-1)!.intent, { returnTo: "/home", dryRun: false });
  });

  it("a single group arrives as a string and becomes a list; email_verified false stays false", async () => {
    op.setAccount("bob");
    const browser = new Browser();
    assert.equal((await open(browser, await callbackUrl(browser, "conn-a"))).status, 200);
    const { profile } = rp.logins.at(-1)!;
    assert.equal(profile.subject, "bob");
    assert.deepEqual(profile.groups, ["ops"]);
    assert.equal(profile.emailVerified, false);
    assert.equal(profile.givenName, null);
  });

  it("every authorization request carries PKCE S256, state and nonce, kept in this browser's session", async () => {
    const browser = new Browser();
    const request = await authorizationRequest(browser, "conn-a");
    const params = request.searchParams;
    assert.equal(request.origin, op.issuer);
    assert.equal(params.get("response_type"), "code");
    assert.equal(params.get("client_id"), "org-a");
    assert.equal(params.get("redirect_uri"), callbackOf("conn-a"));
    assert.deepEqual(params.get("scope")!.split(" ").sort(), ["email", "groups", "openid", "profile"]);
    assert.equal(params.get("code_challenge_method"), "S256");
    assert.match(params.get("state")!, /^[\w-]{43}$/);
    assert.match(params.get("nonce")!, /^[\w-]{43}$/);
    const transaction = (await sessionOf(browser))["oidc:conn-a"];
    assert.equal(transaction.state, params.get("state"));
    assert.equal(transaction.nonce, params.get("nonce"));
    assert.equal(createHash("sha256").update(transaction.code_verifier).digest("base64url"), params.get("code_challenge"));
    assert.deepEqual((await sessionOf(browser)).oidcIntents, { "conn-a": { returnTo: "/home", dryRun: false } });
  });

  it("a callback whose state is not this login's is refused (oidc_state)", async () => {
    op.setAccount("alice");
    const browser = new Browser();
    const url = await callbackUrl(browser, "conn-a");
    await assertRefused(open(browser, withParam(url, "state", "forged-state-value")), "oidc_state", 400);
  });

  it("a callback opened in a browser that did not start the login is refused (oidc_state)", async () => {
    op.setAccount("alice");
    const url = await callbackUrl(new Browser(), "conn-a");
    await assertRefused(open(new Browser(), url), "oidc_state", 400);
  });

  it("a callback used twice is refused the second time (oidc_state)", async () => {
    op.setAccount("alice");
    const browser = new Browser();
    const url = await callbackUrl(browser, "conn-a");
    assert.equal((await open(browser, url)).status, 200);
    await assertRefused(open(browser, url), "oidc_state", 400);
  });

  it("a bare GET of the callback does not start a login (no redirect to the IdP)", async () => {
    const res = await new Browser().get(callbackOf("conn-a"));
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("location"), null);
    assert.equal((await res.json() as Answer).reason, "oidc_state");
  });

  it("a code redeemed with another verifier is refused (oidc_pkce): tampered session", async () => {
    op.setAccount("alice");
    const browser = new Browser();
    const url = await callbackUrl(browser, "conn-a");
    const session = await sessionOf(browser);
    session["oidc:conn-a"].code_verifier = "A".repeat(43);
    await replaceSession(browser, session);
    await assertRefused(open(browser, url), "oidc_pkce", 401);
  });

  it("a code from another login, injected with this login's state, is refused (oidc_pkce)", async () => {
    op.setAccount("alice");
    const victim = new Browser();
    const attacker = new Browser();
    const victimLogin = await authorizationRequest(victim, "conn-a");
    const attackerCallback = await callbackUrl(attacker, "conn-a");
    // The victim's state (as a CSRF'd callback would carry it) with the attacker's code.
    const injected = withParam(attackerCallback, "state", victimLogin.searchParams.get("state")!);
    await assertRefused(open(victim, injected), "oidc_pkce", 401);
  });

  it("a code already redeemed, replayed with its own login's transaction, is the browser's fault: 400 oidc_invalid_grant", async () => {
    op.setAccount("alice");
    const browser = new Browser();
    const url = await callbackUrl(browser, "conn-a");
    const transaction = await sessionOf(browser);
    assert.equal((await open(browser, url)).status, 200);
    // The same state, verifier and code again: only the IdP can tell that the code was used.
    await replaceSession(browser, { ...await sessionOf(browser), "oidc:conn-a": transaction["oidc:conn-a"], oidcIntents: transaction.oidcIntents });
    const answer = await open(browser, url);
    await assertRefused(Promise.resolve(answer), "oidc_invalid_grant", 400);
    assert.match(answer.message!, /Start the login again/);
    assert.doesNotMatch(answer.message!, /client ID and secret/);
  });

  it("a tampered code is refused the same way (oidc_invalid_grant)", async () => {
    op.setAccount("alice");
    const browser = new Browser();
    const url = await callbackUrl(browser, "conn-a");
    await assertRefused(open(browser, withParam(url, "code", `${url.searchParams.get("code")}x`)), "oidc_invalid_grant", 400);
  });

  it("a callback naming another issuer (mix-up) is refused (oidc_issuer)", async () => {
    op.setAccount("alice");
    const browser = new Browser();
    const url = await callbackUrl(browser, "conn-a");
    await assertRefused(open(browser, withParam(url, "iss", "https://attacker.example")), "oidc_issuer", 401);
  });

  it("the IdP's error=access_denied is refused with its description (oidc_idp_error)", async () => {
    op.refuseLogins({ error: "access_denied", error_description: "User is not assigned to the application" });
    try {
      const browser = new Browser();
      const url = await callbackUrl(browser, "conn-a");
      assert.equal(url.searchParams.get("error"), "access_denied");
      const answer = await open(browser, url);
      await assertRefused(Promise.resolve(answer), "oidc_idp_error", 401);
      assert.match(answer.message!, /User is not assigned to the application/);
    } finally {
      op.refuseLogins(null);
    }
  });

  it("any other error= from the IdP is refused the same way (oidc_idp_error)", async () => {
    op.refuseLogins({ error: "interaction_required", error_description: "Multi-factor authentication is required" });
    try {
      const browser = new Browser();
      const answer = await open(browser, await callbackUrl(browser, "conn-a"));
      await assertRefused(Promise.resolve(answer), "oidc_idp_error", 401);
      assert.match(answer.message!, /Multi-factor authentication is required/);
    } finally {
      op.refuseLogins(null);
    }
  });

  it("two organizations' connections on one issuer keep separate transactions in one browser", async () => {
    op.setAccount("alice");
    const browser = new Browser();
    const toA = await authorizationRequest(browser, "conn-a");
    const toB = await authorizationRequest(browser, "conn-b");
    const session = await sessionOf(browser);
    assert.equal(session["oidc:conn-a"].state, toA.searchParams.get("state"));
    assert.equal(session["oidc:conn-b"].state, toB.searchParams.get("state"));
    assert.equal(session[new URL(op.issuer).host], undefined, "nothing under the Strategy's default key (the issuer host)");

    const callbackA = await browser.followTo(toA, callbackOf("conn-a"));
    const callbackB = await browser.followTo(toB, callbackOf("conn-b"));
    assert.equal((await open(browser, callbackB)).status, 200);
    assert.equal((await open(browser, callbackA)).status, 200);
    const [b, a] = rp.logins.slice(-2);
    assert.deepEqual([b.connection.id, b.profile.raw.aud], ["conn-b", "org-b"]);
    assert.deepEqual([a.connection.id, a.profile.raw.aud], ["conn-a", "org-a"]);
  });

  it("a callback of one connection cannot be finished at another connection's callback", async () => {
    op.setAccount("alice");
    const browser = new Browser();
    await authorizationRequest(browser, "conn-b");
    const forA = await callbackUrl(browser, "conn-a");
    // conn-b's transaction has another state, and its client could not redeem org-a's code anyway.
    const atB = new URL(`${callbackOf("conn-b")}${forA.search}`);
    await assertRefused(open(browser, atB), "oidc_state", 400);
  });

  it("a wrong client secret fails the code exchange (oidc_token_exchange); the corrected connection is rediscovered", async () => {
    op.setAccount("alice");
    const good = rp.connections.get("conn-a")!;
    rp.connections.set("conn-a", { ...good, oidc: { ...good.oidc!, clientSecret: "wrong-secret" }, version: good.version + 1 });
    try {
      const browser = new Browser();
      await assertRefused(open(browser, await callbackUrl(browser, "conn-a")), "oidc_token_exchange", 502);
    } finally {
      rp.connections.set("conn-a", { ...good, version: good.version + 2 });
    }
    const browser = new Browser();
    assert.equal((await open(browser, await callbackUrl(browser, "conn-a"))).status, 200);
  });
});

describe("OIDC issuer discovery", () => {
  let rp: RelyingParty;
  let strictRp: RelyingParty;
  let op: OpenIdProvider;
  const client = { clientId: "org-a", clientSecret: SECRET_A };

  before(async () => {
    rp = await startRelyingParty();
    strictRp = await startRelyingParty({ allowInsecureIdp: false });
    op = await startOpenIdProvider({
      clients: [{ client_id: "org-a", client_secret: SECRET_A, redirect_uris: [`${rp.url}/sso/conn-a/oidc/callback`] }],
      accounts: { alice: ALICE },
    });
  });
  after(async () => { await rp.close(); await strictRp.close(); await op.close(); });

  async function login(on: RelyingParty, id: string): Promise<Answer> {
    const res = await new Browser().get(`${on.url}/login/${id}`);
    return res.status === 302 ? { status: 302 } : { status: res.status, ...await res.json() as Omit<Answer, "status"> };
  }

  it("an unreachable issuer is refused with a message naming its URL (oidc_discovery)", async () => {
    const closed = await startRelyingParty();
    const unreachable = closed.url;
    await closed.close();
    rp.connections.set("gone", oidcConnection("gone", unreachable, client));
    const answer = await login(rp, "gone");
    assert.equal(answer.status, 502);
    assert.equal(answer.reason, "oidc_discovery");
    assert.match(answer.message!, new RegExp(`${unreachable}.*could not be reached or is not an OpenID Connect issuer`));
  });

  it("a URL that is not an OIDC issuer is refused (oidc_discovery), and the failure is not remembered", async () => {
    rp.connections.set("wrong", oidcConnection("wrong", `${rp.url}/not-an-issuer`, client));
    assert.equal((await login(rp, "wrong")).reason, "oidc_discovery");
    // Same id and version, now pointing at the real issuer: the failed discovery is retried, not cached.
    rp.connections.set("wrong", oidcConnection("wrong", op.issuer, client));
    assert.equal((await login(rp, "wrong")).status, 302);
  });

  it("an issuer whose metadata names another issuer is refused (oidc_discovery)", async () => {
    rp.connections.set("alias", oidcConnection("alias", op.issuer.replace("127.0.0.1", "localhost"), client));
    assert.equal((await login(rp, "alias")).reason, "oidc_discovery");
  });

  it("without allowInsecureIdp an http:// issuer is refused (oidc_discovery)", async () => {
    strictRp.connections.set("conn-a", oidcConnection("conn-a", op.issuer, client));
    assert.equal((await login(strictRp, "conn-a")).reason, "oidc_discovery");
  });
});
