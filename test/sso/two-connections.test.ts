import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Database, openDatabase } from "../../src/db/database.js";
import { ConnectionRecord, createConnection, setConnectionEnabled, updateConnection } from "../../src/identity/connections.js";
import { claimDomain, markDomainVerified, setDomainConnection } from "../../src/identity/domains.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createTeam, replaceTeamMappings } from "../../src/identity/teams.js";
import { samlPreset } from "../../src/sso/presets.js";
import { spUrls } from "../../src/sso/saml/index.js";
import { RunningApp, startAppOn } from "../support/app-server.js";
import { databaseTargets } from "../support/databases.js";
import { Browser, OpenIdProvider, startOpenIdProvider } from "../support/oidc-op.js";
import { CookieJarClient, readAuthnRequest, TestIdp } from "../support/saml-idp.js";

/**
 * One organization, two enabled connections — the employees' OIDC IdP and the partners' SAML IdP — each with its
 * verified domain: `/login` sends each email to its IdP, both logins work through the real app, a team mapping
 * limited to the partners' connection gives its team only to their logins, and the partners' IdP admits a
 * contractor at an unverified domain because its connection allows other domains.
 */
const system = { type: "system" as const, id: null };
const key = randomBytes(32);
const CLIENT = { clientId: "rollcall", clientSecret: randomBytes(16).toString("hex") };

for (const target of await databaseTargets()) {
  describe(`two connections in one organization (${target.name})`, { skip: target.skip }, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let app: RunningApp;
    let op: OpenIdProvider;
    let staff: ConnectionRecord;
    let partners: ConnectionRecord;
    const idp = new TestIdp();

    before(async () => {
      const created = await target.create({ migrated: true });
      drop = created.drop;
      db = await openDatabase({ url: created.url });
      app = await startAppOn(db, { secretKey: key, allowInsecureIdp: true });
      const org = (await createOrganization(db, { slug: "acme", name: "Acme" }, system)).id;
      staff = await createConnection(db, key, org, {
        type: "oidc", name: "Acme staff", loginPath: "acmestaff", preset: "generic",
        oidc: { issuerUrl: "http://127.0.0.1:9/", ...CLIENT, scopes: ["openid", "email", "profile", "groups"], claimMappings: { name: "name", email: "email", groups: "groups" } },
      }, system);
      op = await startOpenIdProvider({
        clients: [{ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, redirect_uris: [`${app.origin}/sso/${staff.id}/oidc/callback`] }],
        accounts: {
          ada: { email: "ada@acme.test", email_verified: true, name: "Ada", groups: ["staff", "portal"] },
          eve: { email: "eve@elsewhere.test", email_verified: true, name: "Eve", groups: ["staff"] },
        },
      });
      staff = await updateConnection(db, key, org, staff.id, { oidc: { issuerUrl: op.issuer }, isDefault: true }, system);
      partners = await createConnection(db, key, org, {
        type: "saml", name: "Acme partners", loginPath: "acmepartners", preset: "okta",
        saml: { ...samlPreset("okta"), idpMetadataUrl: null, idpMetadataXml: idp.metadata(), idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl,
          idpCertificates: idp.keys.map((k) => k.certBody), metadataFetchedAt: null, allowIdpInitiated: false },
      }, system);
      await updateConnection(db, key, org, partners.id, { allowOtherDomains: true }, system);
      await markDomainVerified(db, org, (await claimDomain(db, org, "acme.test", system)).id, system);
      const partnerDomain = await markDomainVerified(db, org, (await claimDomain(db, org, "partners.acme.test", system)).id, system);
      await setDomainConnection(db, org, partnerDomain.id, partners.id, system);
      await setConnectionEnabled(db, key, org, staff.id, true, system);
      await setConnectionEnabled(db, key, org, partners.id, true, system);
      const staffTeam = await createTeam(db, org, { name: "Staff", roles: ["viewer"] }, system);
      await replaceTeamMappings(db, org, staffTeam.id, [{ idpGroup: "staff" }], system);
      const portal = await createTeam(db, org, { name: "Partner portal", roles: ["partner"] }, system);
      await replaceTeamMappings(db, org, portal.id, [{ idpGroup: "portal", connectionId: partners.id }], system);
    });
    after(async () => {
      await app.close();
      await op.close();
      await db.close();
      await drop();
    });

    /** Where `/login` sends an email. */
    async function routed(email: string): Promise<Response> {
      return fetch(`${app.origin}/login`, {
        method: "POST", redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: app.origin },
        body: new URLSearchParams({ identifier: email }),
      });
    }

    async function samlLogIn(nameId: string, email: string, groups: string[]) {
      const browser = new CookieJarClient();
      const start = await browser.get(`${app.origin}/login/acmepartners`);
      const request = readAuthnRequest(start.headers.get("location")!);
      const urls = spUrls(app.origin, partners.id);
      const SAMLResponse = idp.response({ acsUrl: urls.acs, audience: urls.entityId, inResponseTo: request.id, nameId, attributes: { email, groups } });
      const posted = await browser.crossSitePost(urls.acs, { SAMLResponse, RelayState: request.relayState ?? "" });
      // The ACS answers a cross-site POST with a same-site step, which finishes the login (the SameSite cookie rule).
      const done = await browser.get(new URL(posted.headers.get("location")!, app.origin).href);
      const verify = await browser.get(`${app.origin}/auth/verify`);
      return { status: done.status, page: await done.text(), verify };
    }

    it("/login sends each email to its domain's connection", async () => {
      assert.equal((await routed("ada@acme.test")).headers.get("location"), "/login/acmestaff", "the default connection");
      assert.equal((await routed("pia@partners.acme.test")).headers.get("location"), "/login/acmepartners", "the domain's own connection");
      const nowhere = await routed("pat@contractor.test");
      assert.equal(nowhere.status, 404);
      assert.match(await nowhere.text(), /No organization has verified contractor\.test/);
    });

    it("an employee signs in through the OIDC IdP; the partners-only mapping does not apply to them", async () => {
      const browser = new Browser();
      op.setAccount("ada");
      const start = (await routed("ada@acme.test")).headers.get("location")!;
      const callback = await browser.followTo(`${app.origin}${start}`, `${app.origin}/sso/`);
      assert.equal((await browser.get(callback)).status, 303);
      const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      const verify = await fetch(`${app.origin}/auth/verify`, { headers: { cookie } });
      assert.equal(verify.status, 200);
      assert.equal(verify.headers.get("x-rollcall-email"), "ada@acme.test");
      assert.equal(verify.headers.get("x-rollcall-teams"), "Staff", "portal is mapped for the partners' connection only");
    });

    it("a partner signs in through the SAML IdP and gets the partners' team; a contractor at another domain is admitted by this connection", async () => {
      const pia = await samlLogIn("00u-pia", "pia@partners.acme.test", ["portal"]);
      assert.equal(pia.status, 303, pia.page);
      assert.equal(pia.verify.headers.get("x-rollcall-teams"), "Partner portal");
      const pat = await samlLogIn("00u-pat", "pat@contractor.test", ["portal"]);
      assert.equal(pat.status, 303, pat.page);
      assert.equal(pat.verify.headers.get("x-rollcall-email"), "pat@contractor.test");
    });

    it("the employees' IdP refuses a person outside the verified domains", async () => {
      op.setAccount("eve");
      const browser = new Browser();
      const callback = await browser.followTo(`${app.origin}/login/acmestaff`, `${app.origin}/sso/`);
      const res = await browser.get(callback);
      assert.equal(res.status, 403);
      assert.match(await res.text(), /outside_domains/);
    });
  });
}
