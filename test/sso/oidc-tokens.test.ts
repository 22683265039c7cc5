import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { generateKeyPair, type JWTPayload, SignJWT, UnsecuredJWT } from "jose";
import {
  Browser, type Claims, oidcConnection, type RelyingParty, startRelyingParty, startStubIssuer, type StubIssuer,
} from "../support/oidc-op.js";

const SECRET = "client-secret-of-the-stub-0123456789";
const ACCOUNT: Claims = {
  sub: "user-1", email: "carol@example.com", email_verified: true, name: "Carol Danvers", given_name: "Carol",
  family_name: "Danvers", groups: ["pilots"],
  // Auth0 sends updated_at as an ISO string, where the spec says seconds: an odd optional claim, not a reason to refuse.
  updated_at: "2024-05-01T12:00:00.000Z",
};

type Answer = { status: number; reason?: string; message?: string; detail?: unknown };

describe("OIDC ID tokens: forged ones refused, claims mapped", () => {
  let rp: RelyingParty;
  let stub: StubIssuer;
  const client = { clientId: "rollcall", clientSecret: SECRET };

  before(async () => {
    rp = await startRelyingParty();
    stub = await startStubIssuer({ ...client, account: ACCOUNT });
    rp.connections.set("stub", oidcConnection("stub", stub.issuer, client));
  });
  after(async () => { await rp.close(); await stub.close(); });
  beforeEach(() => {
    stub.account = ACCOUNT;
    stub.claimsInIdToken = true;
    stub.forge = (claims) => stub.sign(claims);
  });

  /** A whole login through the stub issuer, ending with the app's answer to the callback. */
  async function login(connectionId = "stub"): Promise<Answer> {
    const browser = new Browser();
    const start = await browser.get(`${rp.url}/login/${connectionId}`);
    assert.equal(start.status, 302, await start.text());
    const callback = await browser.followTo(start.headers.get("location")!, `${rp.url}/sso/${connectionId}/oidc/callback`);
    const res = await browser.get(callback);
    return { status: res.status, ...await res.json() as Omit<Answer, "status"> };
  }

  async function assertRefused(reason: string, forge: (claims: JWTPayload) => Promise<string>) {
    stub.forge = forge;
    const before = rp.logins.length;
    const answer = await login();
    assert.equal(answer.reason, reason, JSON.stringify(answer));
    assert.equal(answer.status, 401);
    assert.equal(rp.logins.length, before, "nothing reached finishLogin");
    return answer;
  }

  const lastProfile = () => rp.logins.at(-1)!.profile;

  it("the stub's correct token is accepted, odd optional claims included (the baseline for the forgeries below)", async () => {
    const answer = await login();
    assert.equal(answer.status, 200, JSON.stringify(answer));
    const profile = lastProfile();
    assert.equal(profile.issuer, stub.issuer);
    assert.equal(profile.subject, "user-1");
    assert.equal(profile.email, "carol@example.com");
    assert.equal(profile.raw.updated_at, "2024-05-01T12:00:00.000Z");
  });

  it("a nonce from another login is refused (oidc_nonce), and the refusal carries no token or secret", async () => {
    let token = "";
    const answer = await assertRefused("oidc_nonce", async (claims) => (token = await stub.sign({ ...claims, nonce: "another-login" })));
    const everything = JSON.stringify(answer);
    assert.ok(token.length > 100);
    assert.ok(!everything.includes(token) && !everything.includes(token.split(".")[2]), "no ID token in the detail");
    assert.ok(!everything.includes(SECRET), "no client secret in the detail");
  });

  it("an ID token from another issuer is refused (oidc_issuer)", async () => {
    await assertRefused("oidc_issuer", (claims) => stub.sign({ ...claims, iss: "https://login.attacker.example" }));
  });

  it("alg: none is refused (oidc_id_token), though the issuer's metadata lists it", async () => {
    await assertRefused("oidc_id_token", async (claims) => new UnsecuredJWT(claims).encode());
  });

  it("HS256 signed with the client secret is refused (oidc_id_token), though the metadata lists it", async () => {
    await assertRefused("oidc_id_token", (claims) =>
      new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(SECRET)));
  });

  it("a token signed by a key the issuer does not publish is refused (oidc_id_token)", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    await assertRefused("oidc_id_token", (claims) =>
      new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "stub-key" }).sign(privateKey));
    await assertRefused("oidc_id_token", (claims) =>
      new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "unknown-key" }).sign(privateKey));
  });

  it("a token for another client is refused (oidc_id_token)", async () => {
    await assertRefused("oidc_id_token", (claims) => stub.sign({ ...claims, aud: "someone-else" }));
    await assertRefused("oidc_id_token", (claims) => stub.sign({ ...claims, aud: ["rollcall", "someone-else"] }));
  });

  it("an expired token is refused (oidc_id_token)", async () => {
    const now = Math.floor(Date.now() / 1000);
    await assertRefused("oidc_id_token", (claims) => stub.sign({ ...claims, iat: now - 7200, exp: now - 3600 }));
  });

  it("a token without sub is refused (oidc_id_token)", async () => {
    await assertRefused("oidc_id_token", (claims) => stub.sign({ ...claims, sub: undefined }));
  });

  it("claims missing from the ID token are taken from userinfo; the ID token's win where both have one", async () => {
    stub.claimsInIdToken = false;
    stub.account = { ...ACCOUNT, iss: "https://userinfo-may-not-override.example" };
    const answer = await login();
    assert.equal(answer.status, 200, JSON.stringify(answer));
    const profile = lastProfile();
    assert.equal(profile.email, "carol@example.com");
    assert.equal(profile.name, "Carol Danvers");
    assert.deepEqual(profile.groups, ["pilots"]);
    assert.equal(profile.issuer, stub.issuer);
  });

  it("userinfo about another subject is refused (oidc_userinfo)", async () => {
    stub.claimsInIdToken = false;
    stub.forge = (claims) => stub.sign({ ...claims, sub: "user-2" });
    const answer = await login();
    assert.equal(answer.reason, "oidc_userinfo", JSON.stringify(answer));
    assert.equal(answer.status, 502);
  });

  it("an issuer that takes the client secret only in the Authorization header (client_secret_basic) works too", async () => {
    const basic = await startStubIssuer({ ...client, account: ACCOUNT, clientAuth: "client_secret_basic" });
    try {
      rp.connections.set("basic", oidcConnection("basic", basic.issuer, client));
      assert.equal((await login("basic")).status, 200);
    } finally {
      await basic.close();
    }
  });

  it("Entra preset: the subject is tid:oid, and groups named in _claim_names are an overage", async () => {
    rp.connections.set("entra", oidcConnection("entra", stub.issuer, client, { preset: "entra" }));
    stub.account = {
      ...ACCOUNT, groups: undefined, tid: "72f988bf-tenant", oid: "00000000-object",
      _claim_names: { groups: "src1" }, _claim_sources: { src1: { endpoint: "https://graph.microsoft.com/v1.0/users/x/getMemberObjects" } },
    };
    assert.equal((await login("entra")).status, 200);
    const profile = lastProfile();
    assert.equal(profile.subject, "72f988bf-tenant:00000000-object");
    assert.equal(profile.externalId, "00000000-object", "what Entra provisioning sends as externalId");
    assert.equal(profile.groupsOverage, true);
    assert.deepEqual(profile.groups, []);
  });

  it("Entra preset without oid keeps sub; hasgroups: true is an overage too", async () => {
    rp.connections.set("entra", oidcConnection("entra", stub.issuer, client, { preset: "entra" }));
    stub.account = { ...ACCOUNT, groups: undefined, tid: "72f988bf-tenant", hasgroups: true };
    assert.equal((await login("entra")).status, 200);
    assert.equal(lastProfile().subject, "user-1");
    assert.equal(lastProfile().groupsOverage, true);
  });

  it("tid and oid do not change the subject outside the Entra preset", async () => {
    stub.account = { ...ACCOUNT, tid: "72f988bf-tenant", oid: "00000000-object" };
    assert.equal((await login()).status, 200);
    assert.equal(lastProfile().subject, "user-1");
    assert.equal(lastProfile().groupsOverage, false);
  });

  it("claim mappings are matched case-insensitively; email_verified may be the string \"true\"", async () => {
    rp.connections.set("mapped", oidcConnection("mapped", stub.issuer, client, {
      oidc: { issuerUrl: stub.issuer, ...client, scopes: ["openid"], claimMappings: { name: "displayName", email: "Mail", groups: "roles" } },
    }));
    stub.account = { sub: "user-3", displayname: "Dana Scully", mail: "dana@example.com", email_verified: "true", Roles: ["agents", 7] };
    assert.equal((await login("mapped")).status, 200);
    const profile = lastProfile();
    assert.equal(profile.name, "Dana Scully");
    assert.equal(profile.email, "dana@example.com");
    assert.equal(profile.emailVerified, true);
    assert.deepEqual(profile.groups, ["agents", "7"]);
  });
});
