import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, IncomingHttpHeaders, Server } from "node:http";
import { AddressInfo } from "node:net";
import { relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { parse } from "yaml";
import { createApp } from "../../src/app.js";
import { Database, openDatabase } from "../../src/db/database.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createUser } from "../../src/identity/users.js";
import { IDENTITY_HEADERS } from "../../src/apps/forward-auth.js";
import { sessionCookie, system } from "../support/admin.js";
import { freePort, nginxSkip, RunningNginx, startNginx } from "../support/nginx.js";

/**
 * deploy/compose.yaml's nginx, for real: its template rendered the way the nginx image does (envsubst of the variables
 * compose.yaml sets), run by Debian's nginx in front of the real app and an app that echoes the headers it gets.
 */

const TEMPLATE = "deploy/nginx/rollcall.conf.template";
const HEADER_NAMES = Object.values(IDENTITY_HEADERS);

/** The nginx image's 20-envsubst-on-templates.sh: `${NAME}` of each variable it was given, nothing else. */
const renderTemplate = (template: string, env: Record<string, string>) =>
  template.replace(/\$\{(\w+)\}/g, (whole, name: string) => env[name] ?? whole);

const listen = async (server: Server) => {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
};

describe("the compose example's nginx template", () => {
  it("sets every X-Rollcall-* header in every location that proxies, so a client's own never gets through", () => {
    const locations = readFileSync(TEMPLATE, "utf8").split(/^\s*location\b/m).slice(1);
    const proxying = locations.filter((block) => /\bproxy_pass\b/.test(block));
    assert.equal(proxying.length, 4, "the verify subrequest, Rollcall's pages, the app, and the login redirect");
    for (const block of proxying) {
      for (const name of HEADER_NAMES) {
        assert.match(block, new RegExp(`^\\s*proxy_set_header\\s+${name}\\s`, "m"), `${name} in location${block.split("{")[0]}`);
      }
    }
  });
});

describe("the compose example's nginx forward auth, with the real nginx", { skip: nginxSkip() }, () => {
  const secretKey = randomBytes(32);
  let db: Database;
  let rollcall: Server;
  let app: Server;
  let nginx: RunningNginx | undefined;
  let base: string;
  let cookie: string;
  let userId: string;
  /** The headers of the last request the app got. */
  let seen: IncomingHttpHeaders | undefined;

  before(async () => {
    db = await openDatabase({ url: "sqlite::memory:" });
    const org = await createOrganization(db, { slug: "acme", name: "Acme" }, system);
    userId = (await createUser(db, org.id, { userName: "ada@acme.test", emails: [{ value: "ada@acme.test", primary: true }] }, system)).id;
    cookie = await sessionCookie(db, secretKey, { type: "user", userId, organizationId: org.id });

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    rollcall = createServer(createApp({ db, baseUrl: base, logger: pino({ level: "silent" }), secretKey, trustProxy: "loopback" }));
    app = createServer((req, res) => {
      seen = req.headers;
      res.end("the app");
    });
    // compose.yaml's nginx service: its template and environment, with loopback addresses for the containers' names.
    const nginxService = parse(readFileSync("deploy/compose.yaml", "utf8")).services.nginx;
    assert.ok(nginxService.volumes.includes(`./${relative("deploy", TEMPLATE)}:/etc/nginx/templates/default.conf.template:ro`));
    const env = {
      ...nginxService.environment, NGINX_PORT: `127.0.0.1:${port}`, ROLLCALL_LOGIN_PATH: "acme", ROLLCALL_ORGANIZATION: "acme",
      ROLLCALL_UPSTREAM: `127.0.0.1:${await listen(rollcall)}`, APP_UPSTREAM: `127.0.0.1:${await listen(app)}`,
    };
    assert.deepEqual(Object.keys(env).sort(), Object.keys(nginxService.environment).sort());
    const site = renderTemplate(readFileSync(TEMPLATE, "utf8"), env);
    assert.doesNotMatch(site, /\$\{/, "compose.yaml gives the template every variable it uses");
    nginx = await startNginx(site, port);
  });

  after(async () => {
    await nginx?.close();
    for (const server of [rollcall, app]) {
      server?.closeAllConnections();
      server?.close();
    }
    await db?.close();
  });

  const forged = Object.fromEntries(HEADER_NAMES.map((name) => [name, "forged-by-the-client"]));

  it("without a session: to the organization's login, coming back to the page asked for (the app never sees it)", async () => {
    seen = undefined;
    const res = await fetch(`${base}/reports?q=1&sort=name`, { redirect: "manual", headers: forged });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), `${base}/login/acme?return_to=${encodeURIComponent("/reports?q=1&sort=name")}`);
    const post = await fetch(`${base}/reports`, { method: "POST", redirect: "manual", body: "x=1", headers: forged });
    assert.equal(post.status, 302, "a POST without a session is redirected too");
    assert.equal(seen, undefined);
  });

  it("with a session: the app gets Rollcall's identity headers and none of the client's", async () => {
    const verify = await fetch(`${base}/_rollcall_verify`, { headers: { cookie } });
    assert.equal(verify.status, 404, "the verify location is internal to nginx");
    const res = await fetch(`${base}/reports`, { headers: { ...forged, cookie } });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "the app");
    assert.equal(seen![IDENTITY_HEADERS.userId.toLowerCase()], userId);
    assert.equal(seen![IDENTITY_HEADERS.email.toLowerCase()], "ada@acme.test");
    assert.equal(seen![IDENTITY_HEADERS.organization.toLowerCase()], "acme");
    for (const name of [IDENTITY_HEADERS.teams, IDENTITY_HEADERS.roles]) {
      assert.equal(seen![name.toLowerCase()], undefined, `${name}: Ada has no teams, and the client's value is dropped`);
    }
    for (const name of HEADER_NAMES) assert.notEqual(seen![name.toLowerCase()], "forged-by-the-client", name);
  });

  it("serves Rollcall's own pages and the session on the same origin", async () => {
    const login = await fetch(`${base}/console/login`);
    assert.equal(login.status, 200);
    assert.match(login.headers.get("content-type") ?? "", /text\/html/);
    const session = await fetch(`${base}/session`, { headers: { cookie } });
    assert.equal(session.status, 200);
    assert.equal((await session.json()).user.id, userId);
  });
});
