import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { sql } from "../../src/db/sql.js";
import { Database, openDatabase } from "../../src/db/database.js";
import { ConnectionRecord, createConnection, setConnectionEnabled, updateConnection } from "../../src/identity/connections.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createScimToken } from "../../src/identity/scim-tokens.js";
import { createSetupLink } from "../../src/identity/setup-links.js";
import { createTeam, replaceTeamMappings } from "../../src/identity/teams.js";
import { Clock, SessionLimits } from "../../src/web-session.js";
import { RunningApp, startAppOn } from "../support/app-server.js";
import { databaseTargets } from "../support/databases.js";
import { Browser, OpenIdProvider, startOpenIdProvider } from "../support/oidc-op.js";

/**
 * The SSO door end to end, through the real app and a real OpenID Provider: login, just-in-time account, teams,
 * the sidecar endpoints, /Me, and a SCIM deactivation that ends the session at once.
 */
const system = { type: "system" as const, id: null };
const key = randomBytes(32);
const CLIENT = { clientId: "rollcall", clientSecret: randomBytes(16).toString("hex") };

const startApp = (db: Database, sessionLimits?: SessionLimits, now?: Clock) => startAppOn(db, { secretKey: key, allowInsecureIdp: true, sessionLimits, now });

const cookieHeader = (browser: Browser) => [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");

for (const target of await databaseTargets()) {
  describe(`SSO login through the app (${target.name})`, { skip: target.skip }, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let app: RunningApp;
    /** An app on the same database whose sessions are idle after 60 minutes and end 2 hours after login, by a clock the test moves. */
    let clocked: RunningApp;
    let minutesLater = 0;
    let op: OpenIdProvider;
    let connection: ConnectionRecord;
    let scimToken: string;

    before(async () => {
      const created = await target.create({ migrated: true });
      drop = created.drop;
      db = await openDatabase({ url: created.url });
      app = await startApp(db);
      clocked = await startApp(db, { idleMinutes: 60, absoluteHours: 2 }, () => Date.now() + minutesLater * 60_000);
      const org = await createOrganization(db, { slug: "acme", name: "Acme" }, system);
      scimToken = (await createScimToken(db, org.id, { name: "idp" }, system)).token;
      connection = await createConnection(db, key, org.id, {
        type: "oidc", name: "Acme OP", loginPath: "acme", preset: "generic",
        oidc: { issuerUrl: "http://127.0.0.1:9/", ...CLIENT, scopes: ["openid", "email", "profile", "groups"], claimMappings: { name: "name", email: "email", groups: "groups" } },
      }, system);
      op = await startOpenIdProvider({
        clients: [{ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, redirect_uris: [app, clocked].map((a) => `${a.origin}/sso/${connection.id}/oidc/callback`) }],
        accounts: {
          ada: { email: "ada@acme.test", email_verified: true, name: "Ada Lovelace", groups: ["eng"] },
          bob: { email: "bob@acme.test", email_verified: true, name: "Bob", groups: ["sales"] },
        },
      });
      connection = await updateConnection(db, key, org.id, connection.id, { oidc: { issuerUrl: op.issuer } }, system);
      connection = await setConnectionEnabled(db, key, org.id, connection.id, true, system);
      const team = await createTeam(db, org.id, { name: "Engineering", roles: ["developer", "viewer"] }, system);
      await replaceTeamMappings(db, org.id, team.id, [{ idpGroup: "eng" }], system);
    });
    after(async () => {
      for (const a of [app, clocked]) await a.close();
      await op.close();
      await db.close();
      await drop();
    });

    /** Runs a login as `account` to the app's callback; returns the callback's answer. */
    async function logInAs(browser: Browser, account: string, returnTo = "/dashboard", through = app) {
      op.setAccount(account);
      const callback = await browser.followTo(`${through.origin}/login/acme?return_to=${encodeURIComponent(returnTo)}`, `${through.origin}/sso/`);
      return browser.get(callback);
    }

    it("logs a new user in: JIT account, teams from groups, identity headers, /session and /Me", async () => {
      const browser = new Browser();
      const res = await logInAs(browser, "ada");
      assert.equal(res.status, 303);
      assert.equal(res.headers.get("location"), "/dashboard");
      assert.ok(browser.cookies.has("rc_session"));

      const verify = await fetch(`${app.origin}/auth/verify`, { headers: { cookie: cookieHeader(browser) } });
      assert.equal(verify.status, 200);
      assert.equal(verify.headers.get("x-rollcall-email"), "ada@acme.test");
      assert.equal(verify.headers.get("x-rollcall-organization"), "acme");
      assert.equal(verify.headers.get("x-rollcall-teams"), "Engineering");
      assert.equal(verify.headers.get("x-rollcall-roles"), "developer,viewer");

      const session = await (await fetch(`${app.origin}/session`, { headers: { cookie: cookieHeader(browser) } })).json();
      assert.equal(session.user.userName, "ada@acme.test");
      assert.deepEqual(session.roles, ["developer", "viewer"]);

      const me = await fetch(`${app.origin}/scim/v2/Me`, { headers: { cookie: cookieHeader(browser) } });
      assert.equal(me.status, 200);
      assert.equal((await me.json()).userName, "ada@acme.test");
    });

    it("a SCIM deactivation ends the session at once and later logins are refused with a clear page", async () => {
      const browser = new Browser();
      await logInAs(browser, "ada");
      const cookie = cookieHeader(browser);
      const session = await (await fetch(`${app.origin}/session`, { headers: { cookie } })).json();
      const sessionsOf = async () => (await sql(db.dataSource.manager, "SELECT sid FROM sessions WHERE user_id = :id", { id: session.user.id })).length;
      assert.ok(await sessionsOf() >= 1, "this login's session is stored");
      const patch = await fetch(`${app.origin}/scim/v2/Users/${session.user.id}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${scimToken}`, "content-type": "application/scim+json" },
        body: JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] }),
      });
      assert.equal(patch.status, 200);
      // Counted before the cookie is presented again: the sidecar ends a deactivated user's session when it sees
      // it, so a later count would pass even if the deactivation itself ended nothing.
      assert.equal(await sessionsOf(), 0, "the deactivation ended every session of the user in its own transaction");
      assert.equal((await fetch(`${app.origin}/auth/verify`, { headers: { cookie } })).status, 401);
      assert.equal((await fetch(`${app.origin}/scim/v2/Me`, { headers: { cookie } })).status, 401);

      const again = await logInAs(new Browser(), "ada");
      assert.equal(again.status, 403);
      const page = await again.text();
      assert.match(page, /deactivated/);
      assert.match(page, /user_inactive/);
      const users = await db.dataSource.query("SELECT id FROM users WHERE user_name_norm = 'ada@acme.test'");
      assert.equal(users.length, 1, "not re-created");
    });

    it("refuses a user whose groups map to no team, without creating an account", async () => {
      const res = await logInAs(new Browser(), "bob");
      assert.equal(res.status, 403);
      assert.match(await res.text(), /not in any group/);
      assert.equal((await db.dataSource.query("SELECT id FROM users WHERE user_name_norm = 'bob@acme.test'")).length, 0);
    });

    it("never redirects off-site after login (return_to must be a same-origin path)", async () => {
      op.accounts.set("cy", { email: "cy@acme.test", email_verified: true, name: "Cy", groups: ["eng"] });
      for (const evil of ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]) {
        const res = await logInAs(new Browser(), "cy", evil);
        assert.equal(res.status, 303);
        assert.equal(res.headers.get("location"), "/", evil);
      }
    });

    it("forward auth: 401 without a session, or a redirect to the login that returns to the page asked for", async () => {
      assert.equal((await fetch(`${app.origin}/auth/verify`)).status, 401);
      const res = await fetch(`${app.origin}/auth/verify?login=acme`, { redirect: "manual", headers: { "x-forwarded-uri": "/reports?q=1" } });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get("location"), `${app.origin}/login/acme?return_to=%2Freports%3Fq%3D1`);
      assert.equal((await fetch(`${app.origin}/session`)).status, 401);
    });

    it("logout ends the session", async () => {
      const browser = new Browser();
      op.accounts.set("dee", { email: "dee@acme.test", email_verified: true, name: "Dee", groups: ["eng"] });
      await logInAs(browser, "dee");
      const cookie = cookieHeader(browser);
      const out = await fetch(`${app.origin}/logout`, { method: "POST", redirect: "manual", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: "" });
      assert.equal(out.status, 303);
      assert.equal((await fetch(`${app.origin}/auth/verify`, { headers: { cookie } })).status, 401);
    });

    it("test connection (dry run) is for whoever may configure the organization, and writes nothing", async () => {
      op.accounts.set("tess", { email: "tess@acme.test", email_verified: true, name: "Tess", groups: ["eng"] });
      const refused = await fetch(`${app.origin}/login/acme?test=1`);
      assert.equal(refused.status, 403);
      assert.match(await refused.text(), /test_forbidden/);

      /** A browser signed in through a setup link of the organization: whoever may configure that organization. */
      const setupLinkBrowser = async (organizationId: string) => {
        const { token } = await createSetupLink(db, organizationId, { name: "it admin" }, system);
        const signedIn = new Browser();
        const redeemed = await fetch(`${app.origin}/api/v1/setup-links/redeem`, {
          method: "POST", headers: { "content-type": "application/json", origin: app.origin }, body: JSON.stringify({ token }),
        });
        assert.equal(redeemed.status, 200);
        for (const line of redeemed.headers.getSetCookie()) signedIn.cookies.set(line.split("=")[0], line.split(";")[0].split("=").slice(1).join("="));
        return signedIn;
      };
      // Whoever may configure another organization may not test this one's connection.
      const globex = await createOrganization(db, { slug: "globex-dry-run", name: "Globex" }, system);
      const stranger = await setupLinkBrowser(globex.id);
      op.setAccount("tess");
      const foreign = await stranger.get(`${app.origin}/login/acme?test=1`);
      assert.equal(foreign.status, 403);
      assert.match(await foreign.text(), /test_forbidden/);

      const browser = await setupLinkBrowser(connection.organizationId);
      const callback = await browser.followTo(`${app.origin}/login/acme?test=1`, `${app.origin}/sso/`);
      const report = await browser.get(callback);
      assert.equal(report.status, 200);
      const page = await report.text();
      assert.match(page, /This login would succeed/);
      assert.match(page, /Engineering/);
      assert.equal((await db.dataSource.query("SELECT id FROM users WHERE user_name_norm = 'tess@acme.test'")).length, 0);

      // A failing test shows the administrator which check failed, not only its reason code.
      await updateConnection(db, key, connection.organizationId, connection.id, { oidc: { clientSecret: "not-the-secret" } }, system);
      try {
        const failed = await browser.get(await browser.followTo(`${app.origin}/login/acme?test=1`, `${app.origin}/sso/`));
        const failure = await failed.text();
        assert.match(failure, /oidc_token_exchange/);
        assert.match(failure, /Details for administrators/);
        assert.match(failure, /invalid_client/);
        assert.doesNotMatch(failure, /not-the-secret/);
        const someone = await (await logInAs(new Browser(), "tess")).text();
        assert.match(someone, /oidc_token_exchange/);
        assert.doesNotMatch(someone, /Details for administrators/, "the details are for those who may configure the connection");
      } finally {
        await updateConnection(db, key, connection.organizationId, connection.id, { oidc: { clientSecret: CLIENT.clientSecret } }, system);
      }
    });

    it("counts logins and refusals by protocol and reason in /metrics", async () => {
      const count = async (outcome: string, reason: string) => {
        const text = await (await fetch(`${app.origin}/metrics`)).text();
        const line = text.split("\n").find((l) => l.startsWith(`sso_logins_total{protocol="oidc",outcome="${outcome}",reason="${reason}"}`));
        return line ? Number(line.split(" ").at(-1)) : 0;
      };
      op.accounts.set("mia", { email: "mia@acme.test", email_verified: true, name: "Mia", groups: ["eng"] });
      op.accounts.set("nils", { email: "nils@acme.test", email_verified: true, name: "Nils", groups: ["none"] });
      const before = { ok: await count("success", "ok"), refused: await count("failure", "no_mapped_group") };
      await logInAs(new Browser(), "mia");
      await logInAs(new Browser(), "nils");
      assert.equal(await count("success", "ok"), before.ok + 1);
      assert.equal(await count("failure", "no_mapped_group"), before.refused + 1);
    });

    it("an unknown or disabled login path is a 404 page", async () => {
      const res = await fetch(`${app.origin}/login/nosuch`);
      assert.equal(res.status, 404);
      assert.match(await res.text(), /no single sign-on at this address/);
    });

    it("sessions end after the idle limit and after the absolute limit", async () => {
      op.accounts.set("eve", { email: "eve@acme.test", email_verified: true, name: "Eve", groups: ["eng"] });
      const [idle, active, returning] = [new Browser(), new Browser(), new Browser()];
      for (const browser of [idle, active, returning]) await logInAs(browser, "eve", "/", clocked);
      const verify = (browser: Browser) =>
        fetch(`${clocked.origin}/auth/verify`, { headers: { cookie: cookieHeader(browser) } }).then((r) => r.status);
      /** Moves the sessions' clock to `minutes` after the logins and makes a request with each browser given. */
      const at = async (minutes: number, ...browsers: Browser[]) => {
        minutesLater = minutes;
        return Promise.all(browsers.map(verify));
      };

      assert.deepEqual(await at(50, idle, active, returning), [200, 200, 200], "each request renews the idle period");
      assert.deepEqual(await at(100, active, returning), [200, 200]);
      assert.deepEqual(await at(111, idle), [401], "idle limit: 61 minutes without a request");
      assert.deepEqual(await at(119, active, returning), [200, 200], "within the absolute limit");
      assert.deepEqual(await at(121, active), [401], "absolute limit, however active");
      // A browser whose first request after the limit starts a login gets a fresh session for it.
      assert.equal((await logInAs(returning, "eve", "/again", clocked)).headers.get("location"), "/again");
      assert.deepEqual(await at(121, returning), [200]);
    });
  });
}
