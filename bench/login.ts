/**
 * Login benchmark: `npm run bench:login [-- --logins 300 --db sqlite|postgres]`
 *
 * Runs the real app in this process on a fresh database, with a SAML connection trusting a test IdP (signed
 * responses) and an OIDC connection on a loopback stub issuer, and logs users in one after another, each in a new
 * cookie jar. It times the legs that are Rollcall's work and prints p50/p99:
 * - `GET /login/<path>`: building the AuthnRequest or the authorization URL and the login transaction;
 * - SAML: `POST …/saml/acs` + `GET …/saml/complete`: stash, signature and assertion checks, replay records, signIn
 *   (JIT on the first login of each user), session creation. Signing the response (the IdP's work) is not timed;
 * - the same with the assertion encrypted to the connection's SP certificate (AES-256-CBC with RSA-OAEP, what AD FS
 *   and Okta send): adds the decryption, once at the ACS and once more by node-saml (encrypting is not timed);
 * - OIDC: `GET …/oidc/callback`: state/nonce/PKCE checks, the code exchange, ID-token signature, signIn and the
 *   session. The code exchange is a loopback request to a stub that answers from memory (≈0.3 ms), the only part of
 *   the IdP round trip left in.
 * Half the logins are first logins (JIT), half returning users.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { openDatabase } from "../src/db/database.js";
import { createConnection, setConnectionEnabled } from "../src/identity/connections.js";
import { createOrganization } from "../src/identity/organizations.js";
import { createTeam, replaceTeamMappings } from "../src/identity/teams.js";
import { samlPreset, oidcPreset } from "../src/sso/presets.js";
import { spUrls } from "../src/sso/saml/index.js";
import { startAppOn } from "../test/support/app-server.js";
import { startStubIssuer } from "../test/support/oidc-op.js";
import { CookieJarClient, readAuthnRequest, TestIdp } from "../test/support/saml-idp.js";
import { fmt, log, machineLine, onFreshDatabase, percentile, positive, printHelp } from "./common.js";

const args = process.argv.slice(2);
if (args.includes("--help")) {
  printHelp(import.meta.url);
  process.exit(0);
}
const flag = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const logins = positive("logins", flag("logins"), 300);
const dbKind = flag("db") ?? "sqlite";
const system = { type: "system" as const, id: null };

await onFreshDatabase(dbKind, async (target) => {
  const db = await openDatabase({ url: target.url });
  const key = randomBytes(32);
  const app = await startAppOn(db, { secretKey: key, allowInsecureIdp: true });
  const origin = app.origin;

  const idp = new TestIdp();
  const stub = await startStubIssuer({ clientId: "rollcall", clientSecret: randomBytes(16).toString("hex"), account: {} });
  const setUp = async (slug: string) => {
    const org = await createOrganization(db, { slug, name: slug }, system);
    const team = await createTeam(db, org.id, { name: "Everyone", roles: ["member"] }, system);
    await replaceTeamMappings(db, org.id, team.id, [{ idpGroup: "staff" }], system);
    return org.id;
  };
  const samlOrg = await setUp("samlorg");
  const saml = await createConnection(db, key, samlOrg, {
    type: "saml", name: "bench SAML", loginPath: "benchsaml", preset: "generic",
    saml: { ...samlPreset("generic"), idpMetadataUrl: null, idpMetadataXml: idp.metadata(), idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl,
      idpCertificates: idp.keys.map((k) => k.certBody), metadataFetchedAt: null, allowIdpInitiated: false },
  }, system);
  await setConnectionEnabled(db, key, samlOrg, saml.id, true, system);
  const oidcOrg = await setUp("oidcorg");
  const oidc = await createConnection(db, key, oidcOrg, {
    type: "oidc", name: "bench OIDC", loginPath: "benchoidc", preset: "generic",
    oidc: { issuerUrl: stub.issuer, clientId: stub.clientId, clientSecret: stub.clientSecret, ...oidcPreset("generic") },
  }, system);
  await setConnectionEnabled(db, key, oidcOrg, oidc.id, true, system);
  const urls = spUrls(origin, saml.id);

  const timed = async <T>(into: number[], fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const out = await fn();
    into.push(performance.now() - started);
    return out;
  };
  // Reads the body too: express-session stores the session while the response ends, after its headers are out.
  const expect = async (pending: Response | Promise<Response>, status: number, what: string) => {
    const res = await pending;
    await res.arrayBuffer();
    if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}`);
    return res;
  };
  const times = { samlStart: [] as number[], samlAcs: [] as number[], samlEncrypted: [] as number[], oidcStart: [] as number[], oidcCallback: [] as number[] };
  const encryptTo = { certificate: saml.saml!.spKeys![0].certificate, content: "aes256-cbc" as const };
  const userOf = (i: number) => `user${i % Math.ceil(logins / 2)}`;

  log(`${logins} SAML logins, ${logins} with encrypted assertions, then ${logins} OIDC logins (${dbKind})`);
  // Interleaved, each kind with its own users (half of them first logins), so that both meet the same load.
  for (let i = 0; i < 2 * logins; i++) {
    const encrypted = i % 2 === 1;
    const user = `${encrypted ? "enc" : "plain"}${userOf(Math.floor(i / 2))}`;
    const browser = new CookieJarClient();
    const start = await timed(encrypted ? [] : times.samlStart, () => expect(browser.get(`${origin}/login/benchsaml`), 302, "SAML start"));
    const request = readAuthnRequest(start.headers.get("location")!);
    const SAMLResponse = idp.response({ acsUrl: urls.acs, audience: urls.entityId, inResponseTo: request.id,
      nameId: user, attributes: { email: `${user}@saml.test`, groups: ["staff"] }, ...(encrypted ? { encrypt: encryptTo } : {}) });
    await timed(encrypted ? times.samlEncrypted : times.samlAcs, async () => {
      const posted = await expect(browser.crossSitePost(urls.acs, { SAMLResponse, RelayState: request.relayState ?? "" }), 303, "ACS");
      await expect(browser.get(new URL(posted.headers.get("location")!, origin).href), 303, "SAML complete");
    });
  }
  for (let i = 0; i < logins; i++) {
    stub.account = { sub: userOf(i), email: `${userOf(i)}@oidc.test`, email_verified: true, groups: ["staff"] };
    const browser = new CookieJarClient();
    const start = await timed(times.oidcStart, () => expect(browser.get(`${origin}/login/benchoidc`), 302, "OIDC start"));
    const authorize = await expect(fetch(start.headers.get("location")!, { redirect: "manual" }), 302, "stub authorize");
    const callback = authorize.headers.get("location")!;
    await timed(times.oidcCallback, () => expect(browser.get(callback), 303, "OIDC callback"));
  }

  const row = (label: string, ms: number[]) => {
    const sorted = [...ms].sort((a, b) => a - b);
    const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
    return `| ${label} | ${ms.length} | ${fmt(percentile(sorted, 50), 2)} | ${fmt(percentile(sorted, 99), 2)} | ${fmt(mean, 2)} |`;
  };
  console.log(`\n${machineLine()}\n\n| step | n | p50 ms | p99 ms | mean ms |\n| --- | --- | --- | --- | --- |`);
  console.log([row("SAML GET /login (AuthnRequest)", times.samlStart), row("SAML ACS POST + complete (validate, signIn, session)", times.samlAcs),
    row("SAML ACS POST + complete, encrypted assertion (AES-256-CBC, RSA-OAEP)", times.samlEncrypted),
    row("OIDC GET /login (authorization URL)", times.oidcStart), row("OIDC callback (checks, code exchange, signIn, session)", times.oidcCallback)].join("\n"));

  await stub.close();
  await app.close();
  await db.close();
});
