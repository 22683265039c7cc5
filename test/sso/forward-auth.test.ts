import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { Database, openDatabase } from "../../src/db/database.js";
import { createConnection, setConnectionEnabled, updateConnection } from "../../src/identity/connections.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createTeam, replaceTeamMappings } from "../../src/identity/teams.js";
import { IDENTITY_HEADERS } from "../../src/apps/forward-auth.js";
import { RunningApp, startAppOn } from "../support/app-server.js";
import { databaseTargets } from "../support/databases.js";
import { freePort, nginxSkip, RunningNginx, startNginx } from "../support/nginx.js";
import { Browser, OpenIdProvider, startOpenIdProvider } from "../support/oidc-op.js";

/**
 * Forward auth that knows the tenant: a route's `?org=` admits only that organization's users, and the docs' nginx
 * example, run in a real nginx in front of Rollcall and a small upstream app, lets no client-sent identity header
 * through. Two organizations, `acme` and `globex`, log in through one real OpenID Provider.
 */
const system = { type: "system" as const, id: null };
const key = randomBytes(32);
const CLIENT = { clientId: "rollcall", clientSecret: randomBytes(16).toString("hex") };
const SSO_MD = readFileSync("docs/sso.md", "utf8");

/** The first fenced block of `lang` after `heading` in docs/sso.md. */
function docsSnippet(heading: string, lang: string): string {
  const section = SSO_MD.indexOf(`\n${heading}\n`);
  assert.ok(section >= 0, `docs/sso.md has no "${heading}"`);
  const match = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(SSO_MD.slice(section));
  assert.ok(match, `docs/sso.md has no ${lang} block under "${heading}"`);
  return match[1];
}

/** Spoofed identity: every name Rollcall sends (the signed identity a JWT of alg none) and CGI look-alikes. */
const SPOOFED: Record<string, string> = {
  ...Object.fromEntries(Object.values(IDENTITY_HEADERS).map((name) => [name, "spoofed"])),
  [IDENTITY_HEADERS.signed]: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.",
  "X_Rollcall_Roles": "admin",
  "X_Rollcall_Organization": "globex",
};

for (const target of await databaseTargets()) {
  describe(`forward auth per organization (${target.name})`, { skip: target.skip }, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let app: RunningApp;
    let op: OpenIdProvider;
    const orgs: Record<string, { id: string; slug: string }> = {};

    before(async () => {
      const created = await target.create({ migrated: true });
      drop = created.drop;
      db = await openDatabase({ url: created.url });
      app = await startAppOn(db, { secretKey: key, allowInsecureIdp: true });
      const connections: { id: string; organizationId: string }[] = [];
      /** An organization whose IdP `group` grants `team`, with an OIDC connection at login path `loginPath`. */
      const addOrganization = async (slug: string, loginPath: string, group: string, team: { name: string; roles: string[] }) => {
        const org = await createOrganization(db, { slug, name: loginPath }, system);
        orgs[loginPath] = org;
        connections.push(await createConnection(db, key, org.id, {
          type: "oidc", name: `${loginPath} OP`, loginPath, preset: "generic",
          oidc: { issuerUrl: "http://127.0.0.1:9/", ...CLIENT, scopes: ["openid", "email", "profile", "groups"], claimMappings: { name: "name", email: "email", groups: "groups" } },
        }, system));
        await replaceTeamMappings(db, org.id, (await createTeam(db, org.id, team, system)).id, [{ idpGroup: group }], system);
        return org;
      };
      await addOrganization("acme", "acme", "eng", { name: "Engineering", roles: ["developer", "viewer"] });
      await addOrganization("globex", "globex", "sales", { name: "Sales", roles: ["seller"] });
      // An organization whose slug is globex's id: `org=<that id>` must still mean globex only.
      await addOrganization(orgs.globex.id, "mimic", "mimics", { name: "Mimics", roles: ["seller"] });
      // An acme team that grants no role: its members' X-Rollcall-Roles is empty.
      await replaceTeamMappings(db, orgs.acme.id, (await createTeam(db, orgs.acme.id, { name: "Guests", roles: [] }, system)).id, [{ idpGroup: "guests" }], system);
      op = await startOpenIdProvider({
        clients: [{ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, redirect_uris: connections.map((c) => `${app.origin}/sso/${c.id}/oidc/callback`) }],
        accounts: {
          ada: { email: "ada@acme.test", email_verified: true, name: "Ada Lovelace", groups: ["eng"] },
          gil: { email: "gil@acme.test", email_verified: true, name: "Gil", groups: ["guests"] },
          gus: { email: "gus@globex.test", email_verified: true, name: "Gus", groups: ["sales"] },
          mim: { email: "mim@mimic.test", email_verified: true, name: "Mim", groups: ["mimics"] },
        },
      });
      for (const c of connections) {
        await updateConnection(db, key, c.organizationId, c.id, { oidc: { issuerUrl: op.issuer } }, system);
        await setConnectionEnabled(db, key, c.organizationId, c.id, true, system);
      }
    });
    after(async () => {
      await app?.close();
      await op?.close();
      await db?.close();
      await drop?.();
    });

    /** Logs `account` in through `loginPath` in `browser` (a fresh one by default); returns the session cookie header. */
    async function logIn(loginPath: string, account: string, browser = new Browser()): Promise<string> {
      op.setAccount(account);
      const callback = await browser.followTo(`${app.origin}/login/${loginPath}`, `${app.origin}/sso/`);
      assert.equal((await browser.get(callback)).status, 303, `${account} logged in through ${loginPath}`);
      return `rc_session=${browser.cookies.get("rc_session")}`;
    }

    const verify = (query: string, cookie?: string, headers: Record<string, string> = {}) =>
      fetch(`${app.origin}/auth/verify${query}`, { redirect: "manual", headers: { ...headers, ...(cookie ? { cookie } : {}) } });

    it("admits a user of the route's organization, named by slug or by id, with identity headers", async () => {
      const ada = await logIn("acme", "ada");
      for (const org of [orgs.acme.slug, orgs.acme.id, orgs.acme.id.toUpperCase()]) {
        const res = await verify(`?org=${org}`, ada);
        assert.equal(res.status, 200, org);
        assert.equal(res.headers.get("x-rollcall-organization"), "acme");
        assert.equal(res.headers.get("x-rollcall-organization-id"), orgs.acme.id);
        assert.equal(res.headers.get("x-rollcall-roles"), "developer,viewer");
        assert.equal(res.headers.get("cache-control"), "no-store");
      }
    });

    it("refuses a user of another organization with 403, by slug and by id, and an unknown organization alike", async () => {
      const ada = await logIn("acme", "ada");
      const unknown = ["nosuch", "00000000-0000-4000-8000-000000000000", "", "ACME"];
      const answers = [];
      for (const org of [orgs.globex.slug, orgs.globex.id, ...unknown]) {
        const res = await verify(`?org=${encodeURIComponent(org)}`, ada);
        assert.equal(res.status, 403, `org=${org}`);
        for (const name of Object.values(IDENTITY_HEADERS)) assert.equal(res.headers.get(name), null, `${name} on a refusal`);
        answers.push(await res.text());
      }
      assert.equal(new Set(answers).size, 1, "another organization and no organization answer the same");
      assert.equal((await verify(`?org=${orgs.acme.slug}&org=${orgs.globex.slug}`, ada)).status, 403, "a repeated org is refused");
      assert.equal((await verify(`?org[slug]=${orgs.acme.slug}`, ada)).status, 403, "a nested org is refused");
      // The other organization's users are refused on acme's route the same way.
      assert.equal((await verify(`?org=${orgs.acme.slug}`, await logIn("globex", "gus"))).status, 403);
      // An id names the organization of that id, never one whose slug happens to be spelled like it.
      const mim = await logIn("mimic", "mim");
      assert.equal((await verify(`?org=${orgs.globex.id}`, mim)).status, 403);
      assert.equal((await verify(`?org=${orgs.mimic.id}`, mim)).status, 200);
    });

    it("without org admits any organization's user and says which organization matched", async () => {
      for (const [loginPath, account] of [["acme", "ada"], ["globex", "gus"]]) {
        const res = await verify("", await logIn(loginPath, account));
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("x-rollcall-organization"), orgs[loginPath].slug);
        assert.equal(res.headers.get("x-rollcall-organization-id"), orgs[loginPath].id);
      }
    });

    it("with login=, a session of another organization is sent to that login, which replaces the session", async () => {
      const gus = await logIn("globex", "gus");
      const res = await verify(`?org=acme&login=acme`, gus, { "x-forwarded-uri": "/reports?q=1" });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get("location"), `${app.origin}/login/acme?return_to=%2Freports%3Fq%3D1`);
      // The same browser (only its Rollcall session, not the OP's) logs in there as an acme user.
      const browser = new Browser();
      browser.cookies.set("rc_session", gus.slice("rc_session=".length));
      const ada = await logIn("acme", "ada", browser);
      assert.equal((await verify("?org=acme", ada)).status, 200);
      assert.equal((await verify("?org=acme", gus)).status, 401, "the globex session is gone");
      assert.equal((await verify("?org=acme&login=acme")).status, 302, "no session: the login too");
      assert.equal((await verify("?org=acme")).status, 401, "no session, no login=: 401");
    });

    describe("behind nginx running docs/sso.md's example", { skip: nginxSkip() }, () => {
      let upstream: Server;
      let nginx: RunningNginx;
      /** The headers of every request that reached the upstream app, as sent (names as written, duplicates kept). */
      const reached: [string, string][][] = [];

      before(async () => {
        upstream = createServer((req, res) => {
          const pairs: [string, string][] = [];
          for (let i = 0; i < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
          reached.push(pairs);
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify(pairs));
        });
        upstream.listen(0, "127.0.0.1");
        await once(upstream, "listening");
        const snippet = docsSnippet("### nginx (`auth_request`)", "nginx");
        for (const host of ["http://rollcall:3000", "http://app:8080"]) assert.ok(snippet.includes(host), `the example proxies to ${host}`);
        const port = await freePort();
        nginx = await startNginx(`server {\n  listen 127.0.0.1:${port};\n${snippet
          .replaceAll("http://rollcall:3000", app.origin)
          .replaceAll("http://app:8080", `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`)}\n}`, port);
      });
      after(async () => {
        await nginx?.close();
        upstream?.closeAllConnections();
        upstream?.close();
      });

      /** A GET through nginx; returns the answer and the headers the upstream got (null when it was not reached). */
      async function throughNginx(path: string, headers: Record<string, string>) {
        const count = reached.length;
        const res = await fetch(`${nginx.origin}${path}`, { redirect: "manual", headers });
        await res.arrayBuffer();
        assert.ok(reached.length - count <= 1);
        return { res, upstream: reached.length > count ? reached.at(-1)! : null };
      }
      const rollcallHeaders = (pairs: [string, string][]) => pairs.filter(([name]) => /rollcall/i.test(name));

      it("the right organization's session passes with its identity, and every spoofed X-Rollcall-* header is replaced or dropped", async () => {
        const ada = await logIn("acme", "ada");
        const { res, upstream: got } = await throughNginx("/reports?q=1", { cookie: ada, ...SPOOFED });
        assert.equal(res.status, 200);
        const userId = (await (await fetch(`${app.origin}/session`, { headers: { cookie: ada } })).json()).user.id;
        // The signed identity is Rollcall's, verified with its published keys, not the client's forged one.
        const signed = got!.filter(([name]) => name === IDENTITY_HEADERS.signed);
        assert.equal(signed.length, 1);
        const { payload } = await jwtVerify(signed[0][1], createRemoteJWKSet(new URL(`${app.origin}/oidc/jwks`)), { issuer: app.origin });
        assert.equal(payload.sub, userId);
        assert.equal(payload.org_slug, "acme");
        assert.deepEqual(rollcallHeaders(got!).filter(([name]) => name !== IDENTITY_HEADERS.signed).sort(), [
          [IDENTITY_HEADERS.email, "ada@acme.test"],
          [IDENTITY_HEADERS.name, "Ada Lovelace"],
          [IDENTITY_HEADERS.organization, "acme"],
          [IDENTITY_HEADERS.organizationId, orgs.acme.id],
          [IDENTITY_HEADERS.roles, "developer,viewer"],
          [IDENTITY_HEADERS.teams, "Engineering"],
          [IDENTITY_HEADERS.userName, "ada@acme.test"],
          [IDENTITY_HEADERS.userId, userId],
        ].sort());
      });

      it("a header Rollcall sends empty reaches the app as no header, never as the client's copy", async () => {
        const gil = await logIn("acme", "gil");
        assert.equal((await verify("?org=acme", gil)).headers.get(IDENTITY_HEADERS.roles), "");
        const { res, upstream: got } = await throughNginx("/", { cookie: gil, ...SPOOFED });
        assert.equal(res.status, 200);
        const names = rollcallHeaders(got!).map(([name]) => name);
        assert.ok(!names.includes(IDENTITY_HEADERS.roles), `no roles header: ${JSON.stringify(rollcallHeaders(got!))}`);
        assert.ok(names.includes(IDENTITY_HEADERS.teams));
        assert.ok(!rollcallHeaders(got!).some(([, value]) => value === "spoofed" || value === "admin" || value === "globex"));
      });

      it("refuses another organization's session with 403 and never reaches the app", async () => {
        const gus = await logIn("globex", "gus");
        const { res, upstream: got } = await throughNginx("/reports", { cookie: gus, ...SPOOFED });
        assert.equal(res.status, 403);
        assert.equal(got, null);
      });

      it("sends a request without a session to the login, and never to the app", async () => {
        for (const headers of [{}, SPOOFED, { cookie: "rc_session=s%3Anot-a-session.x" }]) {
          const { res, upstream: got } = await throughNginx("/reports?q=1", headers);
          assert.equal(res.status, 302);
          assert.equal(res.headers.get("location"), `${nginx.origin}/login/acme?return_to=/reports?q=1`);
          assert.equal(got, null);
        }
      });

      it("serves Rollcall's own routes and hides the verify location", async () => {
        assert.equal((await throughNginx("/_rollcall_verify", {})).res.status, 404);
        const session = await throughNginx("/session", {});
        assert.equal(session.res.status, 401);
        assert.equal(session.upstream, null);
      });
    });
  });
}

describe("docs/sso.md's Traefik example", () => {
  it("strips and copies every header Rollcall sends, and their underscore spellings", () => {
    const yaml = docsSnippet("### Traefik (ForwardAuth)", "yaml");
    assert.match(yaml, /\/auth\/verify\?org=acme&/, "the route declares its organization");
    const pattern = /authResponseHeadersRegex: "\(\?i\)(.+)"/.exec(yaml);
    assert.ok(pattern, "a case-insensitive authResponseHeadersRegex");
    // Go's RE2 `(?i)` prefix is JavaScript's i flag; the rest of this pattern means the same in both.
    const regex = new RegExp(pattern[1], "i");
    for (const name of [...Object.values(IDENTITY_HEADERS), "X-Rollcall-Identity"]) {
      assert.match(name, regex);
      assert.match(name.replaceAll("-", "_"), regex);
    }
    assert.doesNotMatch("X-Forwarded-For", regex);
  });
});
