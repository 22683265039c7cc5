import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  Browser, oidcConnection, type OpenIdProvider, type RelyingParty, startOpenIdProvider, startRelyingParty,
} from "../support/oidc-op.js";

const ALICE = {
  email: "alice@example.com", email_verified: true, name: "Alice Liddell", given_name: "Alice", family_name: "Liddell",
  groups: ["engineering", "on-call"], updated_at: 1700000000,
};
const BOB = { email: "bob@example.com", email_verified: false, name: "Bob", groups: "ops" };
const SECRET_A = "secret-of-org-a-0123456789";
const SECRET_B = "secret-of-org-b-0123456789";

describe("OIDC login against a real OpenID Provider", () => {
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

  async function open(browser: Browser, url: URL | string) {
    const res = await browser.get(url);
    return { status: res.status, body: await res.json() as { reason?: string; message?: string; subject?: string; detail?: unknown } };
  }

  /** The express-session record of the browser's session. */
  async function sessionOf(browser: Browser): Promise<Record<string, any>> {
    const sid = decodeURIComponent(browser.cookies.get("connect.sid")!).slice(2).split(".")[0];
    return new Promise((resolve, reject) => rp.store.get(sid, (err, s) => (err ? reject(err) : resolve(s as any))));
  }

  async function saveSession(browser: Browser, data: Record<string, any>) {
    const sid = decodeURIComponent(browser.cookies.get("connect.sid")!).slice(2).split(".")[0];
    await new Promise<void>((resolve, reject) => rp.store.set(sid, data as any, (err) => (err ? reject(err) : resolve())));
  }

  it("a full login maps the ID token's claims to the profile and returns the intent", async () => {
    op.setAccount("alice");
    const before = rp.logins.length;
    const { status, body } = await open(new Browser(), await callbackUrl(new Browser(), "conn-a").catch((e) => { throw e; }));
    assert.equal(status, 400, "a callback opened in a browser without the login's cookie is refused");
    assert.equal(body.reason, "oidc_state");

    const browser = new Browser();
    const done = await open(browser, await callbackUrl(browser, "conn-a"));
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(rp.logins.length, before + 1);
    const { connection, intent, profile } = rp.logins.at(-1)!;
    assert.equal(connection.id, "conn-a");
    assert.deepEqual(intent, { returnTo: "/home", dryRun: false });
    assert.equal(profile.issuer, op.issuer);
    assert.equal(profile.subject, "alice");
    assert.equal(profile.email, "alice@example.com");
    assert.equal(profile.emailVerified, true);
    assert.equal(profile.name, "Alice Liddell");
    assert.equal(profile.givenName, "Alice");
    assert.equal(profile.familyName, "Liddell");
    assert.deepEqual(profile.groups, ["engineering", "on-call"]);
    assert.equal(profile.groupsOverage, false);
    assert.equal(profile.raw.aud, "org-a");
  });
});
