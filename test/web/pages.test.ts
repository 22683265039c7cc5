import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { getConnection, listConnections } from "../../src/identity/connections.js";
import { claimDomain, deleteDomain, listDomains, markDomainVerified } from "../../src/identity/domains.js";
import { createGroup } from "../../src/identity/groups.js";
import { listScimTokens } from "../../src/identity/scim-tokens.js";
import { listTeams, teamsOfUser } from "../../src/identity/teams.js";
import { createUser } from "../../src/identity/users.js";
import { consumeEvents } from "../../src/identity/events/outbox.js";
import { createWebhookEndpoint, queueDeliveries, updateWebhookEndpoint } from "../../src/identity/webhooks.js";
import { databaseTargets } from "../support/databases.js";
import { startDnsServer, TestDns } from "../support/dns-server.js";
import { TestIdp } from "../support/saml-idp.js";
import { Agent, ConsoleApp, startConsoleApp } from "./console-app.js";

/** What each console page shows and changes, through its forms, as a browser without JavaScript would use them. */

const scim = { type: "scim_token" as const, id: null };
const SECRET = "client-secret-that-must-never-be-shown";
/** The text of a page without tags, so assertions read like what a person sees. */
const text = (html: string) => html.replace(/<style>[\s\S]*?<\/style>/, "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
/** The text of a page's table (the audit log's events, without the filter form's list of actions). */
const table = (html: string) => text(html.includes("<table") ? html.slice(html.indexOf("<table")) : html);

const system = { type: "system" as const, id: null };

for (const target of await databaseTargets()) {
  describe(`console pages (${target.name})`, { skip: target.skip }, () => {
    let app: ConsoleApp;
    let admin: Agent;
    let dns: TestDns;
    const page = (section = "") => `/console/orgs/${app.orgA}${section}`;

    before(async () => {
      dns = await startDnsServer();
      app = await startConsoleApp(target, { allowInsecureIdp: true, dns: { servers: [dns.server], timeoutMs: 500 } });
      admin = app.agent();
      await admin.logIn(app.adminA);
    });
    after(async () => {
      await app?.close();
      await dns?.close();
    });

    it("the Domains page claims a domain, shows the TXT record to publish, verifies it by DNS; marking by hand is the operator's", async () => {
      const claimed = await admin.post(page("/domains"), { name: "Acme-Corp.example" });
      assert.equal(claimed.headers.location, page("/domains?notice=domain-claimed"));
      const [domain] = await listDomains(app.db, app.orgA);
      const shown = text((await admin.get(page("/domains"))).text);
      assert.match(shown, new RegExp(`acme-corp\\.example not verified[\\s\\S]*Record name _rollcall-challenge\\.acme-corp\\.example Copy Type TXT Value ${domain.token} Copy`));
      assert.doesNotMatch(shown, /Mark verified/, "an org admin is not offered the operator's button");
      assert.equal((await admin.post(page(`/domains/${domain.id}/mark-verified`))).status, 403);
      await admin.post(page(`/domains/${domain.id}/verify`));
      assert.match(text((await admin.get(page("/domains"))).text), /not verified no TXT record _rollcall-challenge\.acme-corp\.example/);
      dns.records.set(domain.challengeName, [domain.token]);
      await admin.post(page(`/domains/${domain.id}/verify`));
      assert.match(text((await admin.get(page("/domains"))).text), /acme-corp\.example verified by DNS/);
      assert.equal((await admin.post(page("/domains"), { name: "not a domain" })).status, 400);

      const operator = app.agent();
      await operator.logIn(app.operator);
      const other = await claimDomain(app.db, app.orgA, "acme-labs.example", system);
      assert.match(text((await operator.get(page("/domains"))).text), /Mark verified \(operator\)/);
      assert.equal((await operator.post(page(`/domains/${other.id}/mark-verified`))).status, 303);
      assert.equal((await listDomains(app.db, app.orgA)).find((d) => d.id === other.id)?.verifiedBy, "operator");
      for (const d of await listDomains(app.db, app.orgA)) assert.equal((await admin.post(page(`/domains/${d.id}/delete`))).status, 303);
      assert.deepEqual(await listDomains(app.db, app.orgA), []);
    });

    it("the OIDC wizard saves a disabled connection and shows the values to paste, a SCIM token once, and the test button", async () => {
      const refused = await admin.post(page("/connections"), {
        idp: "okta", type: "oidc", name: "Okta", loginPath: "acme corp", issuerUrl: "https://acme.okta.example/oauth2/default", clientId: "0oa1", clientSecret: SECRET,
      });
      assert.equal(refused.status, 400);
      assert.match(text(refused.text), /Login path: must be 1 to 64 letters or digits/);
      assert.match(refused.text, /value="https:\/\/acme.okta.example\/oauth2\/default"/, "what was typed comes back");
      assert.doesNotMatch(refused.text, new RegExp(SECRET), "except the secret");

      const created = await admin.post(page("/connections"), {
        idp: "okta", type: "oidc", name: "Okta", loginPath: "acme", issuerUrl: "https://acme.okta.example/oauth2/default", clientId: "0oa1", clientSecret: SECRET,
      });
      assert.equal(created.status, 303);
      const location = created.headers.location as string;
      assert.match(location, new RegExp(`^${page("/connections/")}[0-9a-f-]{36}\\?notice=connection-created$`));
      const id = location.split("/").pop()!.split("?")[0];

      const wizard = await admin.get(location);
      assert.equal(wizard.status, 200);
      const shown = text(wizard.text);
      assert.match(shown, /Connection created/);
      assert.match(shown, new RegExp(`Sign-in redirect URIs ${app.url}/sso/${id}/oidc/callback`), "the redirect URI under Okta's name for the field");
      assert.match(shown, new RegExp(`SCIM connector base URL ${app.url}/scim/v2 `));
      assert.match(wizard.text, /href="[^"]*\/login\/acme\?test=1"[^>]*>Test connection</);
      assert.match(shown, /disabled/);
      assert.doesNotMatch(wizard.text, new RegExp(SECRET));

      const withToken = await admin.post(page(`/connections/${id}/scim-token`));
      assert.equal(withToken.status, 200);
      const token = /id="new-scim-token">(rcs_[^<]+)</.exec(withToken.text)?.[1];
      assert.ok(token, "the new token is on the page");
      assert.match(text(withToken.text), /cannot be shown again/);
      assert.equal((await listScimTokens(app.db, app.orgA)).filter((t) => t.name === "Okta SCIM").length, 1);
      assert.doesNotMatch((await admin.get(page(`/connections/${id}`))).text, new RegExp(token!), "and only once");
      const scimCall = await fetch(`${app.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(scimCall.status, 200, "the token works for SCIM");

      const enabled = await admin.post(page(`/connections/${id}/enable`));
      assert.equal(enabled.headers.location, page(`/connections/${id}?notice=connection-enabled`));
      assert.match(text((await admin.get(page("/connections"))).text), /Okta Okta OIDC .*\/login\/acme enabled/);

      const renamed = await admin.post(page(`/connections/${id}`), {
        name: "Okta production", loginPath: "acme", issuerUrl: "https://acme.okta.example/oauth2/default", clientId: "0oa1", clientSecret: "",
        scopes: "openid email profile groups", claimName: "name", claimEmail: "email", claimGroups: "roles",
      });
      assert.equal(renamed.status, 303);
      const saved = (await listConnections(app.db, app.secretKey, app.orgA))[0];
      assert.equal(saved.name, "Okta production");
      assert.equal(saved.oidc!.clientSecret, SECRET, "an empty secret field keeps the stored secret");
      assert.equal(saved.oidc!.claimMappings.groups, "roles");
    });

    it("people find their organization's SSO from /login by login path, or by an email domain the organization verified", async () => {
      const anonymous = app.agent();
      assert.equal((await anonymous.get("/login")).status, 200);
      for (const identifier of ["acme", "ACME"]) {
        const res = await anonymous.post("/login", { identifier });
        assert.equal(res.headers.location, "/login/acme", identifier);
      }
      const unverified = await anonymous.post("/login", { identifier: "jane@acme.example" });
      assert.equal(unverified.status, 404, "the domain's first label no longer counts: nobody verified acme.example");
      assert.match(text(unverified.text), /No organization has verified acme\.example for single sign-on[\s\S]*verify acme\.example under Domains/);
      const domain = await claimDomain(app.db, app.orgA, "acme.example", system);
      await markDomainVerified(app.db, app.orgA, domain.id, system);
      try {
        for (const identifier of ["jane@acme.example", "Jane@ACME.example", "jane@eu.acme.example"]) {
          const res = await anonymous.post("/login", { identifier });
          assert.equal(res.status, 303, identifier);
          assert.equal(res.headers.location, "/login/acme", identifier);
        }
        for (const identifier of ["globex", "jane@globex.example", "jane@acme.co.uk", "not a path", "jane@"]) {
          assert.equal((await anonymous.post("/login", { identifier })).status, 404, identifier);
        }
      } finally {
        await deleteDomain(app.db, app.orgA, domain.id, system);
      }
    });

    it("the /login step keeps where the person was going (return_to), if it is a path on this server", async () => {
      const anonymous = app.agent();
      assert.match((await anonymous.get("/login?return_to=%2Fapp%2Fdashboard%3Ftab%3D2")).text, /name="return_to" value="\/app\/dashboard\?tab=2"/);
      const kept = await anonymous.post("/login", { identifier: "acme", return_to: "/app/dashboard?tab=2" });
      assert.equal(kept.headers.location, "/login/acme?return_to=%2Fapp%2Fdashboard%3Ftab%3D2");
      const offsite = await anonymous.post("/login", { identifier: "acme", return_to: "https://evil.example/" });
      assert.equal(offsite.headers.location, "/login/acme");
    });

    it("/ sends nobody to /login and an admin account to the console", async () => {
      assert.equal((await app.agent().get("/")).headers.location, "/login");
      assert.equal((await admin.get("/")).headers.location, "/console");
    });

    it("the SAML wizard reads the IdP metadata and shows the ACS URL and entity ID under Entra's names, and the SP metadata", async () => {
      const idp = new TestIdp("https://sts.windows.example/tenant/", "https://login.microsoftonline.example/tenant/saml2");
      const broken = await admin.post(page("/connections"), { idp: "entra", type: "saml", name: "Entra", loginPath: "acmeentra", idpMetadataXml: "<nope/>" });
      assert.equal(broken.status, 400);
      assert.match(text(broken.text), /Metadata XML: /);
      const created = await admin.post(page("/connections"), { idp: "entra", type: "saml", name: "Entra", loginPath: "acmeentra", idpMetadataXml: idp.metadata() });
      assert.equal(created.status, 303, created.text);
      const wizard = await admin.get(created.headers.location);
      const id = (created.headers.location as string).split("/").pop()!.split("?")[0];
      const shown = text(wizard.text);
      assert.match(shown, new RegExp(`Reply URL \\(Assertion Consumer Service URL\\) ${app.url}/sso/${id}/saml/acs`));
      assert.match(shown, new RegExp(`Identifier \\(Entity ID\\) ${app.url}/sso/${id}/saml/metadata`));
      assert.match(shown, new RegExp(`Single Logout URL \\(SLO, if the IdP offers it\\) ${app.url}/sso/${id}/saml/slo`));
      assert.match(shown, new RegExp(`Tenant URL ${app.url.replace(/[.]/g, "\\.")}/scim/v2\\?aadOptscim062020`), "Entra's SCIM URL carries the flag");
      assert.match(shown, /IdP entity ID https:\/\/sts.windows.example\/tenant\//);
      const metadataHref = /href="([^"]+\/saml\/metadata)" download/.exec(wizard.text)?.[1];
      assert.equal(metadataHref, `${app.url}/sso/${id}/saml/metadata`);
      const metadata = await fetch(metadataHref!);
      assert.equal(metadata.status, 200);
      assert.match(await metadata.text(), /EntityDescriptor/);
      assert.match(wizard.text, /<option value="no" selected>/, "emails are not trusted unless an admin says so");
      const trusting = await admin.post(page(`/connections/${id}`), { name: "Entra", loginPath: "acmeentra", trustEmail: "yes" });
      assert.equal(trusting.status, 303, trusting.text);
      assert.equal((await getConnection(app.db, app.secretKey, app.orgA, id))?.saml?.trustEmail, true);
      const routing = await admin.post(page(`/connections/${id}`), { name: "Entra", loginPath: "acmeentra", isDefault: "yes", allowOtherDomains: "yes" });
      assert.equal(routing.status, 303, routing.text);
      const routed = (await getConnection(app.db, app.secretKey, app.orgA, id))!;
      assert.deepEqual([routed.isDefault, routed.allowOtherDomains], [true, true]);
      assert.match(shown, /Key Valid until Days left SHA-256 fingerprint current \d{4}-\d\d-\d\d 109\d /, "the current SP certificate and its expiry");
      const published = await admin.post(page(`/connections/${id}/sp-keys/next`));
      assert.equal(published.status, 303);
      const rotating = text((await admin.get(published.headers.location)).text);
      assert.match(rotating, /Next SP key published/);
      assert.match(rotating, /current [\d-]+ \d+ [0-9A-F:]+ next [\d-]+ \d+ [0-9A-F:]+ Promote next key/);
      const nextKey = (await getConnection(app.db, app.secretKey, app.orgA, id))!.saml!.spKeys!.find((k) => k.state === "next")!;
      assert.equal((await admin.post(page(`/connections/${id}/sp-keys/promote`))).status, 303);
      assert.deepEqual((await getConnection(app.db, app.secretKey, app.orgA, id))!.saml!.spKeys!.map((k) => [k.id, k.state]), [[nextKey.id, "current"]]);
      const promoteAgain = await admin.post(page(`/connections/${id}/sp-keys/promote`));
      assert.equal(promoteAgain.status, 409);
      assert.match(text(promoteAgain.text), /no next SP key to promote/);
      assert.equal((await admin.post(page(`/connections/${id}`), { name: "Entra", loginPath: "acmeentra", signAuthnRequests: "yes" })).status, 303);
      assert.equal((await getConnection(app.db, app.secretKey, app.orgA, id))?.saml?.signAuthnRequests, true);
      assert.doesNotMatch(text(wizard.text), /SHA-1 allowed/);
      const weak = await admin.post(page(`/connections/${id}`), {
        name: "Entra", loginPath: "acmeentra", allowSha1: "yes", groupsDelimiter: ";", requiredSignature: "both", attrRoles: "roles",
      });
      assert.equal(weak.status, 303, weak.text);
      const saml = (await getConnection(app.db, app.secretKey, app.orgA, id))!.saml!;
      assert.deepEqual([saml.allowSha1, saml.groupsDelimiter, saml.requiredSignature, saml.attributes.roles], [true, ";", "both", "roles"]);
      assert.match(text((await admin.get(page(`/connections/${id}`))).text), /SHA-1 allowed: weak/, "the console flags a connection that accepts SHA-1");
      assert.equal((await admin.post(page(`/connections/${id}`), { name: "Entra", loginPath: "acmeentra", groupsDelimiter: "" })).status, 303);
      assert.equal((await getConnection(app.db, app.secretKey, app.orgA, id))!.saml!.groupsDelimiter, null);

      // The optional roles and user-key attributes: set, kept by a form without them, cleared by an emptied field.
      const attributesNow = async () => (await getConnection(app.db, app.secretKey, app.orgA, id))!.saml!.attributes;
      const nameBefore = (await attributesNow()).name;
      assert.equal((await admin.post(page(`/connections/${id}`), { name: "Entra", loginPath: "acmeentra", attrRoles: "roles", attrUserKey: "uid" })).status, 303);
      assert.deepEqual([(await attributesNow()).roles, (await attributesNow()).userKey], ["roles", "uid"]);
      assert.equal((await admin.post(page(`/connections/${id}`), { name: "Entra", loginPath: "acmeentra", attrEmail: "mail" })).status, 303);
      const { email, name, roles, userKey } = await attributesNow();
      assert.deepEqual({ email, name, roles, userKey }, { email: "mail", name: nameBefore, roles: "roles", userKey: "uid" }, "fields left out keep their values");
      assert.equal((await admin.post(page(`/connections/${id}`), { name: "Entra", loginPath: "acmeentra", attrRoles: "", attrUserKey: " " })).status, 303);
      assert.deepEqual([(await attributesNow()).roles, (await attributesNow()).userKey, (await attributesNow()).email], [null, null, "mail"]);
      const second = await admin.post(page(`/connections/${id}/enable`));
      assert.equal(second.status, 409, "a second enabled connection needs a verified domain");
      assert.match(text(second.text), /to enable a second one, verify the organization.{1,6}s domain first/);
      const deleted = await admin.post(page(`/connections/${id}/delete`));
      assert.equal(deleted.status, 303);
      assert.equal(await getConnection(app.db, app.secretKey, app.orgA, id), null);
    });

    it("the team editor creates teams, replaces a team's mapped groups as a whole and switches the mapping mode", async () => {
      assert.equal((await admin.post(page("/teams"), { name: "Engineering", roles: "viewer, editor" })).status, 303);
      assert.equal((await admin.post(page("/teams"), { name: "<img src=x onerror=alert(1)>", roles: "viewer" })).status, 303);
      const duplicate = await admin.post(page("/teams"), { name: "engineering", roles: "" });
      assert.equal(duplicate.status, 409);
      assert.match(text(duplicate.text), /already exists/);
      const teams = await listTeams(app.db, app.orgA);
      const engineering = teams.find((t) => t.name === "Engineering")!;
      assert.deepEqual(engineering.roles, ["viewer", "editor"]);
      const listing = await admin.get(page("/teams"));
      assert.match(listing.text, /&#60;img src=x onerror=alert\(1\)&#62;/, "names are escaped");
      assert.doesNotMatch(listing.text, /<img src=x/);

      const mapped = await admin.post(page(`/teams/${engineering.id}/mappings`), {
        idpGroup: ["eng", "5f1d-object-id", ""], alias: ["", "Platform (Entra)", ""],
      });
      assert.equal(mapped.status, 303);
      assert.deepEqual((await listTeams(app.db, app.orgA)).find((t) => t.id === engineering.id)!.mappings,
        [{ idpGroup: "5f1d-object-id", alias: "Platform (Entra)", connectionId: null }, { idpGroup: "eng", alias: null, connectionId: null }]);
      await admin.post(page(`/teams/${engineering.id}/mappings`), { idpGroup: ["eng", ""], alias: ["", ""] });
      assert.deepEqual((await listTeams(app.db, app.orgA)).find((t) => t.id === engineering.id)!.mappings, [{ idpGroup: "eng", alias: null, connectionId: null }],
        "a save replaces the list");
      assert.match((await admin.get(page("/teams"))).text, /value="eng"/);

      assert.equal((await admin.post(page("/teams/mode"), { mode: "manual" })).headers.location, page("/teams?notice=mode-saved"));
      assert.match((await admin.get(page("/teams"))).text, /value="manual" checked/);
      assert.equal((await admin.post(page("/teams/mode"), { mode: "sideways" })).status, 400);
      await admin.post(page("/teams/mode"), { mode: "idp" });
    });

    it("the users browser searches, shows the source and state, and IdP-managed teams read-only with the group they come from", async () => {
      const alice = await createUser(app.db, app.orgA, { userName: "alice@acme.example", displayName: "Alice Liddell", emails: [{ value: "alice.l@acme.example", primary: true }] }, scim, "scim");
      await createUser(app.db, app.orgA, { userName: "bob@acme.example", active: false }, { type: "sso", id: null }, "jit");
      await createUser(app.db, app.orgB, { userName: "alice@globex.example" }, scim, "scim");
      await createGroup(app.db, app.orgA, { displayName: "eng", externalId: "ext-eng", memberIds: [alice.id] }, scim);

      const all = text((await admin.get(page("/users"))).text);
      assert.match(all, /alice@acme\.example Alice Liddell alice\.l@acme\.example SCIM-managed active 1/);
      assert.match(all, /bob@acme\.example .*JIT \(first SSO login\) inactive/);
      assert.doesNotMatch(all, /globex/, "only this organization's users");
      const byEmail = text((await admin.get(page("/users?q=ALICE.L"))).text);
      assert.match(byEmail, /alice@acme\.example/);
      assert.doesNotMatch(byEmail, /bob@acme/);
      const inactiveJit = text((await admin.get(page("/users?source=jit&active=false"))).text);
      assert.match(inactiveJit, /bob@acme\.example/);
      assert.doesNotMatch(inactiveJit, /alice@acme/);
      assert.match(text((await admin.get(page("/users?q=100%25_"))).text), /No user matches/, "LIKE wildcards are searched for literally");

      const detail = await admin.get(page(`/users/${alice.id}`));
      const shown = text(detail.text);
      assert.match(shown, /Engineering viewer, editor IdP-managed via eng/);
      assert.match(shown, /follow the user's groups at your identity provider/);
      assert.doesNotMatch(detail.text, /action="[^"]*\/teams" /, "no form changes an IdP-managed membership");
      const refused = await admin.post(page(`/users/${alice.id}/teams`), { teamId: (await listTeams(app.db, app.orgA))[0].id, member: "true" });
      assert.equal(refused.status, 409, "a manual assignment is refused while the IdP decides teams");
      assert.match(text(refused.text), /managed by the identity provider/);

      await admin.post(page("/teams/mode"), { mode: "manual" });
      const team = (await listTeams(app.db, app.orgA)).find((t) => t.name === "Engineering")!;
      assert.equal((await admin.post(page(`/users/${alice.id}/teams`), { teamId: team.id, member: "true" })).status, 303);
      assert.deepEqual((await teamsOfUser(app.db.dataSource.manager, app.orgA, alice.id)).map((t) => [t.name, t.source]), [["Engineering", "manual"]]);
      assert.match(text((await admin.get(page(`/users/${alice.id}`))).text), /Engineering viewer, editor manual Remove/);
      await admin.post(page(`/users/${alice.id}/teams`), { teamId: team.id, member: "false" });
      assert.deepEqual(await teamsOfUser(app.db.dataSource.manager, app.orgA, alice.id), []);
      await admin.post(page("/teams/mode"), { mode: "idp" });
      assert.equal((await admin.get(page("/users/not-a-user"))).status, 404);
    });

    it("the groups browser shows SCIM groups with their member counts and members", async () => {
      const list = await admin.get(page("/groups"));
      assert.match(text(list.text), /eng ext-eng 1 SCIM-managed/);
      const id = /href="[^"]*\/groups\/([0-9a-f-]{36})"/.exec(list.text)![1];
      assert.match(text((await admin.get(page(`/groups/${id}`))).text), /Members \(1\) alice@acme\.example active/);
      assert.match(text((await admin.get(page("/groups?q=nothing"))).text), /No group matches/);
    });

    it("SCIM tokens: created and shown once, listed with their prefix and last use, revoked", async () => {
      const created = await admin.post(page("/tokens"), { name: "onelogin" });
      const token = /id="new-scim-token">(rcs_[^<]+)</.exec(created.text)![1];
      await fetch(`${app.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${token}` } });
      const row = text((await admin.get(page("/tokens"))).text);
      assert.doesNotMatch(row, new RegExp(token));
      assert.match(row, new RegExp(`onelogin ${token.slice(0, 12)}… \\S+ \\S+ UTC \\S+ \\S+ UTC active`), "last use is shown");
      const info = (await listScimTokens(app.db, app.orgA)).find((t) => t.name === "onelogin")!;
      assert.equal((await admin.post(page(`/tokens/${info.id}/revoke`))).status, 303);
      assert.match(text((await admin.get(page("/tokens"))).text), /onelogin .* revoked/);
      assert.equal((await fetch(`${app.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
      assert.equal((await admin.post(page("/tokens"), { name: "" })).status, 400);
    });

    it("the audit log filters by user, action and time range", async () => {
      const all = table((await admin.get(page("/audit"))).text);
      assert.match(all, /scim_token\.revoked/);
      assert.match(all, /team\.mappings_replaced/);
      const byAction = table((await admin.get(page("/audit?action=team.created"))).text);
      assert.match(byAction, /team\.created/);
      assert.doesNotMatch(byAction, /scim_token\.revoked/);
      const byUser = table((await admin.get(page(`/audit?target=${encodeURIComponent("ALICE@acme.example")}`))).text);
      assert.match(byUser, /user\.created/);
      assert.match(byUser, /user\.team_assigned/);
      assert.doesNotMatch(byUser, /scim_token\.(created|revoked)|team\.created/, "only events of that user");
      assert.match(table((await admin.get(page("/audit?from=2000-01-01T00:00&to=2000-01-02T00:00"))).text), /No event matches/);
      const thisMinute = new Date().toISOString().slice(0, 16);
      assert.match(table((await admin.get(page(`/audit?to=${thisMinute}&action=team.created`))).text), /team\.created/, "the end minute is included");
    });

    it("webhooks: each endpoint with its latest deliveries; resend, and enable a disabled one", async () => {
      const fanOut = () => consumeEvents(app.db, "webhooks", {}, (em, events) => queueDeliveries(em, events, new Date()));
      await fanOut();
      const options = { allowPrivateUrls: true };
      const { endpoint } = await createWebhookEndpoint(app.db, app.secretKey, app.orgA, { url: "http://127.0.0.1:9/hook", eventTypes: ["user.created"] }, scim, options);
      await createUser(app.db, app.orgA, { userName: "hooked@acme.example" }, scim);
      // On PostgreSQL an event is read once every older transaction on the server has ended (outbox.ts): not always at once.
      while (await fanOut() === 0) await new Promise((r) => setTimeout(r, 50));
      const shown = text((await admin.get(page("/webhooks"))).text);
      assert.match(shown, /http:\/\/127\.0\.0\.1:9\/hook enabled user\.created .* user\.created .* pending 0/);
      const resend = /action="([^"]+\/resend)"/.exec((await admin.get(page("/webhooks"))).text)![1];
      const resent = await admin.post(resend);
      assert.equal(resent.headers.location, page("/webhooks?notice=delivery-resent"));
      assert.equal((text((await admin.get(page("/webhooks"))).text).match(/pending/g) ?? []).length, 2);
      await updateWebhookEndpoint(app.db, app.orgA, endpoint.id, { enabled: false }, scim, options);
      assert.match(text((await admin.get(page("/webhooks"))).text), /hook disabled user\.created disabled by an admin Enable/);
      assert.equal((await admin.post(page(`/webhooks/${endpoint.id}/enable`))).status, 303);
      assert.match(text((await admin.get(page("/webhooks"))).text), /hook enabled/);
    });

    it("setup links: created with the capabilities ticked, shown once, then revoked", async () => {
      const created = await admin.post(page("/setup-links"), { name: "Acme IT", validHours: "24", capabilities: ["sso", "mappings"] });
      assert.equal(created.status, 200);
      const link = /id="new-setup-link">([^<]+)</.exec(created.text)![1];
      assert.ok(link.startsWith(`${app.url}/setup/rcl_`));
      const it = app.agent();
      assert.equal((await it.get(new URL(link).pathname)).status, 303);
      assert.equal((await it.get(page("/teams"))).status, 200, "mappings open the teams page");
      assert.equal((await it.get(page("/tokens"))).status, 403, "SCIM was not ticked");
      const id = /action="([^"]+\/revoke)"/.exec((await admin.get(page("/setup-links"))).text)![1];
      assert.equal((await admin.post(id)).status, 303);
      assert.match(text((await admin.get(page("/setup-links"))).text), /Acme IT .* SSO connections, Group → team mapping .* revoked/);
      const none = await admin.post(page("/setup-links"), { name: "x", validHours: "24" });
      assert.equal(none.status, 400, "a link with no capability is refused");
      assert.match(none.text, /needs at least one capability/);
      assert.equal((await it.get(page("/teams"))).status, 303, "its session ended with it");
      assert.equal((await admin.post(page("/setup-links"), { name: "x", validHours: "100000" })).status, 400);
    });
  });
}
