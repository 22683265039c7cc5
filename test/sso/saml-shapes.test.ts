import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Database, openDatabase } from "../../src/db/database.js";
import { ConnectionRecord, createConnection, setConnectionEnabled, updateConnection } from "../../src/identity/connections.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createSetupLink } from "../../src/identity/setup-links.js";
import { createTeam, replaceTeamMappings } from "../../src/identity/teams.js";
import { createUser } from "../../src/identity/users.js";
import { connectionFormSchema, connectionInputFrom } from "../../src/sso/connection-setup.js";
import { spUrls } from "../../src/sso/saml/index.js";
import { RunningApp, startAppOn } from "../support/app-server.js";
import { databaseTargets } from "../support/databases.js";
import { IDP_SHAPES, IdpShape } from "../support/idp-shapes.js";
import { CookieJarClient, readAuthnRequest, ResponseOptions } from "../support/saml-idp.js";

/**
 * Each real IdP's response shape (test/support/idp-shapes.ts), end to end through the real app: a connection made from
 * the IdP's metadata with its preset, as the admin API and console make it; a login; the account's email, names and
 * teams. Then what an admin meets on the way: SHA-1 refused until allowed (and flagged), Test connection listing
 * every attribute and value, and linking by a NameID email only under trustEmail.
 */
const system = { type: "system" as const, id: null };
const key = randomBytes(32);

for (const target of await databaseTargets()) {
  describe(`SAML IdP shapes through the app (${target.name})`, { skip: target.skip }, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let app: RunningApp;
    const connections = new Map<string, ConnectionRecord>();

    /** An organization with the shape's teams mapped, and an enabled connection made from the IdP's metadata and preset. */
    async function setUp(shape: IdpShape, slug: string, settings = shape.settings ?? {}): Promise<ConnectionRecord> {
      const org = await createOrganization(db, { slug, name: shape.name }, system);
      for (const [team, group] of Object.entries(shape.teams)) {
        const created = await createTeam(db, org.id, { name: team, roles: ["member"] }, system);
        await replaceTeamMappings(db, org.id, created.id, [{ idpGroup: group }], system);
      }
      const form = connectionFormSchema.parse({ type: "saml", name: shape.name, loginPath: slug, preset: shape.preset, saml: { idpMetadataXml: shape.idp.metadata(), ...settings } });
      const connection = await createConnection(db, key, org.id, await connectionInputFrom(form, { allowInsecureIdp: true }), system);
      return setConnectionEnabled(db, key, org.id, connection.id, true, system);
    }

    before(async () => {
      const created = await target.create({ migrated: true });
      drop = created.drop;
      db = await openDatabase({ url: created.url });
      app = await startAppOn(db, { secretKey: key });
      for (const [i, shape] of IDP_SHAPES.entries()) connections.set(shape.name, await setUp(shape, `shape${i}`));
    });
    after(async () => {
      await app.close();
      await db.close();
      await drop();
    });

    /** A login at the connection's login path (or its test), answered by the IdP's shape; the final page. */
    async function logIn(shape: IdpShape, connection: ConnectionRecord, over: Partial<ResponseOptions> = {}, browser = new CookieJarClient(), test = false) {
      const start = await browser.get(`${app.origin}/login/${connection.loginPath}${test ? "?test=1" : ""}`);
      assert.equal(start.status, 302, await start.text());
      const request = readAuthnRequest(start.headers.get("location")!);
      const urls = spUrls(app.origin, connection.id);
      const SAMLResponse = shape.idp.response({ ...shape.response, ...over, acsUrl: urls.acs, audience: urls.entityId, inResponseTo: request.id });
      const posted = await browser.crossSitePost(urls.acs, { SAMLResponse, RelayState: request.relayState ?? "" });
      // The ACS refuses at once what no signature could make acceptable (a weak algorithm, no signature).
      if (posted.status !== 303) return { status: posted.status, page: await posted.text(), browser };
      const done = await browser.get(new URL(posted.headers.get("location")!, app.origin).href);
      return { status: done.status, page: await done.text(), browser };
    }

    for (const shape of IDP_SHAPES) {
      it(`${shape.name}: ${shape.expected.email}, names ${shape.expected.givenName ?? "none"} ${shape.expected.familyName ?? ""}, teams ${shape.expected.teams.join(", ")}`, async () => {
        const { status, page, browser } = await logIn(shape, connections.get(shape.name)!);
        assert.equal(status, 303, page);
        const session = await (await browser.get(`${app.origin}/session`)).json() as { user: { id: string; email: string; userName: string }; teams: { name: string }[] };
        assert.equal(session.user.email, shape.expected.email);
        assert.equal(session.user.userName, shape.expected.email, "a new account is named by its email");
        assert.deepEqual(session.teams.map((t) => t.name).sort(), shape.expected.teams);
        const [user] = await db.dataSource.query(`SELECT name_given_name, name_family_name, display_name FROM users WHERE id = '${session.user.id}'`);
        assert.deepEqual([user.name_given_name, user.name_family_name, user.display_name], [shape.expected.givenName, shape.expected.familyName, shape.expected.displayName]);
      });
    }

    const auth0 = IDP_SHAPES.find((s) => s.preset === "auth0")!;
    const jumpcloud = IDP_SHAPES.find((s) => s.preset === "jumpcloud")!;

    it("Auth0 as it signs by default (SHA-1) is refused until the connection allows SHA-1; a SHA-256 one is accepted without", async () => {
      const strict = await setUp(auth0, "auth0strict", {});
      const refused = await logIn(auth0, strict);
      assert.equal(refused.status, 401);
      assert.match(refused.page, /saml_weak_algorithm/);
      assert.equal((await logIn(auth0, strict, { algorithm: "sha256" })).status, 303, "the add-on switched to rsa-sha256");
    });

    it("Test connection flags SHA-1 as weak and lists every attribute and every value received, with what each is used as", async () => {
      const connection = connections.get(auth0.name)!;
      const { token } = await createSetupLink(db, connection.organizationId, { name: "it admin" }, system);
      const browser = new CookieJarClient();
      assert.equal((await browser.postJson(`${app.origin}/api/v1/setup-links/redeem`, { token })).status, 200);
      const { status, page } = await logIn(auth0, connection, {}, browser, true);
      assert.equal(status, 200, page);
      assert.match(page, /This login would succeed/);
      assert.match(page, /Weak:.*SHA-1/);
      assert.match(page, /Attributes received \(7\)/);
      assert.match(page, /<code>http:\/\/schemas.xmlsoap.org\/claims\/Group<\/code><\/td><td><code>eng<\/code><br><code>zootopia<\/code><\/td><td>groups<\/td>/);
      assert.match(page, /<code>http:\/\/schemas.xmlsoap.org\/ws\/2005\/05\/identity\/claims\/upn<\/code><\/td><td><code>judy@initech.test<\/code><\/td><td><span class="muted">not mapped<\/span>/);
    });

    it("an email found only in the NameID links an existing account only when the connection trusts its IdP's email", async () => {
      const connection = connections.get(jumpcloud.name)!;
      const scim = await createUser(db, connection.organizationId, { userName: "zoe@initech.test", externalId: "scim-zoe" }, system);
      const untrusted = await logIn(jumpcloud, connection, { nameId: "zoe@initech.test" });
      assert.equal(untrusted.status, 403);
      assert.match(untrusted.page, /account_conflict/);
      await updateConnection(db, key, connection.organizationId, connection.id, { saml: { trustEmail: true } }, system);
      const trusted = await logIn(jumpcloud, connection, { nameId: "zoe@initech.test" });
      assert.equal(trusted.status, 303, trusted.page);
      assert.equal((await (await trusted.browser.get(`${app.origin}/session`)).json() as { user: { id: string } }).user.id, scim.id);
    });
  });
}
