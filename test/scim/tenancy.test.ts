import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Database } from "../../src/db/database.js";
import { sql } from "../../src/db/sql.js";
import { listAuditEvents } from "../../src/identity/audit.js";
import { createScimToken, listScimTokens, revokeScimToken } from "../../src/identity/scim-tokens.js";
import { ERROR_SCHEMA } from "../../src/scim/errors.js";
import { databaseTargets } from "../support/databases.js";
import { Harness, startHarness, Tenant } from "../support/harness.js";
import { USER_URN as USER, GROUP_URN as GROUP, PATCH_OP_URN as PATCH, ENTERPRISE_URN as ENTERPRISE } from "../../src/scim/schemas.js";

/** README: "A token reads and changes only its own organization", on every SCIM endpoint, whatever ids it names. */

const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const ops = (...operations: unknown[]) => ({ schemas: [PATCH], Operations: operations });

/** What each organization starts with: its own user and group, plus a user and a group named as in the other org. */
interface Org {
  tenant: Tenant;
  name: "A" | "B";
  user: { id: string; userName: string; etag: string };
  shared: { id: string };
  group: { id: string; displayName: string; etag: string };
  everyone: { id: string };
  /** Every user and group id ever created in this organization, by the setup or by the tests. */
  ids: Set<string>;
}

const TABLES = ["users", "user_values", "groups", "group_members", "audit_events"];

/** Every row an organization owns, for "nothing of B changed" checks. */
async function rowsOf(db: Database, organizationId: string): Promise<string> {
  const parts = [];
  for (const table of TABLES) {
    parts.push(await sql(db.dataSource.manager, `SELECT * FROM ${table} WHERE organization_id = :organizationId ORDER BY 1, 2`, { organizationId }));
  }
  return JSON.stringify(parts);
}

const idsOf = (body: { Resources: { id: string }[] }) => body.Resources.map((r) => r.id).sort();

function assertNotFound(res: { status: number; body: Record<string, unknown> }) {
  assert.equal(res.status, 404, JSON.stringify(res.body));
  assert.deepEqual(res.body.schemas, [ERROR_SCHEMA]);
  assert.equal(res.body.status, "404");
}

/** A request naming another organization's resource, some with its real ETag as a precondition. */
interface ForeignRequest {
  method: "GET" | "PUT" | "PATCH" | "DELETE";
  name: string;
  path: (other: Org) => string;
  body?: (other: Org) => unknown;
  headers?: Record<string, (other: Org) => string>;
}

const foreignRequests: ForeignRequest[] = [
  { method: "GET", name: "user", path: (o) => `/Users/${o.user.id}` },
  { method: "GET", name: "user's userName", path: (o) => `/Users/${o.user.id}?attributes=userName` },
  { method: "GET", name: "user", path: (o) => `/Users/${o.user.id}`, headers: { "If-None-Match": (o) => o.user.etag } },
  { method: "PUT", name: "user", path: (o) => `/Users/${o.user.id}`, body: (o) => ({ schemas: [USER], userName: o.user.userName, title: "taken over" }) },
  { method: "PUT", name: "user", path: (o) => `/Users/${o.user.id}`, body: (o) => ({ schemas: [USER], userName: o.user.userName }), headers: { "If-Match": (o) => o.user.etag } },
  { method: "PATCH", name: "user (deactivate)", path: (o) => `/Users/${o.user.id}`, body: () => ops({ op: "replace", path: "active", value: false }) },
  { method: "PATCH", name: "user (retitle)", path: (o) => `/Users/${o.user.id}`, body: () => ops({ op: "replace", path: "title", value: "x" }), headers: { "If-Match": (o) => o.user.etag } },
  { method: "PATCH", name: "user (remove title)", path: (o) => `/Users/${o.user.id}`, body: () => ops({ op: "remove", path: "title" }), headers: { "If-Match": () => "*" } },
  { method: "DELETE", name: "user", path: (o) => `/Users/${o.user.id}` },
  { method: "DELETE", name: "user", path: (o) => `/Users/${o.user.id}`, headers: { "If-Match": (o) => o.user.etag } },
  { method: "DELETE", name: "shared-name user", path: (o) => `/Users/${o.shared.id}`, headers: { "If-Match": () => "*" } },
  { method: "GET", name: "group", path: (o) => `/Groups/${o.group.id}` },
  { method: "GET", name: "group without members", path: (o) => `/Groups/${o.group.id}?excludedAttributes=members`, headers: { "If-None-Match": (o) => o.group.etag } },
  { method: "PUT", name: "group (empty it)", path: (o) => `/Groups/${o.group.id}`, body: (o) => ({ schemas: [GROUP], displayName: o.group.displayName, members: [] }) },
  { method: "PUT", name: "group", path: (o) => `/Groups/${o.group.id}`, body: (o) => ({ schemas: [GROUP], displayName: o.group.displayName }), headers: { "If-Match": (o) => o.group.etag } },
  { method: "PATCH", name: "group (remove all members)", path: (o) => `/Groups/${o.group.id}`, body: () => ops({ op: "remove", path: "members" }) },
  { method: "PATCH", name: "group (remove its user)", path: (o) => `/Groups/${o.group.id}`, body: (o) => ops({ op: "remove", path: `members[value eq "${o.user.id}"]` }), headers: { "If-Match": (o) => o.group.etag } },
  { method: "PATCH", name: "group (rename, Okta style with its id)", path: (o) => `/Groups/${o.group.id}`, body: (o) => ops({ op: "replace", value: { id: o.group.id, displayName: "Renamed" } }) },
  { method: "PATCH", name: "shared-name group (add its user)", path: (o) => `/Groups/${o.everyone.id}`, body: (o) => ops({ op: "add", path: "members", value: [{ value: o.user.id }] }), headers: { "If-Match": () => "*" } },
  { method: "DELETE", name: "group", path: (o) => `/Groups/${o.group.id}` },
  { method: "DELETE", name: "shared-name group", path: (o) => `/Groups/${o.everyone.id}`, headers: { "If-Match": () => 'W/"1"' } },
];

/** Lists and filters naming the other organization's resources, and the ids of the caller's own they must return. */
interface Search {
  endpoint: "Users" | "Groups";
  name: string;
  filter?: (mine: Org, other: Org) => string;
  expected: (mine: Org) => string[];
}

const searches: Search[] = [
  { endpoint: "Users", name: "unfiltered", expected: (m) => [m.user.id, m.shared.id] },
  { endpoint: "Users", name: "userName eq <their userName>", filter: (_m, o) => `userName eq "${o.user.userName}"`, expected: () => [] },
  { endpoint: "Users", name: "id eq <their id>", filter: (_m, o) => `id eq "${o.user.id}"`, expected: () => [] },
  { endpoint: "Users", name: "id eq <their id> or id eq <own id>", filter: (m, o) => `id eq "${o.user.id}" or id eq "${m.user.id}"`, expected: (m) => [m.user.id] },
  { endpoint: "Users", name: "userName eq <a userName both have>", filter: () => 'userName eq "shared@example.test"', expected: (m) => [m.shared.id] },
  { endpoint: "Users", name: "groups.value eq <their group>", filter: (_m, o) => `groups.value eq "${o.group.id}"`, expected: () => [] },
  { endpoint: "Users", name: "groups[value eq <their group>]", filter: (_m, o) => `groups[value eq "${o.everyone.id}"]`, expected: () => [] },
  { endpoint: "Users", name: "groups.display eq <their group's name>", filter: (_m, o) => `groups.display eq "${o.group.displayName}"`, expected: () => [] },
  { endpoint: "Users", name: "title eq <their user's title>", filter: (_m, o) => `title eq "Title ${o.name}"`, expected: () => [] },
  { endpoint: "Users", name: "userName pr", filter: () => "userName pr", expected: (m) => [m.user.id, m.shared.id] },
  { endpoint: "Groups", name: "unfiltered", expected: (m) => [m.group.id, m.everyone.id] },
  { endpoint: "Groups", name: "id eq <their group>", filter: (_m, o) => `id eq "${o.group.id}"`, expected: () => [] },
  { endpoint: "Groups", name: "displayName eq <their group's name>", filter: (_m, o) => `displayName eq "${o.group.displayName}"`, expected: () => [] },
  { endpoint: "Groups", name: "displayName eq <a name both have>", filter: () => 'displayName eq "Everyone"', expected: (m) => [m.everyone.id] },
  { endpoint: "Groups", name: "members[value eq <their user>]", filter: (_m, o) => `members[value eq "${o.user.id}"]`, expected: () => [] },
  { endpoint: "Groups", name: "members.value eq <their user>", filter: (_m, o) => `members.value eq "${o.shared.id}"`, expected: () => [] },
  { endpoint: "Groups", name: "members.display eq <their userName>", filter: (_m, o) => `members.display eq "${o.user.userName}"`, expected: () => [] },
  { endpoint: "Groups", name: "id eq <own group> and members[value eq <their user>]", filter: (m, o) => `id eq "${m.group.id}" and members[value eq "${o.user.id}"]`, expected: () => [] },
];

for (const target of await databaseTargets()) {
  describe(`Tenant isolation on every SCIM endpoint (${target.name})`, { skip: target.skip }, () => {
    let h: Harness;
    const orgs = {} as Record<"A" | "B", Org>;

    async function seed(tenant: Tenant, name: "A" | "B"): Promise<Org> {
      const api = h.as(tenant);
      const userName = `${name.toLowerCase()}-only@example.test`;
      const user = (await api.post("/scim/v2/Users", { schemas: [USER], userName, title: `Title ${name}` }).expect(201)).body;
      const shared = (await api.post("/scim/v2/Users", { schemas: [USER], userName: "shared@example.test" }).expect(201)).body;
      const group = (await api.post("/scim/v2/Groups", { schemas: [GROUP], displayName: `Team ${name}`, members: [{ value: user.id }, { value: shared.id }] }).expect(201)).body;
      const everyone = (await api.post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Everyone", members: [{ value: shared.id }] }).expect(201)).body;
      return {
        tenant, name, user: { id: user.id, userName, etag: user.meta.version }, shared: { id: shared.id },
        group: { id: group.id, displayName: group.displayName, etag: group.meta.version }, everyone: { id: everyone.id },
        ids: new Set([user.id, shared.id, group.id, everyone.id]),
      };
    }

    before(async () => {
      h = await startHarness(target);
      orgs.A = await seed(h.orgA, "A");
      orgs.B = await seed(h.orgB, "B");
    });
    after(() => h?.close());

    for (const [me, them] of [["A", "B"], ["B", "A"]] as const) {
      describe(`${me}'s token against ${them}'s resources`, () => {
        for (const request of foreignRequests) {
          const preconditions = Object.keys(request.headers ?? {}).map((k) => ` with ${k}`).join("");
          it(`${request.method} ${them}'s ${request.name}${preconditions} → 404; nothing of ${them}'s changes`, async () => {
            const other = orgs[them];
            const beforeRows = await rowsOf(h.db, other.tenant.organizationId);
            const api = h.as(orgs[me].tenant);
            const path = `/scim/v2${request.path(other)}`;
            const req = request.method === "GET" ? api.get(path)
              : request.method === "DELETE" ? api.delete(path)
                : api[request.method === "PUT" ? "put" : "patch"](path, request.body!(other));
            for (const [name, value] of Object.entries(request.headers ?? {})) req.set(name, value(other));
            assertNotFound(await req);
            assert.equal(await rowsOf(h.db, other.tenant.organizationId), beforeRows);
          });
        }

        for (const search of searches) {
          it(`/${search.endpoint} ${search.name} → only ${me}'s, by GET and .search`, async () => {
            const mine = orgs[me];
            const filter = search.filter?.(mine, orgs[them]);
            const expected = search.expected(mine).sort();
            const api = h.as(mine.tenant);
            const query = filter === undefined ? "" : `&filter=${encodeURIComponent(filter)}`;
            const listed = await api.get(`/scim/v2/${search.endpoint}?sortBy=meta.created${query}`).expect(200);
            const searched = await api.post(`/scim/v2/${search.endpoint}/.search`, { schemas: [SEARCH], filter, count: 1000 }).expect(200);
            for (const res of [listed, searched]) {
              assert.deepEqual(idsOf(res.body), expected);
              assert.equal(res.body.totalResults, expected.length);
              // Members and groups shown inside the resources are this organization's too.
              for (const r of res.body.Resources) {
                for (const ref of [...(r.members ?? []), ...(r.groups ?? [])]) assert.ok(mine.ids.has(ref.value), `${ref.value} is not ${me}'s`);
              }
            }
          });
        }
      });
    }

    it("A's group never gets B's user as a member: POST, PUT, PATCH add and replace skip the unknown id", async () => {
      const [a, b] = [orgs.A, orgs.B];
      const beforeB = await rowsOf(h.db, b.tenant.organizationId);
      const api = h.as(a.tenant);
      const members = async (id: string) => ((await api.get(`/scim/v2/Groups/${id}`).expect(200)).body.members ?? []).map((m: { value: string }) => m.value);

      const created = (await api.post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Mixed", members: [{ value: b.user.id }, { value: a.user.id }] }).expect(201)).body;
      a.ids.add(created.id);
      assert.deepEqual(created.members.map((m: { value: string }) => m.value), [a.user.id]);
      await api.put(`/scim/v2/Groups/${created.id}`, { schemas: [GROUP], displayName: "Mixed", members: [{ value: a.shared.id }, { value: b.shared.id }] }).expect(200);
      assert.deepEqual(await members(created.id), [a.shared.id]);
      await api.patch(`/scim/v2/Groups/${created.id}`, ops({ op: "add", path: "members", value: [{ value: b.user.id }] })).expect(204);
      await api.patch(`/scim/v2/Groups/${created.id}`, ops({ op: "add", value: { members: [{ value: b.shared.id }] } })).expect(204);
      assert.deepEqual(await members(created.id), [a.shared.id]);
      await api.patch(`/scim/v2/Groups/${created.id}`, ops({ op: "replace", path: "members", value: [{ value: b.user.id }] })).expect(204);
      assert.deepEqual(await members(created.id), []);
      // Removing B's user from A's group touches nothing of B's (B's user stays in B's group).
      await api.patch(`/scim/v2/Groups/${a.group.id}`, ops({ op: "remove", path: `members[value eq "${b.user.id}"]` })).expect(204);

      const [{ n }] = await sql<{ n: number | string }>(h.db.dataSource.manager,
        `SELECT COUNT(*) AS n FROM group_members gm JOIN users u ON u.id = gm.user_id JOIN groups g ON g.id = gm.group_id
         WHERE u.organization_id <> g.organization_id OR gm.organization_id <> g.organization_id`);
      assert.equal(Number(n), 0, "a membership crosses organizations");
      assert.equal(await rowsOf(h.db, b.tenant.organizationId), beforeB);
      const events = await listAuditEvents(h.db.dataSource.manager, a.tenant.organizationId, { targetId: created.id, limit: 1000 });
      assert.deepEqual(events.map((e) => (e.summary.unknownMembers as { ids: string[] } | undefined)?.ids),
        [[b.user.id], [b.shared.id], [b.user.id], [b.shared.id], [b.user.id]]);
    });

    it("A's user never lists B's groups, even after B's token tries to add it to them", async () => {
      const [a, b] = [orgs.A, orgs.B];
      const beforeA = await rowsOf(h.db, a.tenant.organizationId);
      const api = h.as(b.tenant);
      await api.patch(`/scim/v2/Groups/${b.group.id}`, ops({ op: "add", path: "members", value: [{ value: a.user.id }] })).expect(204);
      await api.put(`/scim/v2/Groups/${b.everyone.id}`, { schemas: [GROUP], displayName: "Everyone", members: [{ value: a.user.id }, { value: b.shared.id }] }).expect(200);
      const created = (await api.post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Lure", members: [{ value: a.user.id }] }).expect(201)).body;
      b.ids.add(created.id);
      assert.equal(await rowsOf(h.db, a.tenant.organizationId), beforeA);
      const user = (await h.as(a.tenant).get(`/scim/v2/Users/${a.user.id}`).expect(200)).body;
      assert.deepEqual(user.groups.map((g: { value: string }) => g.value).sort(), [a.group.id].sort());
      for (const g of user.groups) assert.ok(a.ids.has(g.value));
    });

    it("manager.value naming B's user (or no user) is dropped and audited, never stored as a reference across organizations", async () => {
      const [a, b] = [orgs.A, orgs.B];
      const api = h.as(a.tenant);
      const manager = (id: string) => ({ [ENTERPRISE]: { manager: { value: id } } });
      const created = (await api.post("/scim/v2/Users", { schemas: [USER, ENTERPRISE], userName: "managed@example.test", ...manager(b.user.id) }).expect(201)).body;
      a.ids.add(created.id);
      assert.equal(created[ENTERPRISE]?.manager, undefined, "the answer shows what was stored: no manager");
      await api.patch(`/scim/v2/Users/${created.id}`, ops({ op: "replace", path: `${ENTERPRISE}:manager`, value: { value: "no-such-user" } })).expect(200);
      await api.put(`/scim/v2/Users/${created.id}`, { schemas: [USER, ENTERPRISE], userName: "managed@example.test", ...manager(b.shared.id) }).expect(200);
      const [{ n }] = await sql<{ n: number | string }>(h.db.dataSource.manager,
        "SELECT COUNT(*) AS n FROM users u WHERE u.manager_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users m WHERE m.id = u.manager_id AND m.organization_id = u.organization_id)");
      assert.equal(Number(n), 0, "a manager reference crosses organizations or dangles");
      const events = await listAuditEvents(h.db.dataSource.manager, a.tenant.organizationId, { targetId: created.id, limit: 10 });
      assert.deepEqual(events.map((e) => e.summary.unknownManager).sort(), [b.shared.id, b.user.id, "no-such-user"].sort());
      // A manager of the same organization is kept.
      const kept = (await api.put(`/scim/v2/Users/${created.id}`, { schemas: [USER, ENTERPRISE], userName: "managed@example.test", ...manager(a.user.id) }).expect(200)).body;
      assert.equal(kept[ENTERPRISE].manager.value, a.user.id);
    });

    it("a revoked token gets 401 on every endpoint and changes nothing; the other tokens keep working", async () => {
      const a = orgs.A;
      const system = { type: "system" as const, id: null };
      const spare = await createScimToken(h.db, a.tenant.organizationId, { name: "spare" }, system);
      const spareApi = h.as({ organizationId: a.tenant.organizationId, token: spare.token });
      await spareApi.get(`/scim/v2/Users/${a.user.id}`).expect(200);
      await revokeScimToken(h.db, a.tenant.organizationId, spare.info.id, system);
      const beforeRows = [await rowsOf(h.db, a.tenant.organizationId), await rowsOf(h.db, orgs.B.tenant.organizationId)];
      const attempts = [
        spareApi.get("/scim/v2/Users"),
        spareApi.get(`/scim/v2/Users/${a.user.id}`),
        spareApi.post("/scim/v2/Users", { schemas: [USER], userName: "after-revoke@example.test" }),
        spareApi.put(`/scim/v2/Users/${a.user.id}`, { schemas: [USER], userName: a.user.userName }),
        spareApi.patch(`/scim/v2/Users/${a.user.id}`, ops({ op: "replace", path: "active", value: false })),
        spareApi.delete(`/scim/v2/Users/${a.shared.id}`),
        spareApi.post("/scim/v2/Users/.search", {}),
        spareApi.get("/scim/v2/Groups"),
        spareApi.get(`/scim/v2/Groups/${a.group.id}`),
        spareApi.post("/scim/v2/Groups", { schemas: [GROUP], displayName: "After revoke" }),
        spareApi.put(`/scim/v2/Groups/${a.group.id}`, { schemas: [GROUP], displayName: a.group.displayName }),
        spareApi.patch(`/scim/v2/Groups/${a.group.id}`, ops({ op: "remove", path: "members" })),
        spareApi.delete(`/scim/v2/Groups/${a.everyone.id}`),
        spareApi.post("/scim/v2/Groups/.search", {}),
        spareApi.get("/scim/v2/Me"),
        spareApi.post("/scim/v2/Bulk", {}),
      ];
      for (const attempt of attempts) {
        const res = await attempt;
        assert.equal(res.status, 401, `${res.request.method} ${res.request.url}`);
        assert.deepEqual(res.body.schemas, [ERROR_SCHEMA]);
        assert.equal(res.body.status, "401");
      }
      assert.deepEqual([await rowsOf(h.db, a.tenant.organizationId), await rowsOf(h.db, orgs.B.tenant.organizationId)], beforeRows);
      await h.as(a.tenant).get(`/scim/v2/Users/${a.user.id}`).expect(200);
      await h.as(orgs.B.tenant).get(`/scim/v2/Users/${orgs.B.user.id}`).expect(200);
    });

    it("audit events are written under the acting organization only, by its own tokens, about its own resources", async () => {
      for (const [me, them] of [[orgs.A, orgs.B], [orgs.B, orgs.A]]) {
        const tokens = new Set((await listScimTokens(h.db, me.tenant.organizationId)).map((t) => t.id));
        const events = await listAuditEvents(h.db.dataSource.manager, me.tenant.organizationId, { limit: 10_000 });
        assert.ok(events.some((e) => e.action === "group.updated"), `${me.name} has its own updates recorded`);
        for (const event of events) {
          assert.equal(event.organizationId, me.tenant.organizationId);
          if (event.actorType === "scim_token") assert.ok(tokens.has(event.actorId!), `event ${event.id} by a token of another organization`);
          if (event.targetType === "user" || event.targetType === "group") {
            assert.ok(me.ids.has(event.targetId!), `event ${event.id} (${event.action}) targets ${event.targetId}, not ${me.name}'s`);
            assert.ok(!them.ids.has(event.targetId!));
          }
        }
      }
    });
  });
}
