import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Database, openDatabase } from "../../src/db/database.js";
import { findAdminAccount, verifyAdminPassword } from "../../src/identity/admins.js";
import { authenticateApiToken } from "../../src/identity/api-tokens.js";
import { listAuditEvents } from "../../src/identity/audit.js";
import { findOrganizationBySlug } from "../../src/identity/organizations.js";
import { redeemSetupLink } from "../../src/identity/setup-links.js";
import { listTeams } from "../../src/identity/teams.js";
import { runCliInProcess } from "../support/cli.js";
import { startDnsServer } from "../support/dns-server.js";
import { TestIdp } from "../support/saml-idp.js";

describe("rollcall CLI: admin accounts, API tokens, connections, teams, mappings, setup links", () => {
  const dir = mkdtempSync(join(tmpdir(), "rollcall-cli-admin-"));
  const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, "db.sqlite")}`, BASE_URL: "https://id.example.test" };
  /** Runs a command with `input` on stdin (secrets given as `-`) and answers its output; it must succeed. */
  const cliWithInput = async (input: string, ...argv: string[]) => {
    const run = await runCliInProcess(argv, env, input);
    assert.equal(run.code, 0, `rollcall ${argv.join(" ")} failed: ${run.stderr}`);
    return run.stdout;
  };
  const cli = (...argv: string[]) => cliWithInput("", ...argv);
  const fails = async (pattern: RegExp, ...argv: string[]) => {
    const run = await runCliInProcess(argv, env);
    assert.equal(run.code, 1);
    assert.match(run.stderr, pattern);
  };
  let db: Database;
  let org: string;
  before(async () => {
    await cli("org", "create", "acme", "--name", "Acme");
    db = await openDatabase({ url: env.DATABASE_URL });
    org = (await findOrganizationBySlug(db, "acme"))!.id;
  });
  after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates admin accounts with a generated or given password, and API tokens for them; disables them", async () => {
    const out = await cli("admin", "create", "--email", "ops@acme.test", "--org", "acme");
    assert.match(out, /created admin ops@acme\.test/);
    const password = /password \(shown once\): (\S+)/.exec(out)![1];
    assert.equal((await verifyAdminPassword(db, "ops@acme.test", password))?.organizationId, org);
    assert.equal((await findAdminAccount(db, "ops@acme.test"))?.mustChangePassword, true, "a generated password is a one-time password");

    assert.match(await cliWithInput("a chosen passphrase\n", "admin", "create", "--email", "root@id.test", "--operator", "--password", "-"), /created operator/);
    assert.equal((await verifyAdminPassword(db, "root@id.test", "a chosen passphrase"))?.role, "operator");
    assert.equal((await findAdminAccount(db, "root@id.test"))?.mustChangePassword, false, "a chosen one is not");
    await fails(/either --org <slug>.*or --operator/, "admin", "create", "--email", "x@acme.test");
    await fails(/already exists/, "admin", "create", "--email", "OPS@acme.test", "--org", "acme");

    const token = /API token \(shown once\): (\S+)/.exec(await cli("api-token", "create", "--email", "ops@acme.test"))![1];
    assert.equal((await authenticateApiToken(db, token))?.admin.email, "ops@acme.test");
    assert.match(await cli("admin", "list", "--org", "acme"), /ops@acme\.test/);

    await cli("admin", "disable", "ops@acme.test");
    assert.ok((await findAdminAccount(db, "ops@acme.test"))?.disabledAt);
    assert.equal(await authenticateApiToken(db, token), null, "a disabled account's tokens stop working");
    await fails(/no admin account "nobody@acme\.test"/, "api-token", "create", "--email", "nobody@acme.test");
  });

  it("creates teams, replaces their mappings, switches the team mapping mode, deletes teams", async () => {
    await cli("team", "create", "Engineers", "--org", "acme", "--roles", "deploy,read");
    assert.match(await cli("mapping", "set", "engineers", "eng", "platform", "--org", "acme"), /Engineers ← eng, platform/);
    let [team] = await listTeams(db, org);
    assert.deepEqual([team.roles, team.mappings.map((m) => m.idpGroup)], [["deploy", "read"], ["eng", "platform"]]);
    await cli("mapping", "set", team.id, "--org", "acme");
    [team] = await listTeams(db, org);
    assert.deepEqual(team.mappings, []);
    assert.match(await cli("team", "list", "--org", "acme"), /Engineers/);

    await cli("org", "mode", "manual", "--org", "acme");
    assert.equal((await findOrganizationBySlug(db, "acme"))!.teamMappingMode, "manual");
    await fails(/mode must be "idp" or "manual"/, "org", "mode", "sometimes", "--org", "acme");

    await cli("team", "delete", "Engineers", "--org", "acme");
    assert.deepEqual(await listTeams(db, org), []);
    await fails(/no team "Engineers"/, "team", "delete", "Engineers", "--org", "acme");
  });

  it("creates OIDC (secret from stdin) and SAML (metadata file) connections, lists, enables, disables, deletes them", async () => {
    const oidc = await cliWithInput("s3cret-from-stdin\n", "connection", "create-oidc", "--org", "acme", "--name", "Okta", "--login-path", "acme",
      "--preset", "okta", "--issuer", "https://acme.okta.example/oauth2/default", "--client-id", "0oa1", "--client-secret", "-");
    assert.match(oidc, /login URL: https:\/\/id\.example\.test\/login\/acme/);
    const oidcId = /connection Okta \((\S+)\)/.exec(oidc)![1];
    assert.match(oidc, new RegExp(`redirect URI: https://id\\.example\\.test/sso/${oidcId}/oidc/callback`));

    const metadata = join(dir, "idp.xml");
    writeFileSync(metadata, new TestIdp().metadata());
    const saml = await cli("connection", "create-saml", "--org", "acme", "--name", "Entra", "--login-path", "acmesaml", "--preset", "entra",
      "--metadata-file", metadata);
    const samlId = /connection Entra \((\S+)\)/.exec(saml)![1];
    assert.match(saml, new RegExp(`SP entity ID: https://id\\.example\\.test/sso/${samlId}/saml/metadata`));

    const keys = await cli("connection", "sp-key", "publish-next", samlId, "--org", "acme");
    assert.match(keys, /current[\s\S]*next/);
    assert.match(keys, new RegExp(`SP metadata \\(give it to the IdP after each change\\): https://id\\.example\\.test/sso/${samlId}/saml/metadata`));
    assert.doesNotMatch(await cli("connection", "sp-key", "promote", samlId, "--org", "acme"), /next/);
    await fails(/no next SP key to promote/, "connection", "sp-key", "promote", samlId, "--org", "acme");
    assert.match(await cli("connection", "sp-key", "list", samlId, "--org", "acme"), /current/);
    assert.match(await cli("connection", "sign-requests", samlId, "on", "--org", "acme"), /are signed/);
    assert.match(await cli("connection", "sign-requests", samlId, "off", "--org", "acme"), /are not signed/);

    const listed = await cli("connection", "list", "--org", "acme");
    assert.ok(listed.includes(oidcId) && listed.includes(samlId) && !listed.includes("s3cret"));
    await cli("connection", "enable", oidcId, "--org", "acme");
    await fails(/verify the organization's domain first/, "connection", "enable", samlId, "--org", "acme");
    // A domain verified by DNS, against a real server on loopback that the CLI is pointed at.
    const claimed = await cli("domain", "claim", "Acme.example", "--org", "acme");
    const token = /_rollcall-challenge\.acme\.example {2}TXT {2}"(rollcall-[0-9a-f]+)"/.exec(claimed)?.[1];
    assert.ok(token, claimed);
    const dns = await startDnsServer();
    try {
      const withDns = { ...env, DNS_SERVERS: dns.server, DNS_TIMEOUT_MS: "500" };
      const verify = () => runCliInProcess(["domain", "verify", "acme.example", "--org", "acme"], withDns);
      const missing = await verify();
      assert.equal(missing.code, 1);
      assert.match(missing.stdout, /not verified: no TXT record/);
      dns.records.set("_rollcall-challenge.acme.example", [token!]);
      assert.match((await verify()).stdout, /acme\.example: verified \(dns\)/);
    } finally {
      await dns.close();
    }
    await cli("domain", "claim", "partners.example", "--org", "acme");
    assert.match(await cli("domain", "mark-verified", "partners.example", "--org", "acme"), /verified \(operator\)/);
    await cli("connection", "enable", samlId, "--org", "acme");
    assert.match(await cli("connection", "routing", samlId, "--org", "acme", "--default", "on", "--other-domains", "on"), /default on, other domains admitted/);
    assert.match(await cli("domain", "route", "partners.example", samlId, "--org", "acme"), new RegExp(`partners\\.example → ${samlId}`));
    assert.match(await cli("domain", "list", "--org", "acme"), /acme\.example[\s\S]*verified \(dns\)[\s\S]*partners\.example/);
    const audited = (await listAuditEvents(db.dataSource.manager, org, { action: "domain.verified" })).map((e) => e.summary);
    assert.deepEqual(audited, [{ name: "acme.example", by: "dns" }, { name: "partners.example", by: "operator" }]);
    await cli("connection", "disable", samlId, "--org", "acme");
    await cli("connection", "disable", oidcId, "--org", "acme");
    await cli("connection", "delete", samlId, "--org", "acme");

    const auth0 = await cli("connection", "create-saml", "--org", "acme", "--name", "Auth0", "--login-path", "acmeauth0", "--preset", "auth0",
      "--metadata-file", metadata, "--allow-sha1", "--groups-delimiter", ";", "--required-signature", "assertion");
    const auth0Id = /connection Auth0 \((\S+)\)/.exec(auth0)![1];
    const [row] = await db.dataSource.query(`SELECT settings FROM connections WHERE id = '${auth0Id}'`);
    const settings = JSON.parse(row.settings);
    assert.deepEqual([settings.allowSha1, settings.groupsDelimiter, settings.requiredSignature], [true, ";", "assertion"]);
    assert.equal(settings.attributes.groups, "http://schemas.xmlsoap.org/claims/Group", "the preset's attribute names");
    await cli("connection", "delete", auth0Id, "--org", "acme");
    assert.ok(!(await cli("connection", "list", "--org", "acme")).includes(samlId));

    await fails(/invalid input:\n {2}loginPath: must be 1 to 64 letters or digits/, "connection", "create-oidc", "--org", "acme", "--name", "X",
      "--login-path", "no/slash", "--issuer", "https://x.example", "--client-id", "x", "--client-secret", "y");
    await fails(/saml\.idpMetadataUrl: the IdP metadata is required/, "connection", "create-saml", "--org", "acme", "--name", "X", "--login-path", "x");
  });

  it("creates a setup link whose URL opens a setup session; every change is audited as the CLI", async () => {
    const out = await cli("setup-link", "create", "--org", "acme", "--name", "Acme IT", "--hours", "2", "--capabilities", "scim,sso");
    assert.match(out, /may configure: sso, scim\n/);
    const url = /setup link \(shown once\): (\S+)/.exec(out)![1];
    assert.match(url, /^https:\/\/id\.example\.test\/setup\/rcl_/);
    const link = await redeemSetupLink(db, url.split("/setup/")[1]);
    assert.equal(link?.organizationId, org);
    assert.equal(Date.parse(link!.expiresAt) - Date.parse(link!.createdAt), 2 * 3_600_000);
    assert.deepEqual(link!.capabilities, ["sso", "scim"]);
    await fails(/unknown capabilities: root/, "setup-link", "create", "--org", "acme", "--capabilities", "sso,root");

    const events = await listAuditEvents(db.dataSource.manager, org, { limit: 1000 });
    const actions = new Set(events.filter((e) => e.actorId === "cli").map((e) => e.action));
    for (const action of ["admin_account.created", "api_token.created", "admin_account.disabled", "team.created", "team.mappings_replaced",
      "organization.team_mapping_mode", "connection.created", "connection.enabled", "connection.deleted", "setup_link.created",
      "connection.sp_key_published", "connection.sp_key_promoted", "connection.updated"]) {
      assert.ok(actions.has(action), action);
    }
  });
});
