import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createConnection } from "../../src/identity/connections.js";
import { claimDomain } from "../../src/identity/domains.js";
import { createGroup } from "../../src/identity/groups.js";
import { createScimToken } from "../../src/identity/scim-tokens.js";
import { createSetupLink } from "../../src/identity/setup-links.js";
import { createTeam, setTeamMappingMode } from "../../src/identity/teams.js";
import { createUser } from "../../src/identity/users.js";
import { createWebhookEndpoint } from "../../src/identity/webhooks.js";
import { AdminHarness, adminSnapshot, api, Client, startAdminHarness, system } from "../support/admin.js";
import { databaseTargets } from "../support/databases.js";

/**
 * Every organization route, called by an admin of organization A with organization B's ids — through B's path, and
 * through A's path with B's resource ids — answers 404 and changes nothing. Operators see both.
 */
for (const target of await databaseTargets()) {
  describe(`admin API tenant isolation (${target.name})`, { skip: target.skip }, () => {
    let h: AdminHarness;
    const b: Record<string, string> = {};
    before(async () => {
      h = await startAdminHarness(target);
      // Manual mode, so that team membership changes would go through if the organization check let them.
      await setTeamMappingMode(h.db, h.orgB, "manual", system);
      b.user = (await createUser(h.db, h.orgB, { userName: "secret@b.test" }, system)).id;
      b.group = (await createGroup(h.db, h.orgB, { displayName: "B's group", memberIds: [b.user] }, system)).group.id;
      b.team = (await createTeam(h.db, h.orgB, { name: "B's team", roles: ["admin"] }, system)).id;
      b.connection = (await createConnection(h.db, h.secretKey, h.orgB, {
        type: "oidc", name: "B's IdP", loginPath: "orgb", preset: "generic",
        oidc: { issuerUrl: "https://b.example", clientId: "b", clientSecret: "b-secret", scopes: ["openid"], claimMappings: { name: "name", email: "email", groups: "groups" } },
      }, system)).id;
      b.scimToken = (await createScimToken(h.db, h.orgB, { name: "b" }, system)).info.id;
      b.setupLink = (await createSetupLink(h.db, h.orgB, { name: "b" }, system)).info.id;
      b.domain = (await claimDomain(h.db, h.orgB, "b.example", system)).id;
      b.webhook = (await createWebhookEndpoint(h.db, h.secretKey, h.orgB, { url: "http://127.0.0.1:9/b" }, system, { allowPrivateUrls: true })).endpoint.id;
    });
    after(() => h.close());

    /** Each organization route, with the B resource ids to put into it. */
    const routes = (): [string, string, unknown?][] => [
      ["get", ""], ["patch", "", { teamMappingMode: "idp" }], ["delete", "?confirm=b"],
      ["get", "/users"], ["get", `/users/${b.user}`], ["patch", `/users/${b.user}`, { active: false }], ["delete", `/users/${b.user}/sessions`], ["put", `/users/${b.user}/teams/${b.team}`], ["delete", `/users/${b.user}/teams/${b.team}`],
      ["get", "/groups"], ["get", `/groups/${b.group}`],
      ["get", "/teams"], ["post", "/teams", { name: "Intruders" }], ["get", `/teams/${b.team}`], ["patch", `/teams/${b.team}`, { name: "Taken" }],
      ["delete", `/teams/${b.team}`], ["put", `/teams/${b.team}/mappings`, [{ idpGroup: "x" }]], ["get", "/mappings"],
      ["get", "/connections"], ["post", "/connections", { type: "oidc", name: "x", loginPath: "intruder", oidc: { issuerUrl: "https://x.example", clientId: "x", clientSecret: "x" } }],
      ["get", `/connections/${b.connection}`], ["patch", `/connections/${b.connection}`, { name: "Taken" }], ["delete", `/connections/${b.connection}`],
      ["post", `/connections/${b.connection}/enable`], ["post", `/connections/${b.connection}/disable`], ["get", `/connections/${b.connection}/test`],
      ["post", `/connections/${b.connection}/sp-keys/next`], ["delete", `/connections/${b.connection}/sp-keys/next`],
      ["post", `/connections/${b.connection}/sp-keys/promote`],
      ["get", "/scim-tokens"], ["post", "/scim-tokens", { name: "x" }], ["delete", `/scim-tokens/${b.scimToken}`],
      ["get", "/audit-events"], ["get", `/audit-events?userId=${b.user}`],
      ["get", "/setup-links"], ["post", "/setup-links", { name: "x" }], ["delete", `/setup-links/${b.setupLink}`],
      ["get", "/domains"], ["post", "/domains", { name: "intruder.example" }], ["get", `/domains/${b.domain}`],
      ["post", `/domains/${b.domain}/verify`], ["post", `/domains/${b.domain}/mark-verified`],
      ["put", `/domains/${b.domain}/connection`, { connectionId: null }], ["delete", `/domains/${b.domain}`],
      ["get", "/events"], ["get", "/webhooks"], ["post", "/webhooks", { url: "https://hooks.example/x" }], ["get", `/webhooks/${b.webhook}`],
      ["patch", `/webhooks/${b.webhook}`, { enabled: false }], ["delete", `/webhooks/${b.webhook}`], ["get", `/webhooks/${b.webhook}/deliveries`],
      ["post", `/webhooks/${b.webhook}/deliveries/1/resend`],
    ];

    const call = (client: Client, method: string, path: string, body?: unknown) =>
      (client as unknown as Record<string, (path: string, body?: unknown) => ReturnType<Client["get"]>>)[method](path, body);

    it("an org admin of A gets 404 for every route under B, and nothing changes", async () => {
      const asA = h.as(h.adminA.token);
      await asA.get(api("/auth/me")).expect(200);
      const before = await adminSnapshot(h.db);
      for (const [method, path, body] of routes()) {
        const res = await call(asA, method, api(`/organizations/${h.orgB}${path}`), body);
        assert.equal(res.status, 404, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(res.body.detail, `Organization ${h.orgB} not found.`, "the same answer as for an organization that does not exist");
        assert.ok(!JSON.stringify(res.body).includes("secret@b.test"));
      }
      assert.equal(await adminSnapshot(h.db), before);
    });

    it("B's resource ids under A's own path are not found either, and nothing changes", async () => {
      const asA = h.as(h.adminA.token);
      await setTeamMappingMode(h.db, h.orgA, "manual", system);
      const before = await adminSnapshot(h.db);
      const withIds = routes().filter(([, path]) => Object.values(b).some((id) => path.includes(id)));
      assert.ok(withIds.length >= 14);
      for (const [method, path, body] of withIds) {
        const res = await call(asA, method, api(`/organizations/${h.orgA}${path}`), body);
        // Marking a domain verified is an operator's: an org admin is refused before any id is looked at.
        const expected = path.startsWith("/audit-events") ? 200 : path.endsWith("/mark-verified") ? 403 : 404;
        assert.equal(res.status, expected, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
        if (expected === 200) assert.deepEqual(res.body.items, [], "B's events are not A's");
      }
      assert.equal(await adminSnapshot(h.db), before);
      await setTeamMappingMode(h.db, h.orgA, "idp", system);
    });

    it("a setup-link session of A reaches neither B's connections and tokens nor anything else of A's", async () => {
      const { token } = await createSetupLink(h.db, h.orgA, { name: "A's IT" }, system);
      const browser = h.browser();
      await browser.post(api("/setup-links/redeem"), { token }).expect(200);
      for (const [method, path, body] of routes()) {
        const underB = await call(browser, method, api(`/organizations/${h.orgB}${path}`), body);
        // A link made with every capability: SSO, SCIM, domains, and group mappings (which reads the teams).
        const mappings = path === "/mappings" || (method === "get" && path === "/teams") || (method === "put" && path.endsWith("/mappings"));
        const allowed = mappings || ((path.startsWith("/connections") || path.startsWith("/scim-tokens") || path.startsWith("/domains")) && !path.endsWith("/mark-verified"));
        assert.equal(underB.status, allowed ? 404 : 403, `${method} B${path}`);
      }
    });

    it("API tokens: an org admin of A can neither list nor revoke B's", async () => {
      const bTokens = await h.as(h.adminB.token).get(api("/api-tokens")).expect(200);
      const aTokens = await h.as(h.adminA.token).get(api("/api-tokens")).expect(200);
      assert.ok(bTokens.body.items.every((t: { id: string }) => !aTokens.body.items.some((a: { id: string }) => a.id === t.id)));
      await h.as(h.adminA.token).delete(api(`/api-tokens/${bTokens.body.items[0].id}`)).expect(404);
      await h.as(h.adminB.token).get(api("/auth/me")).expect(200);
    });

    it("an operator reaches B's data", async () => {
      const asOperator = h.as(h.operator.token);
      const users = await asOperator.get(api(`/organizations/${h.orgB}/users`)).expect(200);
      assert.deepEqual(users.body.items.map((u: { userName: string }) => u.userName), ["secret@b.test"]);
      await asOperator.get(api(`/organizations/${h.orgB}/connections/${b.connection}`)).expect(200);
      await asOperator.post(api(`/organizations/${h.orgA}/domains/${b.domain}/mark-verified`)).expect(404);
      const marked = await asOperator.post(api(`/organizations/${h.orgB}/domains/${b.domain}/mark-verified`)).expect(200);
      assert.deepEqual([marked.body.name, marked.body.verified, marked.body.verifiedBy], ["b.example", true, "operator"]);
    });
  });
}
