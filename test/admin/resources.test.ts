import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import supertest from "supertest";
import { getConnection } from "../../src/identity/connections.js";
import { createGroup } from "../../src/identity/groups.js";
import { signIn } from "../../src/identity/sign-in.js";
import { createUser } from "../../src/identity/users.js";
import { AdminHarness, adminSnapshot, api, startAdminHarness, system } from "../support/admin.js";
import { databaseTargets } from "../support/databases.js";
import { TestIdp } from "../support/saml-idp.js";

const SECRET = "oidc-client-secret-never-shown-0123";

/** Serves one IdP's metadata over plain http on loopback (allowed here by allowInsecureIdp). */
async function metadataServer(xml: string): Promise<{ url: string; close(): void }> {
  const server: Server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/samlmetadata+xml" }).end(xml));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metadata`, close: () => server.close() };
}

for (const target of await databaseTargets()) {
  describe(`admin API resources (${target.name})`, { skip: target.skip }, () => {
    let h: AdminHarness;
    let admin: ReturnType<AdminHarness["as"]>;
    const org = (path = "") => api(`/organizations/${h.orgA}${path}`);
    before(async () => {
      h = await startAdminHarness(target, { allowInsecureIdp: true });
      admin = h.as(h.adminA.token);
    });
    after(() => h.close());

    it("organizations: sets the team mapping mode and the group source; rejects unknown values by field", async () => {
      const set = await admin.patch(org(), { teamMappingMode: "manual", groupSource: "scim" }).expect(200);
      assert.deepEqual([set.body.teamMappingMode, set.body.groupSource], ["manual", "scim"]);
      const bad = await admin.patch(org(), { teamMappingMode: "sometimes", colour: "red" }).expect(400);
      assert.equal(bad.type, "application/problem+json");
      assert.deepEqual(bad.body.invalid_parameters.map((p: { field: string }) => p.field).sort(), ["colour", "teamMappingMode"]);
      await admin.patch(org(), { teamMappingMode: "idp", groupSource: "claims" }).expect(200);
    });

    it("OIDC connections: preset defaults, generated URLs, write-only client secret, update, enable, test URL, delete", async () => {
      const created = await admin.post(org("/connections"), {
        type: "oidc", name: "Okta", loginPath: "orga", preset: "okta",
        oidc: { issuerUrl: "https://acme.okta.example/oauth2/default", clientId: "0oa1", clientSecret: SECRET, claimMappings: { groups: "roles" } },
      }).expect(201);
      const c = created.body;
      assert.equal(c.enabled, false);
      assert.deepEqual(c.oidc.scopes, ["openid", "email", "profile", "groups"], "Okta's preset asks for the groups scope");
      assert.deepEqual(c.oidc.claimMappings, { name: "name", email: "email", groups: "roles" });
      assert.equal(c.loginUrl, "https://rollcall.test/login/orga");
      assert.equal(c.callbackUrl, `https://rollcall.test/sso/${c.id}/oidc/callback`);
      assert.equal(c.oidc.clientSecretSet, true);

      const renamed = await admin.patch(org(`/connections/${c.id}`), { name: "Okta SSO", oidc: { claimMappings: { name: "full_name" } } }).expect(200);
      assert.deepEqual(renamed.body.oidc.claimMappings, { name: "full_name", email: "email", groups: "roles" });
      const stored = await getConnection(h.db, h.secretKey, h.orgA, c.id);
      assert.equal(stored!.oidc!.clientSecret, SECRET, "a change without clientSecret keeps the stored one");

      const enabled = await admin.post(org(`/connections/${c.id}/enable`)).expect(200);
      assert.equal(enabled.body.enabled, true);
      const test = await admin.get(org(`/connections/${c.id}/test`)).expect(200);
      assert.equal(test.body.url, "https://rollcall.test/login/orga?test=1");

      const taken = await admin.post(org("/connections"), {
        type: "oidc", name: "Other", loginPath: "ORGA", oidc: { issuerUrl: "https://idp.example", clientId: "x", clientSecret: "y" },
      }).expect(409);
      assert.match(taken.body.detail, /login path "ORGA" is already used/);

      const responses = [created, renamed, enabled, await admin.get(org(`/connections/${c.id}`)), await admin.get(org("/connections")),
        await admin.get(org(`/audit-events?targetId=${c.id}`))];
      for (const res of responses) assert.ok(!JSON.stringify(res.body).includes(SECRET), "the client secret never leaves the server");
      const [row] = await h.db.dataSource.query(`SELECT settings FROM connections WHERE id = '${c.id}'`);
      assert.ok(!row.settings.includes(SECRET), "and is encrypted at rest");

      await admin.post(org(`/connections/${c.id}/disable`)).expect(200);
      await admin.delete(org(`/connections/${c.id}`)).expect(204);
      await admin.get(org(`/connections/${c.id}`)).expect(404);
    });

    it("SAML connections: metadata from XML or a URL, SP URLs generated, metadata problems reported on their field", async () => {
      const idp = new TestIdp();
      const fromXml = await admin.post(org("/connections"), {
        type: "saml", name: "Entra", loginPath: "orgasaml", preset: "entra", saml: { idpMetadataXml: idp.metadata() },
      }).expect(201);
      const c = fromXml.body;
      assert.equal(c.spEntityId, `https://rollcall.test/sso/${c.id}/saml/metadata`);
      assert.equal(c.spMetadataUrl, `https://rollcall.test/sso/${c.id}/saml/metadata`);
      assert.equal(c.callbackUrl, `https://rollcall.test/sso/${c.id}/saml/acs`);
      assert.equal(c.saml.idpEntityId, idp.entityId);
      assert.equal(c.saml.idpCertificates.length, 1);
      assert.match(c.saml.idpCertificates[0].subject, /CN=idp-1/);
      assert.equal(c.saml.attributes.userKey, "http://schemas.microsoft.com/identity/claims/objectidentifier", "Entra's preset");
      assert.equal(c.saml.disableRequestedAuthnContext, true);

      const served = await metadataServer(idp.metadata());
      try {
        const fromUrl = await admin.post(org("/connections"), {
          type: "saml", name: "Okta", loginPath: "orgaurl", preset: "okta", saml: { idpMetadataUrl: served.url, allowIdpInitiated: true },
        }).expect(201);
        assert.equal(fromUrl.body.saml.idpMetadataUrl, served.url);
        assert.ok(fromUrl.body.saml.metadataFetchedAt);
        assert.equal(fromUrl.body.saml.allowIdpInitiated, true);
        // New metadata by URL replaces the XML source.
        const switched = await admin.patch(org(`/connections/${c.id}`), { saml: { idpMetadataUrl: served.url, attributes: { groups: "memberOf" } } }).expect(200);
        assert.equal(switched.body.saml.idpMetadataUrl, served.url);
        assert.equal(switched.body.saml.attributes.groups, "memberOf");
        assert.equal(switched.body.saml.attributes.userKey, c.saml.attributes.userKey, "attributes not named are kept");
        assert.deepEqual([c.saml.requiredSignature, c.saml.allowSha1, c.saml.groupsDelimiter], ["any", false, null], "safe defaults");
        const weak = await admin.patch(org(`/connections/${c.id}`), {
          saml: { allowSha1: true, groupsDelimiter: ",", requiredSignature: "response", attributes: { roles: "http://schemas.microsoft.com/ws/2008/06/identity/claims/role" } },
        }).expect(200);
        assert.deepEqual([weak.body.saml.allowSha1, weak.body.saml.groupsDelimiter, weak.body.saml.requiredSignature], [true, ",", "response"]);
        assert.equal(weak.body.saml.attributes.roles, "http://schemas.microsoft.com/ws/2008/06/identity/claims/role");
        const cleared = await admin.patch(org(`/connections/${c.id}`), { saml: { groupsDelimiter: null } }).expect(200);
        assert.equal(cleared.body.saml.groupsDelimiter, null);
        const placement = await admin.patch(org(`/connections/${c.id}`), { saml: { requiredSignature: "either" } }).expect(400);
        assert.equal(placement.body.invalid_parameters[0].field, "saml.requiredSignature");
      } finally {
        served.close();
      }

      const before = await adminSnapshot(h.db);
      const broken = await admin.post(org("/connections"), { type: "saml", name: "X", loginPath: "x1", saml: { idpMetadataXml: "<not-metadata/>" } }).expect(400);
      assert.equal(broken.body.invalid_parameters[0].field, "saml.idpMetadataXml");
      const unreachable = await admin.post(org("/connections"), { type: "saml", name: "X", loginPath: "x2", saml: { idpMetadataUrl: "http://127.0.0.1:9/metadata" } }).expect(400);
      assert.equal(unreachable.body.invalid_parameters[0].field, "saml.idpMetadataUrl");
      assert.match(unreachable.body.invalid_parameters[0].reason, /Fetching the IdP metadata/);
      const both = await admin.post(org("/connections"), { type: "saml", name: "X", loginPath: "x3", saml: { idpMetadataUrl: "https://a.example", idpMetadataXml: "<x/>" } }).expect(400);
      assert.equal(both.body.invalid_parameters[0].field, "saml.idpMetadataXml");
      const neither = await admin.post(org("/connections"), { type: "saml", name: "X", loginPath: "x4", saml: {} }).expect(400);
      assert.equal(neither.body.invalid_parameters[0].field, "saml.idpMetadataUrl");
      const wrongProtocol = await admin.patch(org(`/connections/${c.id}`), { oidc: { clientId: "x" } }).expect(400);
      assert.equal(wrongProtocol.body.invalid_parameters[0].field, "oidc");
      const unknownType = await admin.post(org("/connections"), { type: "ldap", name: "X", loginPath: "x5" }).expect(400);
      assert.equal(unknownType.body.invalid_parameters[0].field, "type");
      assert.equal(await adminSnapshot(h.db), before, "failed requests change nothing");
    });


    it("SAML SP keys: certificates with expiry, rotation (publish, promote, discard), request signing, POST-only IdPs", async () => {
      const idp = new TestIdp();
      const created = await admin.post(org("/connections"), {
        type: "saml", name: "JumpCloud", loginPath: "orgajc", preset: "jumpcloud",
        saml: { idpMetadataXml: idp.metadata({ bindings: ["HTTP-POST"] }) },
      }).expect(201);
      const c = created.body;
      assert.equal(c.saml.idpSsoBinding, "HTTP-POST", "POST-only metadata is accepted at setup");
      assert.equal(c.saml.authnRequestsSigned, false);
      assert.equal(c.saml.spCertificates.length, 1);
      const [first] = c.saml.spCertificates;
      assert.equal(first.state, "current");
      assert.ok(first.daysToExpiry > 3 * 365 - 2 && first.daysToExpiry <= 3 * 366, `a few years: ${first.daysToExpiry} days`);
      assert.match(first.certificate, /^-----BEGIN CERTIFICATE-----/);

      const signing = await admin.patch(org(`/connections/${c.id}`), { saml: { signAuthnRequests: true } }).expect(200);
      assert.deepEqual([signing.body.saml.signAuthnRequests, signing.body.saml.authnRequestsSigned], [true, true]);
      const askedByIdp = await admin.patch(org(`/connections/${c.id}`), {
        saml: { signAuthnRequests: false, idpMetadataXml: idp.metadata({ wantsSignedRequests: true }) },
      }).expect(200);
      assert.deepEqual([askedByIdp.body.saml.idpSsoBinding, askedByIdp.body.saml.authnRequestsSigned], ["HTTP-Redirect", true], "the IdP's metadata asks");

      const published = await admin.post(org(`/connections/${c.id}/sp-keys/next`)).expect(200);
      assert.deepEqual(published.body.saml.spCertificates.map((k: { state: string }) => k.state), ["current", "next"]);
      await admin.post(org(`/connections/${c.id}/sp-keys/next`)).expect(409);
      await admin.delete(org(`/connections/${c.id}/sp-keys/next`)).expect(200);
      const republished = await admin.post(org(`/connections/${c.id}/sp-keys/next`)).expect(200);
      const next = republished.body.saml.spCertificates[1];
      const promoted = await admin.post(org(`/connections/${c.id}/sp-keys/promote`)).expect(200);
      assert.deepEqual(promoted.body.saml.spCertificates.map((k: { fingerprintSha256: string; state: string }) => [k.state, k.fingerprintSha256]),
        [["current", next.fingerprintSha256]]);
      await admin.post(org(`/connections/${c.id}/sp-keys/promote`)).expect(409);

      const events = await admin.get(org(`/audit-events?targetId=${c.id}`)).expect(200);
      const actions = events.body.items.map((e: { action: string }) => e.action);
      for (const action of ["connection.sp_key_published", "connection.sp_key_discarded", "connection.sp_key_promoted"]) assert.ok(actions.includes(action), action);
      assert.ok(!JSON.stringify(events.body).includes("PRIVATE KEY") && !JSON.stringify(promoted.body).includes("PRIVATE KEY"));
      // Another organization's admin cannot rotate this connection's keys.
      await h.as(h.adminB.token).post(org(`/connections/${c.id}/sp-keys/next`)).expect(404);
      await admin.delete(org(`/connections/${c.id}`)).expect(204);
    });
    it("SCIM tokens: shown once with the base URLs, last use listed, refused by SCIM once revoked", async () => {
      const created = await admin.post(org("/scim-tokens"), { name: "okta" }).expect(201);
      assert.equal(created.body.scimBaseUrl, "https://rollcall.test/scim/v2");
      assert.equal(created.body.entraTenantUrl, "https://rollcall.test/scim/v2?aadOptscim062020");
      const scim = supertest(h.server);
      await scim.get("/scim/v2/Users").set("Authorization", `Bearer ${created.body.token}`).expect(200);
      const listed = await admin.get(org("/scim-tokens")).expect(200);
      assert.ok(!JSON.stringify(listed.body).includes(created.body.token));
      assert.ok(listed.body.items.find((t: { id: string }) => t.id === created.body.id).lastUsedAt);
      await admin.delete(org(`/scim-tokens/${created.body.id}`)).expect(204);
      await scim.get("/scim/v2/Users").set("Authorization", `Bearer ${created.body.token}`).expect(401);
    });

    it("teams and mappings: create, rename, replace a team's groups, list all mappings, delete", async () => {
      const team = (await admin.post(org("/teams"), { name: "Engineers", roles: ["deploy", "read"] }).expect(201)).body;
      assert.deepEqual(team.roles, ["deploy", "read"]);
      await admin.post(org("/teams"), { name: "engineers" }).expect(409);
      const invalid = await admin.post(org("/teams"), { name: "", roles: "admin" }).expect(400);
      assert.deepEqual(invalid.body.invalid_parameters.map((p: { field: string }) => p.field), ["name", "roles"]);

      const patched = await admin.patch(org(`/teams/${team.id}`), { name: "Engineering", roles: ["deploy"] }).expect(200);
      assert.deepEqual([patched.body.name, patched.body.roles], ["Engineering", ["deploy"]]);
      const mapped = await admin.put(org(`/teams/${team.id}/mappings`), [{ idpGroup: "eng" }, { idpGroup: "8a7b-object-id", alias: "Platform" }]).expect(200);
      assert.deepEqual(mapped.body.mappings, [{ idpGroup: "8a7b-object-id", alias: "Platform", connectionId: null }, { idpGroup: "eng", alias: null, connectionId: null }]);
      const all = await admin.get(org("/mappings")).expect(200);
      assert.deepEqual(all.body.items.map((m: { idpGroup: string; teamName: string }) => [m.idpGroup, m.teamName]),
        [["8a7b-object-id", "Engineering"], ["eng", "Engineering"]]);
      const badMapping = await admin.put(org(`/teams/${team.id}/mappings`), [{ group: "eng" }]).expect(400);
      assert.deepEqual(badMapping.body.invalid_parameters.map((p: { field: string }) => p.field).sort(), ["0.group", "0.idpGroup"]);
      const cleared = await admin.put(org(`/teams/${team.id}/mappings`), []).expect(200);
      assert.deepEqual(cleared.body.mappings, []);
      await admin.get(org(`/teams/${team.id}`)).expect(200);
      await admin.delete(org(`/teams/${team.id}`)).expect(204);
      await admin.get(org(`/teams/${team.id}`)).expect(404);
      await admin.get(org("/teams/not-a-uuid")).expect(404);
    });

    it("users: filtered and paged lists, detail with teams, groups and IdP identities; manual teams refused in idp mode", async () => {
      const mk = (userName: string, extra: object = {}) => createUser(h.db, h.orgA, { userName, ...extra }, system);
      const ann = await mk("ann@a.test", { displayName: "Ann Archer", emails: [{ value: "Ann.Archer@Mail.A.test", primary: true }] });
      const ben = await mk("ben@a.test", { displayName: "Ben Bowman", active: false });
      await createUser(h.db, h.orgA, { userName: "cy@a.test", displayName: "Cy 50%_off" }, system, "manual");
      await createUser(h.db, h.orgB, { userName: "ann@b.test", displayName: "Ann of B" }, system);
      const group = (await createGroup(h.db, h.orgA, { displayName: "Sales", memberIds: [ann.id, ben.id] }, system)).group;

      const names = async (query: string) =>
        (await admin.get(org(`/users?${query}`)).expect(200)).body.items.map((u: { userName: string }) => u.userName);
      assert.deepEqual(await names(""), ["ann@a.test", "ben@a.test", "cy@a.test"]);
      assert.deepEqual(await names("search=ANN"), ["ann@a.test"]);
      assert.deepEqual(await names("search=mail.a"), ["ann@a.test"], "search looks into emails");
      assert.deepEqual(await names("search=50%25_"), ["cy@a.test"], "LIKE's own characters are matched literally");
      assert.deepEqual(await names("search=%25"), ["cy@a.test"]);
      assert.deepEqual(await names("email=ann.archer@mail.a.TEST"), ["ann@a.test"]);
      assert.deepEqual(await names("userName=BEN@A.TEST"), ["ben@a.test"]);
      assert.deepEqual(await names("active=false"), ["ben@a.test"]);
      assert.deepEqual(await names("source=manual"), ["cy@a.test"]);
      const page = await admin.get(org("/users?offset=1&limit=1")).expect(200);
      assert.deepEqual([page.body.total, page.body.offset, page.body.limit, page.body.items[0].userName], [3, 1, 1, "ben@a.test"]);
      const badQuery = await admin.get(org("/users?limit=0&active=maybe&source=ldap")).expect(400);
      assert.deepEqual(badQuery.body.invalid_parameters.map((p: { field: string }) => p.field).sort(), ["active", "limit", "source"]);

      // An SSO login through a connection links an identity and derives a team from the groups claim (the SCIM group
      // above made SCIM the organization's group source: back to claims).
      await admin.patch(org(), { groupSource: "claims" }).expect(200);
      const team = (await admin.post(org("/teams"), { name: "Sellers", roles: ["sell"] }).expect(201)).body;
      await admin.put(org(`/teams/${team.id}/mappings`), [{ idpGroup: "sales-claim" }]).expect(200);
      const conn = (await admin.post(org("/connections"), {
        type: "oidc", name: "IdP", loginPath: "orgausers", oidc: { issuerUrl: "https://idp.example", clientId: "c", clientSecret: "s" },
      }).expect(201)).body;
      const record = (await getConnection(h.db, h.secretKey, h.orgA, conn.id))!;
      const login = await signIn(h.db, record, {
        issuer: "https://idp.example", subject: "sub-dee", email: "dee@a.test", emailVerified: true, name: "Dee", givenName: null,
        familyName: null, groups: ["sales-claim"], groupsOverage: false, raw: {},
      });
      assert.equal(login.refused, null);
      const dee = await admin.get(org(`/users/${login.user!.id}`)).expect(200);
      assert.equal(dee.body.source, "jit");
      assert.deepEqual(dee.body.teams, [{ id: team.id, name: "Sellers", roles: ["sell"], source: "idp" }]);
      assert.deepEqual(dee.body.identities.map((i: { connectionName: string; subject: string }) => [i.connectionName, i.subject]), [["IdP", "sub-dee"]]);

      const annDetail = await admin.get(org(`/users/${ann.id}`)).expect(200);
      assert.equal(annDetail.body.email, "Ann.Archer@Mail.A.test");
      assert.deepEqual(annDetail.body.groups, [{ id: group.id, displayName: "Sales" }]);

      // Manual team membership: refused while the IdP decides teams, with the reason; allowed in manual mode.
      const before = await adminSnapshot(h.db);
      const refused = await admin.put(org(`/users/${ann.id}/teams/${team.id}`)).expect(409);
      assert.match(refused.body.detail, /managed by the identity provider/);
      assert.equal(await adminSnapshot(h.db), before);
      await admin.patch(org(), { teamMappingMode: "manual" }).expect(200);
      await admin.put(org(`/users/${ann.id}/teams/${team.id}`)).expect(204);
      const assigned = await admin.get(org(`/users/${ann.id}`)).expect(200);
      assert.deepEqual(assigned.body.teams.map((t: { name: string; source: string }) => [t.name, t.source]), [["Sellers", "manual"]]);
      await admin.delete(org(`/users/${ann.id}/teams/${team.id}`)).expect(204);
      assert.deepEqual((await admin.get(org(`/users/${ann.id}`)).expect(200)).body.teams, []);
      await admin.put(org(`/users/${ann.id}/teams/${crypto.randomUUID()}`)).expect(404);
      await admin.patch(org(), { teamMappingMode: "idp" }).expect(200);
    });

    it("groups: listed with member counts and a search, detail with members", async () => {
      const listed = await admin.get(org("/groups?search=sal")).expect(200);
      assert.deepEqual(listed.body.items.map((g: { displayName: string; memberCount: number }) => [g.displayName, g.memberCount]), [["Sales", 2]]);
      const detail = await admin.get(org(`/groups/${listed.body.items[0].id}`)).expect(200);
      assert.deepEqual(detail.body.members.map((m: { userName: string }) => m.userName).sort(), ["ann@a.test", "ben@a.test"]);
      await admin.get(org(`/groups/${crypto.randomUUID()}`)).expect(404);
    });

    it("audit events: filtered by user, action, actor and time, paged with nextOffset", async () => {
      const ann = (await admin.get(org("/users?userName=ann@a.test")).expect(200)).body.items[0];
      const about = await admin.get(org(`/audit-events?userId=${ann.id}`)).expect(200);
      assert.deepEqual(about.body.items.map((e: { action: string }) => e.action), ["user.created", "user.team_assigned", "user.team_unassigned"]);
      const byAdmin = await admin.get(org(`/audit-events?actorType=admin&actorId=${h.adminA.id}&action=team.created`)).expect(200);
      assert.ok(byAdmin.body.items.length >= 2 && byAdmin.body.items.every((e: { action: string; actorId: string }) => e.action === "team.created" && e.actorId === h.adminA.id));
      const first = await admin.get(org("/audit-events?limit=2")).expect(200);
      assert.equal(first.body.nextOffset, 2);
      const second = await admin.get(org("/audit-events?limit=2&offset=2")).expect(200);
      assert.notEqual(second.body.items[0].id, first.body.items[0].id);
      const future = await admin.get(org(`/audit-events?since=${new Date(Date.now() + 60_000).toISOString()}`)).expect(200);
      assert.deepEqual([future.body.items, future.body.nextOffset], [[], null]);
      const all = await admin.get(org(`/audit-events?until=${new Date(Date.now() + 60_000).toISOString()}&limit=200`)).expect(200);
      assert.ok(all.body.items.length > 10 && all.body.items.every((e: { summary: object }) => typeof e.summary === "object"));
      const bad = await admin.get(org("/audit-events?since=yesterday")).expect(400);
      assert.equal(bad.body.invalid_parameters[0].field, "since");
    });

    it("bad input anywhere is a clear 4xx problem and writes nothing: NUL, malformed JSON, oversized bodies, odd ids", async () => {
      const operator = h.as(h.operator.token);
      await operator.get(api("/auth/me")).expect(200);
      const before = await adminSnapshot(h.db);
      const refusals = [
        await admin.get(org("/users?search=%00")),
        await admin.post(org("/teams"), { name: "nul\u0000team" }),
        await operator.get(api("/organizations/%00/users")),
        await operator.get(api("/organizations/not-an-id/users")),
        await admin.post(org("/teams")).set("Content-Type", "application/json").send('{"name": '),
        await admin.post(org("/connections"), { type: "saml", name: "Big", loginPath: "big", saml: { idpMetadataXml: "x".repeat(3 * 1024 * 1024) } }),
        await admin.get(org("/users?limit=1&limit=2")),
      ];
      assert.deepEqual(refusals.map((r) => r.status), [400, 400, 400, 404, 400, 413, 400]);
      for (const res of refusals) assert.equal(res.type, "application/problem+json");
      assert.equal(await adminSnapshot(h.db), before);
    });

    it("setup links: created with their URL once, listed without it; operators' own changes are audited with no organization", async () => {
      const created = await admin.post(org("/setup-links"), { name: "Acme IT", validHours: 24 }).expect(201);
      assert.deepEqual(created.body.capabilities, ["sso", "scim", "domains", "mappings"], "every capability unless chosen");
      const chosen = await admin.post(org("/setup-links"), { name: "SCIM only", capabilities: ["scim"] }).expect(201);
      assert.deepEqual([chosen.body.capabilities, chosen.body.completedAt], [["scim"], null]);
      assert.equal(Date.parse(chosen.body.expiresAt) - Date.parse(chosen.body.createdAt), 24 * 3_600_000, "valid 24 h by default");
      await admin.post(org("/setup-links"), { name: "Bad", capabilities: ["root"] }).expect(400);
      assert.equal(created.body.url, `https://rollcall.test/setup/${created.body.token}`);
      assert.equal(Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt), 24 * 3_600_000);
      const listed = await admin.get(org("/setup-links")).expect(200);
      assert.ok(!JSON.stringify(listed.body).includes(created.body.token));
      await admin.post(org("/setup-links"), { name: "Too long", validHours: 10_000 }).expect(400);

      const token = await h.as(h.operator.token).post(api("/api-tokens"), { name: "ops" }).expect(201);
      const [event] = await h.db.dataSource.query(`SELECT organization_id, actor_id FROM audit_events WHERE target_id = '${token.body.id}'`);
      assert.deepEqual([event.organization_id, event.actor_id], [null, h.operator.id]);
    });
  });
}
