import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import supertest from "supertest";
import { listAuditEvents } from "../../src/identity/audit.js";
import { BULK_LIMITS } from "../../src/scim/bulk-request.js";
import { ERROR_SCHEMA } from "../../src/scim/errors.js";
import { databaseTargets } from "../support/databases.js";
import { BASE_URL, Harness, SCIM_JSON, snapshot, startHarness } from "../support/harness.js";
import { USER_URN as USER, GROUP_URN as GROUP, PATCH_OP_URN as PATCH } from "../../src/scim/schemas.js";

/** RFC 7644 §3.7 Bulk: bulkId references, per-operation atomicity, failOnErrors, limits, malformed requests. */

const BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

const bulk = (operations: unknown[], extra: Record<string, unknown> = {}) => ({ schemas: [BULK_REQUEST], Operations: operations, ...extra });
const postUser = (bulkId: string, userName: string, more: Record<string, unknown> = {}) =>
  ({ method: "POST", path: "/Users", bulkId, data: { schemas: [USER], userName, ...more } });
const patchOps = (...operations: unknown[]) => ({ schemas: [PATCH], Operations: operations });

interface Result { method: string; bulkId?: string; location?: string; version?: string; status: string; response?: Record<string, unknown> }

for (const target of await databaseTargets()) {
  describe(`RFC 7644 §3.7 Bulk (${target.name})`, { skip: target.skip }, () => {
    let h: Harness;
    before(async () => { h = await startHarness(target); });
    after(() => h?.close());

    const send = async (body: unknown, tenant = h?.orgA): Promise<Result[]> => {
      const res = await h.as(tenant).post("/scim/v2/Bulk", body).expect(200);
      assert.match(res.headers["content-type"], /^application\/scim\+json/);
      assert.deepEqual(res.body.schemas, [BULK_RESPONSE]);
      return res.body.Operations;
    };
    const userId = async (userName: string) =>
      (await h.as().get(`/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`).expect(200)).body.Resources[0]?.id as string | undefined;
    const memberIds = async (groupId: string) =>
      ((await h.as().get(`/scim/v2/Groups/${groupId}`).expect(200)).body.members ?? []).map((m: { value: string }) => m.value).sort();

    it("creates users and a group naming them by bulkId, even listed before them; answers in request order", async () => {
      const results = await send(bulk([
        { method: "POST", path: "/Groups", bulkId: "g", data: { schemas: [GROUP], displayName: "Bulk crew", members: [{ value: "bulkId:u1" }, { value: "bulkId:u2" }] } },
        postUser("u1", "bulk1@example.test"),
        postUser("u2", "bulk2@example.test", { "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { manager: { value: "bulkId:u1" } } }),
        { method: "PATCH", path: "/Groups/bulkId:g", data: patchOps({ op: "add", path: "members", value: [{ value: "bulkId:u3" }] }) },
        postUser("u3", "bulk3@example.test"),
      ]));
      assert.deepEqual(results.map((r) => [r.method, r.bulkId, r.status]),
        [["POST", "g", "201"], ["POST", "u1", "201"], ["POST", "u2", "201"], ["PATCH", undefined, "204"], ["POST", "u3", "201"]]);
      const [group, u1, u2, patched, u3] = results;
      for (const [r, endpoint] of [[group, "Groups"], [u1, "Users"], [u2, "Users"], [u3, "Users"]] as const) {
        assert.equal(r.location, `${BASE_URL}/scim/v2/${endpoint}/${r.response!.id}`);
        assert.equal(r.version, (r.response!.meta as { version: string }).version);
      }
      assert.deepEqual((group.response!.members as { value: string }[]).map((m) => m.value).sort(), [u1.response!.id, u2.response!.id].sort());
      assert.equal((u2.response!["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] as { manager: { value: string } }).manager.value, u1.response!.id);
      assert.equal(patched.location, group.location);
      assert.equal(patched.response, undefined);
      assert.deepEqual(await memberIds(group.response!.id as string), [u1, u2, u3].map((r) => r.response!.id).sort());
      // What a single GET gives, ETag included (less the groups, which u1 joined after its creation).
      const single = await h.as().get(`/scim/v2/Users/${u1.response!.id}`).expect(200);
      const { groups, ...created } = single.body;
      assert.deepEqual(u1.response, created);
      assert.deepEqual(groups.map((g: { value: string }) => g.value), [group.response!.id]);
      assert.equal(single.headers.etag, u1.version);
    });

    it("PUT, PATCH and DELETE answer as their single routes do, `version` acting as If-Match", async () => {
      const user = (await h.as().post("/scim/v2/Users", { schemas: [USER], userName: "edit@example.test" }).expect(201)).body;
      const gone = (await h.as().post("/scim/v2/Users", { schemas: [USER], userName: "gone@example.test" }).expect(201)).body;
      const group = (await h.as().post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Edit crew" }).expect(201)).body;
      const results = await send(bulk([
        { method: "PUT", path: `/Users/${user.id}`, version: user.meta.version, data: { schemas: [USER], userName: "edit@example.test", title: "Pilot" } },
        { method: "PATCH", path: `/Users/${user.id}`, data: patchOps({ op: "replace", path: "active", value: "False" }) },
        { method: "PUT", path: `/Users/${user.id}`, version: user.meta.version, data: { schemas: [USER], userName: "stale@example.test" } },
        { method: "put", path: `/groups/${group.id}`, bulkId: "not-a-post", data: { schemas: [GROUP], displayName: "Edited crew", members: [{ value: user.id }] } },
        { method: "DELETE", path: `/Users/${gone.id}`, version: gone.meta.version },
        { method: "DELETE", path: `/Groups/${group.id}` },
      ]));
      assert.deepEqual(results.map((r) => r.status), ["200", "200", "412", "200", "204", "204"]);
      assert.equal(results[0].response!.title, "Pilot");
      assert.equal(results[1].response!.active, false);
      assert.equal(results[2].location, `${BASE_URL}/scim/v2/Users/${user.id}`);
      assert.deepEqual(results[2].response, {
        schemas: [ERROR_SCHEMA], status: "412", detail: `User ${user.id} has changed (now at version 3); fetch it again and retry`,
      });
      assert.equal(results[3].method, "PUT");
      assert.equal(results[3].bulkId, "not-a-post");
      assert.deepEqual((results[3].response!.members as { value: string }[]).map((m) => m.value), [user.id]);
      assert.deepEqual(results[4], { method: "DELETE", location: `${BASE_URL}/scim/v2/Users/${gone.id}`, status: "204" });
      const after = (await h.as().get(`/scim/v2/Users/${user.id}`).expect(200)).body;
      assert.equal(after.title, "Pilot");
      assert.equal(after.userName, "edit@example.test");
      await h.as().get(`/scim/v2/Users/${gone.id}`).expect(404);
      await h.as().get(`/scim/v2/Groups/${group.id}`).expect(404);
    });

    it("a failing operation undoes nothing before it and stops nothing after it; each answers its own error", async () => {
      const taken = (await h.as().post("/scim/v2/Users", { schemas: [USER], userName: "taken@example.test" }).expect(201)).body;
      const results = await send(bulk([
        postUser("a", "first@example.test"),
        postUser("dup", "TAKEN@example.test"),
        { method: "PATCH", path: `/Users/${taken.id}`, data: patchOps({ op: "jump", path: "title", value: "x" }) },
        { method: "PATCH", path: "/Users/no-such-user", data: patchOps({ op: "replace", path: "title", value: "x" }) },
        { method: "PATCH", path: "/Groups/bulkId:dup", data: patchOps({ op: "replace", path: "displayName", value: "x" }) },
        postUser("uses-missing", "uses-missing@example.test", { "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { manager: "bulkId:nowhere" } }),
        postUser("ring1", "ring1@example.test", { "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { manager: "bulkId:ring2" } }),
        postUser("ring2", "ring2@example.test", { "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { manager: "bulkId:ring1" } }),
        postUser("z", "last@example.test"),
      ]));
      const summary = results.map((r) => [r.bulkId ?? r.method, r.status, r.response?.scimType]);
      assert.deepEqual(summary, [
        ["a", "201", undefined], ["dup", "409", "uniqueness"], ["PATCH", "400", "invalidSyntax"], ["PATCH", "404", undefined],
        ["PATCH", "409", undefined], ["uses-missing", "409", undefined], ["ring1", "409", undefined], ["ring2", "409", undefined], ["z", "201", undefined],
      ]);
      for (const r of results.filter((r) => r.status !== "201")) {
        assert.deepEqual(r.response!.schemas, [ERROR_SCHEMA]);
        assert.equal(r.response!.status, r.status);
        assert.equal(typeof r.response!.detail, "string");
        assert.equal(r.version, undefined);
      }
      assert.equal(results[1].location, undefined, "a failed POST created nothing to locate");
      assert.match(results[4].response!.detail as string, /bulkId:dup .*failed/);
      assert.match(results[5].response!.detail as string, /bulkId:nowhere .*no POST/);
      assert.match([results[6], results[7]].map((r) => r.response!.detail).join(" "), /circular/);
      assert.ok(await userId("first@example.test"));
      assert.ok(await userId("last@example.test"));
      for (const name of ["uses-missing", "ring1", "ring2"]) assert.equal(await userId(`${name}@example.test`), undefined);
      assert.equal((await h.as().get(`/scim/v2/Users/${taken.id}`).expect(200)).body.title, undefined);
    });

    it("failOnErrors stops after that many errors; later operations neither run nor answer", async () => {
      const results = await send(bulk([
        postUser("f1", "fail-on-1@example.test"),
        { method: "DELETE", path: "/Users/missing-1" },
        postUser("f2", "fail-on-2@example.test"),
        { method: "DELETE", path: "/Users/missing-2" },
        postUser("f3", "fail-on-3@example.test"),
      ], { failOnErrors: 2 }));
      assert.deepEqual(results.map((r) => r.status), ["201", "404", "201", "404"]);
      assert.ok(await userId("fail-on-2@example.test"));
      assert.equal(await userId("fail-on-3@example.test"), undefined);
      const one = await send(bulk([{ method: "DELETE", path: "/Users/missing" }, postUser("f4", "fail-on-4@example.test")], { failOnErrors: 1 }));
      assert.deepEqual(one.map((r) => r.status), ["404"]);
      assert.equal(await userId("fail-on-4@example.test"), undefined);
    });

    it("advertises maxOperations and maxPayloadSize and enforces both with 413 tooLarge, changing nothing", async () => {
      const spc = (await supertest(h.server).get("/scim/v2/ServiceProviderConfig").expect(200)).body;
      assert.deepEqual(spc.bulk, { supported: true, ...BULK_LIMITS });
      const before = await snapshot(h.db);
      const many = Array.from({ length: BULK_LIMITS.maxOperations + 1 }, (_, i) => postUser(`m${i}`, `many${i}@example.test`));
      const tooMany = await h.as().post("/scim/v2/Bulk", bulk(many)).expect(413);
      assert.deepEqual(tooMany.body, {
        schemas: [ERROR_SCHEMA], status: "413", scimType: "tooLarge",
        detail: `at most ${BULK_LIMITS.maxOperations} operations per Bulk request, got ${BULK_LIMITS.maxOperations + 1}`,
      });
      // Unknown attributes are dropped on input: padding that weighs without changing what is stored.
      const padded = (bulkId: string, bytes: number) => postUser(bulkId, `${bulkId}@example.test`, { "urn:example:padding": "x".repeat(bytes) });
      const tooBig = await h.as().post("/scim/v2/Bulk", bulk([padded("big", BULK_LIMITS.maxPayloadSize)])).expect(413);
      assert.equal(tooBig.body.scimType, "tooLarge");
      assert.match(tooBig.body.detail, new RegExp(`exceeds ${BULK_LIMITS.maxPayloadSize} bytes`));
      assert.equal(await snapshot(h.db), before);
      // Larger than the 1 MiB every other request may send, yet within maxPayloadSize.
      const results = await send(bulk([padded("roomy1", 1024 * 1024), padded("roomy2", 1024 * 1024)]));
      assert.deepEqual(results.map((r) => r.status), ["201", "201"]);
    });

    it("a malformed BulkRequest is refused whole, 400 with a scimType, before any operation runs", async () => {
      const ok = postUser("ok", "never@example.test");
      const cases: [string, unknown, string][] = [
        ["not an object", [ok], "invalidSyntax"],
        ["missing schemas", { Operations: [ok] }, "invalidSyntax"],
        ["wrong schema", { schemas: [PATCH], Operations: [ok] }, "invalidSyntax"],
        ["Operations not an array", { schemas: [BULK_REQUEST], Operations: ok }, "invalidSyntax"],
        ["Operations empty", bulk([]), "invalidSyntax"],
        ["operation not an object", bulk([ok, "DELETE /Users/x"]), "invalidSyntax"],
        ["unknown method", bulk([ok, { method: "GET", path: "/Users/x" }]), "invalidSyntax"],
        ["no method", bulk([ok, { path: "/Users/x" }]), "invalidSyntax"],
        ["path outside /Users and /Groups", bulk([ok, { method: "DELETE", path: "/Schemas/x" }]), "invalidPath"],
        ["absolute path", bulk([ok, { method: "DELETE", path: "https://evil.test/scim/v2/Users/x" }]), "invalidPath"],
        ["POST to a resource", bulk([ok, { method: "POST", path: "/Users/x", bulkId: "b", data: { userName: "x" } }]), "invalidPath"],
        ["DELETE of a collection", bulk([ok, { method: "DELETE", path: "/Users" }]), "invalidPath"],
        ["path with a query", bulk([ok, { method: "DELETE", path: "/Users/x?attributes=id" }]), "invalidPath"],
        ["POST without bulkId", bulk([ok, { method: "POST", path: "/Users", data: { userName: "x" } }]), "invalidSyntax"],
        ["empty bulkId", bulk([ok, { method: "POST", path: "/Users", bulkId: "", data: { userName: "x" } }]), "invalidSyntax"],
        ["bulkId used twice", bulk([ok, postUser("ok", "twice@example.test")]), "invalidSyntax"],
        ["PUT without data", bulk([ok, { method: "PUT", path: "/Users/x" }]), "invalidSyntax"],
        ["data not an object", bulk([ok, { method: "PATCH", path: "/Users/x", data: "replace" }]), "invalidSyntax"],
        ["version not a string", bulk([ok, { method: "DELETE", path: "/Users/x", version: 3 }]), "invalidSyntax"],
        ["failOnErrors zero", bulk([ok], { failOnErrors: 0 }), "invalidSyntax"],
        ["failOnErrors not an integer", bulk([ok], { failOnErrors: "1" }), "invalidSyntax"],
      ];
      const before = await snapshot(h.db);
      for (const [name, body, scimType] of cases) {
        const res = await h.as().post("/scim/v2/Bulk", body);
        assert.equal(res.status, 400, `${name}: ${JSON.stringify(res.body)}`);
        assert.deepEqual(res.body.schemas, [ERROR_SCHEMA], name);
        assert.equal(res.body.status, "400", name);
        assert.equal(res.body.scimType, scimType, `${name}: ${res.body.detail}`);
      }
      assert.equal(await snapshot(h.db), before);
      const unauthenticated = await supertest(h.server).post("/scim/v2/Bulk").set("Content-Type", SCIM_JSON).send(bulk([ok])).expect(401);
      assert.equal(unauthenticated.body.status, "401");
      assert.equal((await h.as().get("/scim/v2/Bulk").expect(405)).body.status, "405");
      assert.equal(await snapshot(h.db), before);
    });

    it("an organization's Bulk cannot read, change or link another organization's resources", async () => {
      const theirs = (await h.as(h.orgB).post("/scim/v2/Users", { schemas: [USER], userName: "theirs@example.test" }).expect(201)).body;
      const theirGroup = (await h.as(h.orgB).post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Theirs", members: [{ value: theirs.id }] }).expect(201)).body;
      const results = await send(bulk([
        { method: "PUT", path: `/Users/${theirs.id}`, data: { schemas: [USER], userName: "mine-now@example.test" } },
        { method: "PATCH", path: `/Users/${theirs.id}`, data: patchOps({ op: "replace", path: "active", value: false }) },
        { method: "PATCH", path: `/Groups/${theirGroup.id}`, data: patchOps({ op: "remove", path: "members" }) },
        { method: "DELETE", path: `/Users/${theirs.id}` },
        { method: "DELETE", path: `/Groups/${theirGroup.id}` },
        { method: "POST", path: "/Groups", bulkId: "mine", data: { schemas: [GROUP], displayName: "Theirs", members: [{ value: theirs.id }] } },
      ]));
      assert.deepEqual(results.map((r) => r.status), ["404", "404", "404", "404", "404", "201"]);
      assert.equal(results[5].response!.members, undefined, "another organization's user is no member");
      const still = (await h.as(h.orgB).get(`/scim/v2/Users/${theirs.id}`).expect(200)).body;
      assert.equal(still.userName, "theirs@example.test");
      assert.equal(still.active, true);
      assert.deepEqual((await h.as(h.orgB).get(`/scim/v2/Groups/${theirGroup.id}`).expect(200)).body.members.map((m: { value: string }) => m.value), [theirs.id]);
      const orgBEvents = await listAuditEvents(h.db.dataSource.manager, h.orgB.organizationId, { limit: 10_000 });
      // Its first group made SCIM the source of org B's groups: also its own doing.
      assert.ok(orgBEvents.every((e) => e.action.endsWith(".created") || e.action === "organization.group_source"),
        "org B's audit log shows only its own creations");
    });

    it("each operation writes its audit event, by the calling token, as its single route would", async () => {
      const results = await send(bulk([
        postUser("au", "audited@example.test"),
        { method: "POST", path: "/Groups", bulkId: "ag", data: { schemas: [GROUP], displayName: "Audited", members: [{ value: "bulkId:au" }] } },
        { method: "PATCH", path: "/Users/bulkId:au", data: patchOps({ op: "replace", path: "title", value: "Audited" }) },
        { method: "DELETE", path: "/Groups/bulkId:ag" },
        postUser("au-dup", "audited@example.test"),
      ]));
      assert.deepEqual(results.map((r) => r.status), ["201", "201", "200", "204", "409"]);
      const [user, group] = [results[0].response!.id as string, results[1].response!.id as string];
      const events = (await listAuditEvents(h.db.dataSource.manager, h.orgA.organizationId, { limit: 10_000 }))
        .filter((e) => e.targetId === user || e.targetId === group);
      assert.deepEqual(events.map((e) => [e.action, e.targetId]),
        [["user.created", user], ["group.created", group], ["user.updated", user], ["group.deleted", group]]);
      assert.ok(events.every((e) => e.actorType === "scim_token" && e.organizationId === h.orgA.organizationId));
      assert.deepEqual((events[1].summary.added as { ids: string[] }).ids, [user]);
    });
  });
}
