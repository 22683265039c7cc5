import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import supertest from "supertest";
import { databaseTargets } from "../support/databases.js";
import { BASE_URL, Harness, startHarness } from "../support/harness.js";

const [sqlite] = await databaseTargets();

describe("RFC 7644 §4 discovery", () => {
  let h: Harness;
  before(async () => { h = await startHarness(sqlite); });
  after(() => h?.close());

  it("ServiceProviderConfig advertises what works: PATCH, filter with maxResults, sort, ETags, bulk", async () => {
    const res = await supertest(h.server).get("/scim/v2/ServiceProviderConfig").expect(200);
    assert.match(res.headers["content-type"], /^application\/scim\+json/);
    const spc = res.body;
    assert.deepEqual(spc.schemas, ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]);
    assert.equal(spc.patch.supported, true);
    assert.deepEqual(spc.filter, { supported: true, maxResults: 1000 });
    assert.equal(spc.sort.supported, true);
    assert.equal(spc.etag.supported, true);
    assert.deepEqual(spc.bulk, { supported: true, maxOperations: 1000, maxPayloadSize: 4 * 1024 * 1024 });
    assert.equal(spc.authenticationSchemes[0].type, "oauthbearertoken");
    assert.equal(spc.meta.location, `${BASE_URL}/scim/v2/ServiceProviderConfig`);
  });

  it("answers with an API's security headers, not a page's, on every outcome (200, 401, 404)", async () => {
    for (const [path, status, withToken] of [["/scim/v2/ServiceProviderConfig", 200, false], ["/scim/v2/Users", 401, false], ["/scim/v2/Nowhere", 404, true]] as const) {
      const res = await (withToken ? h.as().get(path) : supertest(h.server).get(path)).expect(status);
      assert.equal(res.headers["x-content-type-options"], "nosniff", path);
      assert.equal(res.headers["cache-control"], "no-store", path);
      assert.equal(res.headers["content-security-policy"], "default-src 'none'; frame-ancestors 'none'", path);
      assert.equal(res.headers["x-frame-options"], "DENY", path);
      assert.match(res.headers["strict-transport-security"], /^max-age=\d+/, path);
      assert.match(res.headers["x-request-id"], /^[0-9a-f-]{36}$/, path);
      assert.equal(res.headers["x-dns-prefetch-control"], undefined, `${path}: helmet's page headers are not sent`);
    }
  });

  it("ResourceTypes lists User (with the enterprise extension) and Group, each readable by id", async () => {
    const list = (await supertest(h.server).get("/scim/v2/ResourceTypes").expect(200)).body;
    assert.equal(list.totalResults, 2);
    assert.deepEqual(list.Resources.map((r: { id: string }) => r.id), ["User", "Group"]);
    const user = (await supertest(h.server).get("/scim/v2/ResourceTypes/User").expect(200)).body;
    assert.equal(user.endpoint, "/Users");
    assert.deepEqual(user.schemaExtensions, [{ schema: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", required: false }]);
    assert.equal(user.meta.location, `${BASE_URL}/scim/v2/ResourceTypes/User`);
    await supertest(h.server).get("/scim/v2/ResourceTypes/Robot").expect(404);
  });

  it("Schemas serves the JSON under scim-schemas/, by id too; unknown ids are 404", async () => {
    const list = (await supertest(h.server).get("/scim/v2/Schemas").expect(200)).body;
    assert.deepEqual(list.Resources.map((s: { id: string }) => s.id), [
      "urn:ietf:params:scim:schemas:core:2.0:User",
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
      "urn:ietf:params:scim:schemas:core:2.0:Group",
    ]);
    const user = (await supertest(h.server).get("/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").expect(200)).body;
    const password = user.attributes.find((a: { name: string }) => a.name === "password");
    assert.deepEqual([password.mutability, password.returned], ["writeOnly", "never"]);
    const userName = user.attributes.find((a: { name: string }) => a.name === "userName");
    assert.deepEqual([userName.caseExact, userName.uniqueness, userName.required], [false, "server", true]);
    const missing = await supertest(h.server).get("/scim/v2/Schemas/urn:nope").expect(404);
    assert.equal(missing.body.status, "404");
  });

  it("write methods on discovery endpoints are 405", async () => {
    const res = await h.as().post("/scim/v2/ServiceProviderConfig", {}).expect(405);
    assert.equal(res.body.status, "405");
    await h.as().delete("/scim/v2/Schemas").expect(405);
  });
});
