import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { databaseTargets } from "../support/databases.js";
import { Harness, startHarness } from "../support/harness.js";
import { USER_URN as USER, ENTERPRISE_URN as ENTERPRISE } from "../../src/scim/schemas.js";

const q = (filter: string) => `/scim/v2/Users?filter=${encodeURIComponent(filter)}`;

for (const target of await databaseTargets()) {
  describe(`RFC 7644 §3.4.2 filtering, sorting, paging over HTTP (${target.name})`, { skip: target.skip }, () => {
    let h: Harness;
    const ids: string[] = [];
    before(async () => {
      h = await startHarness(target);
      const people = [
        { userName: "alice@x.test", familyName: "Zed", title: "Engineer", email: "alice@x.test", dept: "R&D" },
        { userName: "bob@x.test", familyName: "Young", title: null, email: "bob@work.test", dept: "Sales" },
        { userName: "Carol@X.test", familyName: "Xu", title: "Engineer", email: "carol@x.test", dept: "R&D" },
        { userName: "dave@y.test", familyName: null, title: "Manager", email: "dave@y.test", dept: null },
        { userName: "erin@y.test", familyName: "Vance", title: "Director", email: "erin@y.test", dept: "Sales" },
      ];
      for (const p of people) {
        const body = {
          schemas: [USER, ENTERPRISE], userName: p.userName, ...(p.familyName ? { name: { familyName: p.familyName } } : {}),
          ...(p.title ? { title: p.title } : {}), emails: [{ type: "work", value: p.email }],
          ...(p.dept ? { [ENTERPRISE]: { department: p.dept } } : {}),
        };
        ids.push((await h.as().post("/scim/v2/Users", body).expect(201)).body.id);
      }
      // The other organization has lookalikes that must never show up.
      await h.as(h.orgB).post("/scim/v2/Users", { schemas: [USER], userName: "alice@x.test", title: "Engineer" }).expect(201);
    });
    after(() => h?.close());

    const names = (body: { Resources: { userName: string }[] }) => body.Resources.map((r) => r.userName);

    it("list response shape: integers, startIndex, itemsPerPage, Resources", async () => {
      const res = await h.as().get("/scim/v2/Users").expect(200);
      assert.deepEqual(res.body.schemas, ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]);
      assert.equal(res.body.totalResults, 5);
      assert.equal(res.body.startIndex, 1);
      assert.equal(res.body.itemsPerPage, 5);
      assert.deepEqual(res.body.Resources.map((r: { id: string }) => r.id), ids);
    });

    it("filters run in SQL for the caller's organization only", async () => {
      assert.deepEqual(names((await h.as().get(q('userName eq "ALICE@x.test"')).expect(200)).body), ["alice@x.test"]);
      assert.deepEqual(names((await h.as().get(q('title eq "Engineer"')).expect(200)).body), ["alice@x.test", "Carol@X.test"]);
      assert.deepEqual(names((await h.as().get(q('emails[type eq "work" and value co "@y."]')).expect(200)).body), ["dave@y.test", "erin@y.test"]);
      assert.deepEqual(names((await h.as().get(q('name.familyName sw "y" or title pr and not (title eq "engineer")')).expect(200)).body), ["bob@x.test", "dave@y.test", "erin@y.test"]);
      assert.deepEqual(names((await h.as().get(q(`${ENTERPRISE}:department eq "r&d"`)).expect(200)).body), ["alice@x.test", "Carol@X.test"]);
      assert.deepEqual(names((await h.as().get(q("userName eq \"nobody\"")).expect(200)).body), []);
    });

    it("Entra's Test Connection probe (a random GUID) gets an empty list", async () => {
      const res = await h.as().get(q('userName eq "3b1c7b2e-8d6f-4f9a-9a57-2b2a1b2f0c11"')).expect(200);
      assert.equal(res.body.totalResults, 0);
      assert.deepEqual(res.body.Resources, []);
    });

    it("paging: 1-based, stable, count=0 counts only, past the end is empty, count capped", async () => {
      const page1 = (await h.as().get("/scim/v2/Users?startIndex=1&count=2").expect(200)).body;
      const page2 = (await h.as().get("/scim/v2/Users?startIndex=3&count=2").expect(200)).body;
      const page3 = (await h.as().get("/scim/v2/Users?startIndex=5&count=2").expect(200)).body;
      assert.deepEqual([...page1.Resources, ...page2.Resources, ...page3.Resources].map((r: { id: string }) => r.id), ids);
      assert.deepEqual([page1.itemsPerPage, page2.startIndex, page3.itemsPerPage, page3.totalResults], [2, 3, 1, 5]);
      const zero = (await h.as().get("/scim/v2/Users?count=0").expect(200)).body;
      assert.deepEqual([zero.totalResults, zero.itemsPerPage, zero.Resources], [5, 0, []]);
      const past = (await h.as().get("/scim/v2/Users?startIndex=50").expect(200)).body;
      assert.deepEqual([past.totalResults, past.startIndex, past.Resources], [5, 50, []]);
      const low = (await h.as().get("/scim/v2/Users?startIndex=-3&count=-1").expect(200)).body;
      assert.deepEqual([low.startIndex, low.itemsPerPage], [1, 0]);
      const lowercase = (await h.as().get("/scim/v2/Users?startindex=2&COUNT=1").expect(200)).body;
      assert.deepEqual([lowercase.startIndex, lowercase.itemsPerPage, lowercase.Resources[0].id], [2, 1, ids[1]]);
    });

    it("a filter most users match pages in creation order whichever index the page is read through", async () => {
      // 4 of the 5 users have a title: small pages of it make SQLite walk the creation-order index (listing.ts),
      // one page of 100 reads the matches and sorts them; both must give the same order, totals and cursors.
      const matching = ids.filter((_, i) => i !== 1);
      const all = (await h.as().get(`${q("title pr")}&count=100`).expect(200)).body;
      assert.deepEqual(all.Resources.map((r: { id: string }) => r.id), matching);
      const byIndex: string[] = [];
      for (let start = 1; start <= 4; start++) {
        const page = (await h.as().get(`${q("title pr")}&startIndex=${start}&count=1`).expect(200)).body;
        assert.equal(page.totalResults, 4);
        byIndex.push(page.Resources[0].id);
      }
      assert.deepEqual(byIndex, matching);
      const byCursor: string[] = [];
      for (let cursor = ""; cursor !== undefined;) {
        const page = (await h.as().get(`${q("title pr")}&count=1&cursor=${cursor}`).expect(200)).body;
        assert.equal(page.totalResults, 4);
        byCursor.push(...page.Resources.map((r: { id: string }) => r.id));
        cursor = page.nextCursor;
      }
      assert.deepEqual(byCursor, matching);
    });

    it("sortBy/sortOrder: case-insensitive values, missing values last ascending and first descending", async () => {
      const asc = (await h.as().get("/scim/v2/Users?sortBy=name.familyName").expect(200)).body;
      assert.deepEqual(names(asc), ["erin@y.test", "Carol@X.test", "bob@x.test", "alice@x.test", "dave@y.test"]);
      const desc = (await h.as().get("/scim/v2/Users?sortBy=name.familyName&sortOrder=descending").expect(200)).body;
      assert.deepEqual(names(desc), ["dave@y.test", "alice@x.test", "bob@x.test", "Carol@X.test", "erin@y.test"]);
      const byUserName = (await h.as().get("/scim/v2/Users?sortBy=userName&count=3").expect(200)).body;
      assert.deepEqual(names(byUserName), ["alice@x.test", "bob@x.test", "Carol@X.test"]);
      const byEmail = (await h.as().get("/scim/v2/Users?sortBy=emails&sortOrder=descending&count=1").expect(200)).body;
      assert.deepEqual(names(byEmail), ["erin@y.test"]);
    });

    it("POST /.search takes the same parameters in a SearchRequest body", async () => {
      const res = await h.as().post("/scim/v2/Users/.search", {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter: 'title eq "engineer"', attributes: ["userName"], startIndex: 1, count: 1,
      }).expect(200);
      assert.equal(res.body.totalResults, 2);
      assert.deepEqual(res.body.Resources, [{ schemas: [USER, ENTERPRISE], id: ids[0], userName: "alice@x.test" }]);
    });

    it("attributes on lists; unknown attribute or bad syntax in filter → 400 invalidFilter", async () => {
      const res = await h.as().get(`${q('userName eq "bob@x.test"')}&attributes=emails.value`).expect(200);
      assert.deepEqual(res.body.Resources, [{ schemas: [USER, ENTERPRISE], id: ids[1], emails: [{ value: "bob@work.test" }] }]);
      for (const bad of ['nope eq "x"', 'userName eq', 'userName xx "a"', '(userName eq "a"', 'title gt true']) {
        const err = await h.as().get(q(bad)).expect(400);
        assert.equal(err.body.scimType, "invalidFilter", bad);
      }
    });
  });
}
