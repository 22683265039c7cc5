import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { after, before, describe, it } from "node:test";
import { Database, openDatabase } from "../../src/db/database.js";
import { createConnection, setConnectionEnabled, updateConnection } from "../../src/identity/connections.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createTeam, replaceTeamMappings } from "../../src/identity/teams.js";
import { createUser } from "../../src/identity/users.js";
import { samlPreset } from "../../src/sso/presets.js";
import { spUrls } from "../../src/sso/saml/index.js";
import { RunningApp, startAppOn } from "../support/app-server.js";
import { databaseTargets } from "../support/databases.js";
import { CookieJarClient, readAuthnRequest, TestIdp } from "../support/saml-idp.js";

/** SAML through the real app: each login recomputes teams from the assertion's groups, so IdP group changes move people. */
const system = { type: "system" as const, id: null };
const key = randomBytes(32);

for (const target of await databaseTargets()) {
  describe(`SAML login through the app (${target.name})`, { skip: target.skip }, () => {
    let db: Database;
    let databaseUrl: string;
    let drop: () => Promise<void>;
    let app: RunningApp;
    let origin: string;
    let urls: ReturnType<typeof spUrls>;
    let organizationId: string;
    let connectionId: string;
    const idp = new TestIdp();

    before(async () => {
      const created = await target.create({ migrated: true });
      drop = created.drop;
      databaseUrl = created.url;
      db = await openDatabase({ url: created.url });
      app = await startAppOn(db, { secretKey: key });
      origin = app.origin;
      const org = await createOrganization(db, { slug: "initech", name: "Initech" }, system);
      const connection = await createConnection(db, key, org.id, {
        type: "saml", name: "Okta", loginPath: "initech", preset: "okta",
        saml: { ...samlPreset("okta"), idpMetadataUrl: null, idpMetadataXml: idp.metadata(),
          idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCertificates: idp.keys.map((k) => k.certBody),
          metadataFetchedAt: null, allowIdpInitiated: false },
      }, system);
      await setConnectionEnabled(db, key, org.id, connection.id, true, system);
      urls = spUrls(origin, connection.id);
      organizationId = org.id;
      connectionId = connection.id;
      for (const [team, group, role] of [["Engineering", "eng", "developer"], ["Operations", "ops", "operator"]]) {
        const created = await createTeam(db, org.id, { name: team, roles: [role] }, system);
        await replaceTeamMappings(db, org.id, created.id, [{ idpGroup: group }], system);
      }
    });
    after(async () => {
      await app.close();
      await db.close();
      await drop();
    });

    async function logIn(groups: string[], nameId = "00u-pat", email = "pat@initech.test", started?: { browser: CookieJarClient; start: globalThis.Response }) {
      const { browser, start } = started ?? await startLogin();
      assert.equal(start.status, 302);
      const request = readAuthnRequest(start.headers.get("location")!);
      const SAMLResponse = idp.response({ acsUrl: urls.acs, audience: urls.entityId, inResponseTo: request.id, nameId,
        attributes: { email, firstName: "Pat", lastName: "Doe", groups } });
      const posted = await browser.crossSitePost(urls.acs, { SAMLResponse, RelayState: request.relayState ?? "" });
      assert.equal(posted.status, 303);
      const done = await browser.get(new URL(posted.headers.get("location")!, origin).href);
      const verify = await browser.get(`${origin}/auth/verify`);
      return { status: done.status, page: await done.text(), verify };
    }

    async function startLogin() {
      const browser = new CookieJarClient();
      return { browser, start: await browser.get(`${origin}/login/initech`) };
    }

    /**
     * Holds the sessions table from another connection; `writeWaiting` resolves once the app's write of a session
     * waits on it, and `release` lets it through.
     */
    async function lockSessions() {
      const blocker = new pg.Client({ connectionString: databaseUrl });
      await blocker.connect();
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE");
      let released = false;
      const writeWaiting = (async () => {
        while (!released) {
          // Statistics are read once per transaction unless the snapshot is cleared.
          await blocker.query("SELECT pg_stat_clear_snapshot()");
          const { rows } = await blocker.query(`SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO sessions%'`);
          if (rows[0].n > 0) return;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const release = async () => {
        released = true;
        await writeWaiting.catch(() => undefined);
        await blocker.query("ROLLBACK");
        await blocker.end();
      };
      return { writeWaiting, release };
    }
    const postgresOnly = { skip: target.name !== "postgres" && "needs a second PostgreSQL connection to hold the sessions table" };

    it("sends the redirect to the IdP only once the started login is stored (a quick IdP comes back to find it)", postgresOnly, async () => {
      const sessions = await lockSessions();
      let answered = false;
      const starting = startLogin().finally(() => (answered = true));
      await sessions.writeWaiting;
      // Without the wait, the redirect's headers went out before the write was even sent.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(answered, false, "no redirect while the session holding the login is not stored");
      await sessions.release();
      assert.equal((await logIn(["eng"], "00u-quick", "quick@initech.test", await starting)).status, 303);
    });

    it("answers 503 rather than a redirect to the IdP when the started login cannot be stored", postgresOnly, async () => {
      const impatient = await openDatabase({ url: databaseUrl, statementTimeoutMs: 300 });
      const impatientApp = await startAppOn(impatient, { secretKey: key });
      const sessions = await lockSessions();
      try {
        const res = await fetch(`${impatientApp.origin}/login/initech`, { redirect: "manual" });
        assert.equal(res.status, 503);
        assert.equal(res.headers.get("location"), null);
        assert.equal(res.headers.get("retry-after"), "5");
        assert.match(await res.text(), /could not be started\. Try again/);
      } finally {
        await sessions.release();
        await impatientApp.close();
        await impatient.close();
      }
    });

    it("moves the user between teams as its IdP groups change, and deactivates it when none maps", async () => {
      const first = await logIn(["eng"]);
      assert.equal(first.status, 303);
      assert.equal(first.verify.headers.get("x-rollcall-teams"), "Engineering");
      const moved = await logIn(["ops"]);
      assert.equal(moved.verify.headers.get("x-rollcall-teams"), "Operations");
      assert.equal(moved.verify.headers.get("x-rollcall-roles"), "operator");
      const both = await logIn(["ops", "eng"]);
      assert.equal(both.verify.headers.get("x-rollcall-teams"), "Engineering,Operations");
      const none = await logIn(["marketing"]);
      assert.equal(none.status, 403);
      assert.match(none.page, /no_mapped_group/);
      const [user] = await db.dataSource.query("SELECT active FROM users WHERE user_name_norm = 'pat@initech.test'");
      assert.equal(Boolean(user.active), false);
      assert.match((await logIn(["eng"])).page, /user_inactive/);
    });

    it("links a SCIM-provisioned account by email only once the connection trusts its IdP's addresses", async () => {
      const scim = await createUser(db, organizationId, { userName: "sam@initech.test", externalId: "scim-sam" }, system);
      const untrusted = await logIn(["eng"], "00u-sam", "sam@initech.test");
      assert.equal(untrusted.status, 403);
      assert.match(untrusted.page, /account_conflict/);
      await updateConnection(db, key, organizationId, connectionId, { saml: { trustEmail: true } }, system);
      const trusted = await logIn(["eng"], "00u-sam", "sam@initech.test");
      assert.equal(trusted.status, 303);
      assert.equal(trusted.verify.headers.get("x-rollcall-user-id"), scim.id);
    });
  });
}
