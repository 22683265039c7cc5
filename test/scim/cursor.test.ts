import assert from "node:assert/strict";
import { after, before, describe, it, mock } from "node:test";
import { CURSOR_TIMEOUT_SECONDS } from "../../src/scim/cursor.js";
import { databaseTargets } from "../support/databases.js";
import { Harness, startHarness, Tenant } from "../support/harness.js";
import { USER_URN as USER, GROUP_URN as GROUP } from "../../src/scim/schemas.js";

const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

interface Page {
  totalResults: number; itemsPerPage: number; startIndex?: number; nextCursor?: string; previousCursor?: string;
  Resources: { id: string; meta?: { resourceType: string } }[];
}

/** Family names with ties and gaps (null), so that the tie-breakers and the NULL placement are both exercised. */
const FAMILY = ["Moss", null, "Able", "Moss", "Zeta", null, "able", "Kay", "Moss", "Bell", null, "Kay"];

for (const target of await databaseTargets()) {
  describe(`RFC 9865 cursor paging and root /.search (${target.name})`, { skip: target.skip }, () => {
    let h: Harness;
    let userIds: string[] = [];
    /** The one member of every group; never deleted, the root search tests look for it. */
    let memberId = "";
    const groupIds: string[] = [];
    let seq = 0;

    const createUser = async (familyName: string | null, tenant?: Tenant) => {
      const n = ++seq;
      const body = {
        schemas: [USER], userName: `${n % 2 ? "User" : "user"}${String(n).padStart(3, "0")}@x.test`, displayName: `Person ${n}`,
        active: n % 3 !== 0, ...(familyName ? { name: { familyName } } : {}), ...(n % 4 ? { emails: [{ value: `${100 - n}@mail.test` }] } : {}),
      };
      return (await h.as(tenant).post("/scim/v2/Users", body).expect(201)).body.id as string;
    };

    before(async () => {
      h = await startHarness(target);
      for (const f of FAMILY) userIds.push(await createUser(f));
      memberId = userIds[0];
      for (const name of ["Engineering", "Everyone", "Sales"]) {
        groupIds.push((await h.as().post("/scim/v2/Groups", { schemas: [GROUP], displayName: name, members: [{ value: memberId }] }).expect(201)).body.id);
      }
      await createUser("Moss", h.orgB);
    });
    after(() => h?.close());

    const list = (path: string, params: string) => `${path}?${params}${params ? "&" : ""}`;
    const indexIds = async (params: string, path = "/scim/v2/Users") =>
      ((await h.as().get(`${list(path, params)}count=1000`).expect(200)).body as Page).Resources.map((r) => r.id);

    /** Follows nextCursor to the end, checking each page's shape; `between` runs before each further page. */
    async function walk(params: string, count: number, options: { path?: string; between?: (page: number) => Promise<void> } = {}) {
      const path = options.path ?? "/scim/v2/Users";
      const ids: string[] = [];
      let cursor = "";
      for (let n = 0; ; n++) {
        if (n > 0) await options.between?.(n);
        const page = (await h.as().get(`${list(path, params)}cursor=${cursor}&count=${count}`).expect(200)).body as Page;
        assert.ok(page.Resources.length <= count);
        assert.equal(page.itemsPerPage, page.Resources.length);
        assert.equal(page.startIndex, undefined, "cursor pages carry no startIndex");
        assert.match(page.nextCursor ?? "", /^[A-Za-z0-9._~-]*$/, "RFC 3986 unreserved characters only");
        ids.push(...page.Resources.map((r) => r.id));
        if (!page.nextCursor) return ids;
        cursor = page.nextCursor;
      }
    }

    const firstCursor = async (params: string, path = "/scim/v2/Users", tenant?: Tenant) =>
      ((await h.as(tenant).get(`${list(path, params)}cursor=&count=2`).expect(200)).body as Page).nextCursor!;

    const sorts = ["", "sortBy=userName", "sortBy=name.familyName", "sortBy=name.familyName&sortOrder=descending",
      "sortBy=userName&sortOrder=descending", "sortBy=active", "sortBy=emails&sortOrder=descending",
      `filter=${encodeURIComponent('name.familyName eq "moss" or not (name.familyName pr)')}&sortBy=name.familyName`];

    it("walking every page gives the same list as index paging, for each sort and page size", async () => {
      for (const params of sorts) {
        const expected = await indexIds(params);
        assert.ok(expected.length > 0, params);
        for (const count of [1, 2, 5, 12, 100]) assert.deepEqual(await walk(params, count), expected, `${params} count=${count}`);
      }
      assert.deepEqual(await walk("", 5, { path: "/scim/v2/Groups" }), groupIds);
    });

    it("previousCursor walks back page by page to the first, which has none, for each sort", async () => {
      for (const params of sorts) {
        const count = 3;
        const forward: Page[] = [];
        let cursor = "";
        do {
          const page = (await h.as().get(`${list("/scim/v2/Users", params)}cursor=${cursor}&count=${count}`).expect(200)).body as Page;
          forward.push(page);
          cursor = page.nextCursor ?? "";
        } while (cursor);
        assert.equal(forward[0].previousCursor, undefined, `${params}: the first page has no previousCursor`);
        // From the last page back: each previousCursor gives exactly the page before it, with a nextCursor forward.
        for (let i = forward.length - 1; i > 0; i--) {
          const back = (await h.as().get(`${list("/scim/v2/Users", params)}cursor=${forward[i].previousCursor}&count=${count}`).expect(200)).body as Page;
          assert.deepEqual(back.Resources.map((r) => r.id), forward[i - 1].Resources.map((r) => r.id), `${params}: page ${i - 1}`);
          assert.ok(back.nextCursor, `${params}: a page reached backwards continues forwards`);
          assert.equal(Boolean(back.previousCursor), i - 1 > 0, `${params}: previousCursor only while pages lie before`);
        }
      }
    });

    it("the last page has no nextCursor; an empty result is one page; totalResults is sent", async () => {
      const all = (await h.as().get(`/scim/v2/Users?cursor=&count=${userIds.length}`).expect(200)).body as Page;
      assert.equal(all.nextCursor, undefined);
      assert.equal(all.totalResults, userIds.length);
      const none = (await h.as().get(`/scim/v2/Users?cursor&filter=${encodeURIComponent('userName eq "nobody"')}`).expect(200)).body as Page;
      assert.deepEqual([none.totalResults, none.Resources, none.nextCursor], [0, [], undefined]);
      const first = (await h.as().get("/scim/v2/Users?cursor=&count=5").expect(200)).body as Page;
      assert.equal(first.totalResults, userIds.length);
      assert.ok(first.nextCursor);
    });

    it("users created and deleted between pages: nothing twice, nothing that existed throughout skipped", async () => {
      for (const params of ["", "sortBy=name.familyName", "sortBy=name.familyName&sortOrder=descending", "sortBy=userName&sortOrder=descending"]) {
        const before = await indexIds(params);
        const deleted = new Set<string>();
        const created: string[] = [];
        const walked = await walk(params, 3, {
          between: async (n) => {
            // Around the page boundary: a new row on either side of it, one without a sort value, and deletions of
            // a row already served and of one not yet served.
            created.push(await createUser(["Aaa", "Zzz", null, "Moss"][n % 4]));
            const victim = before[(n * 5) % before.length];
            if (!deleted.has(victim) && victim !== memberId) {
              await h.as().delete(`/scim/v2/Users/${victim}`).expect(204);
              deleted.add(victim);
            }
          },
        });
        assert.equal(new Set(walked).size, walked.length, `${params}: a row came twice`);
        const throughout = before.filter((id) => !deleted.has(id));
        assert.deepEqual(throughout.filter((id) => !walked.includes(id)), [], `${params}: rows that existed throughout were skipped`);
        assert.deepEqual(walked.filter((id) => !before.includes(id) && !created.includes(id)), [], `${params}: unknown rows`);
        userIds = await indexIds("");
      }
    });

    it("an incremental sync (meta.lastModified gt) walks by last modification: a row changed mid-walk comes again at the end, none is skipped, and totalResults is the first page's", async () => {
      const since = encodeURIComponent('meta.lastModified gt "2000-01-01T00:00:00Z"');
      const before = await indexIds(`filter=${since}`);
      let changed = "";
      let added = "";
      const totals: number[] = [];
      const walked: string[] = [];
      let cursor = "";
      for (let n = 0; ; n++) {
        const page = (await h.as().get(`/scim/v2/Users?filter=${since}&cursor=${cursor}&count=3`).expect(200)).body as Page;
        walked.push(...page.Resources.map((r) => r.id));
        totals.push(page.totalResults);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
        if (n === 0) {
          // A row already served changes, and a new one appears: both lie beyond the cursor now.
          changed = walked[0];
          await h.as().patch(`/scim/v2/Users/${changed}`, {
            schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "displayName", value: "Changed" }],
          }).expect(200);
          added = await createUser("Late");
        }
      }
      assert.deepEqual(before.filter((id) => !walked.includes(id)), [], "no row that existed throughout is skipped");
      assert.deepEqual(walked.filter((id) => id === changed).length, 2, "the changed row is served again");
      assert.ok(walked.includes(added), "the row created during the walk is served");
      assert.deepEqual(walked.slice(-2).sort(), [changed, added].sort(), "changed rows come last, in order of change");
      assert.deepEqual(totals, totals.map(() => before.length), "every page carries the first page's total");
      await h.as().delete(`/scim/v2/Users/${added}`).expect(204);
      userIds = await indexIds("");
    });

    it("POST /.search takes cursor and count in the SearchRequest body", async () => {
      const filter = 'userName sw "user"';
      const expected = await indexIds(`filter=${encodeURIComponent(filter)}&sortBy=userName`);
      const walked: string[] = [];
      let cursor = "";
      do {
        const page = (await h.as().post("/scim/v2/Users/.search", { schemas: [SEARCH], filter, sortBy: "userName", cursor, count: 2 }).expect(200)).body as Page;
        walked.push(...page.Resources.map((r) => r.id));
        cursor = page.nextCursor ?? "";
      } while (cursor);
      assert.deepEqual(walked, expected);
      // A cursor from GET continues over POST: it is bound to the query, not to the method.
      const next = await firstCursor(`filter=${encodeURIComponent(filter)}&sortBy=userName`);
      const page = (await h.as().post("/scim/v2/Users/.search", { filter, sortBy: "userName", cursor: next, count: 100 }).expect(200)).body as Page;
      assert.deepEqual(page.Resources.map((r) => r.id), expected.slice(2));
    });

    async function expectCursorError(path: string, scimType: string, tenant?: Tenant) {
      const res = await h.as(tenant).get(path).expect(400);
      assert.deepEqual([res.body.status, res.body.scimType], ["400", scimType], path);
      return res.body.detail as string;
    }

    it("a tampered, malformed or foreign cursor is 400 invalidCursor, with one message whatever the reason", async () => {
      const cursor = await firstCursor("sortBy=userName");
      const [body, signature] = cursor.split(".");
      const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
      const details = new Set<string>();
      for (const bad of [flip(body, 3), `${body}.${flip(signature, 5)}`, body, "abc", ".", `${body}.`, "%C3%A9t%C3%A9", cursor.slice(0, -1),
        `${Buffer.from('[null,"x","y","z",1]').toString("base64url")}.${signature}`]) {
        details.add(await expectCursorError(`/scim/v2/Users?sortBy=userName&cursor=${bad}`, "invalidCursor"));
      }
      // Another filter, sort, order or resource type than the cursor was issued for.
      details.add(await expectCursorError(`/scim/v2/Users?sortBy=userName&cursor=${cursor}&filter=${encodeURIComponent("active eq true")}`, "invalidCursor"));
      details.add(await expectCursorError(`/scim/v2/Users?sortBy=displayName&cursor=${cursor}`, "invalidCursor"));
      details.add(await expectCursorError(`/scim/v2/Users?sortBy=userName&sortOrder=descending&cursor=${cursor}`, "invalidCursor"));
      details.add(await expectCursorError(`/scim/v2/Users?cursor=${cursor}`, "invalidCursor"));
      details.add(await expectCursorError(`/scim/v2/Users?sortBy=displayName&cursor=${await firstCursor("sortBy=displayName", "/scim/v2/Groups")}`, "invalidCursor"));
      details.add(await expectCursorError(`/scim/v2/Groups?cursor=${await firstCursor("")}`, "invalidCursor"));
      assert.equal(details.size, 1, [...details].join(" | "));
      const body400 = await h.as().post("/scim/v2/Users/.search", { cursor: 5 }).expect(400);
      assert.equal(body400.body.scimType, "invalidCursor");
    });

    it("tenant isolation: org B cannot continue org A's cursor, even with the same query", async () => {
      const cursor = await firstCursor("");
      await expectCursorError(`/scim/v2/Users?cursor=${cursor}`, "invalidCursor", h.orgB);
      const own = (await h.as(h.orgB).get("/scim/v2/Users?cursor=&count=100").expect(200)).body as Page;
      assert.equal(own.totalResults, 1);
      assert.ok(own.Resources.every((r) => !userIds.includes(r.id)));
    });

    it(`a cursor older than cursorTimeout (${CURSOR_TIMEOUT_SECONDS} s) is 400 expiredCursor`, async () => {
      const cursor = await firstCursor("sortBy=userName");
      const issued = Date.now();
      try {
        mock.timers.enable({ apis: ["Date"], now: issued + (CURSOR_TIMEOUT_SECONDS - 5) * 1000 });
        await h.as().get(`/scim/v2/Users?sortBy=userName&cursor=${cursor}`).expect(200);
        mock.timers.setTime(issued + (CURSOR_TIMEOUT_SECONDS + 2) * 1000);
        await expectCursorError(`/scim/v2/Users?sortBy=userName&cursor=${cursor}`, "expiredCursor");
        // Validity is checked before age: an old cursor for another query is still just invalid.
        await expectCursorError(`/scim/v2/Users?cursor=${cursor}`, "invalidCursor");
      } finally {
        mock.timers.reset();
      }
    });

    it("count with cursors: 1..maxPageSize, else 400 invalidCount; defaults to defaultPageSize", async () => {
      for (const count of ["0", "-1", "1001", "abc", "1.5"]) await expectCursorError(`/scim/v2/Users?cursor=&count=${count}`, "invalidCount");
      const res = await h.as().post("/scim/v2/Users/.search", { cursor: "", count: 0 }).expect(400);
      assert.equal(res.body.scimType, "invalidCount");
      const spc = (await h.as().get("/scim/v2/ServiceProviderConfig").expect(200)).body;
      const page = (await h.as().get("/scim/v2/Users?cursor=").expect(200)).body as Page;
      assert.equal(page.itemsPerPage, Math.min(spc.pagination.defaultPageSize, userIds.length));
      // Index paging keeps RFC 7644 §3.4.2.4: clamped, never invalidCount.
      assert.equal((await h.as().get("/scim/v2/Users?count=0").expect(200)).body.itemsPerPage, 0);
      const mixed = await h.as().get("/scim/v2/Users?cursor=&startIndex=2").expect(400);
      assert.equal(mixed.body.scimType, "invalidValue");
    });

    it("ServiceProviderConfig advertises both methods, index by default", async () => {
      const spc = (await h.as().get("/scim/v2/ServiceProviderConfig").expect(200)).body;
      assert.deepEqual(spc.pagination, {
        cursor: true, index: true, defaultPaginationMethod: "index", defaultPageSize: 100, maxPageSize: 1000, cursorTimeout: CURSOR_TIMEOUT_SECONDS,
      });
      // No paging parameter at all: index paging, no error, no cursor (RFC 9865 §2.4).
      const page = (await h.as().get("/scim/v2/Users").expect(200)).body as Page;
      assert.deepEqual([page.startIndex, page.nextCursor], [1, undefined]);
    });

    describe("root /.search (RFC 7644 §3.4.3)", () => {
      const search = (body: object, tenant?: Tenant) => h.as(tenant).post("/scim/v2/.search", { schemas: [SEARCH], ...body });
      const ids = (page: Page) => page.Resources.map((r) => r.id);

      it("lists Users then Groups as one list, paged across the boundary", async () => {
        const users = await indexIds("");
        const all = (await search({}).expect(200)).body as Page;
        assert.equal(all.totalResults, users.length + groupIds.length);
        assert.deepEqual(ids(all), [...users, ...groupIds]);
        assert.deepEqual(all.Resources.map((r) => r.meta?.resourceType),
          [...users.map(() => "User"), ...groupIds.map(() => "Group")]);
        for (const [startIndex, count] of [[users.length - 1, 3], [users.length + 2, 5], [1, 0], [users.length + 10, 5]]) {
          const page = (await search({ startIndex, count }).expect(200)).body as Page;
          assert.deepEqual(ids(page), [...users, ...groupIds].slice(startIndex - 1, startIndex - 1 + count), `startIndex=${startIndex} count=${count}`);
          assert.deepEqual([page.totalResults, page.startIndex], [users.length + groupIds.length, startIndex]);
        }
      });

      it("a filter applies to each type; attributes a type lacks match nothing there", async () => {
        const both = (await search({ filter: 'displayName co "r"' }).expect(200)).body as Page;
        const people = await indexIds(`filter=${encodeURIComponent('displayName co "r"')}`);
        assert.deepEqual(ids(both), [...people, groupIds[0], groupIds[1]]);
        const usersOnly = (await search({ filter: 'userName eq "USER001@x.test"' }).expect(200)).body as Page;
        assert.deepEqual([usersOnly.totalResults, ids(usersOnly)], [1, await indexIds(`filter=${encodeURIComponent('userName eq "user001@x.test"')}`)]);
        const groupsOnly = (await search({ filter: `members[value eq "${memberId}"]` }).expect(200)).body as Page;
        assert.deepEqual(ids(groupsOnly), groupIds);
        const projected = (await search({ filter: 'displayName eq "Sales"', attributes: ["displayName"] }).expect(200)).body as Page;
        assert.deepEqual(projected.Resources, [{ schemas: [GROUP], id: groupIds[2], displayName: "Sales" }]);
      });

      it("sortBy sorts the types that have the attribute; the others keep the default order", async () => {
        const page = (await search({ sortBy: "userName", sortOrder: "descending" }).expect(200)).body as Page;
        assert.deepEqual(ids(page), [...await indexIds("sortBy=userName&sortOrder=descending"), ...groupIds]);
      });

      it("400 when valid for neither type, for a cursor, and 405 for GET", async () => {
        for (const filter of ['nope eq "x"', 'userName eq "a" and members[value eq "b"]', "userName eq"]) {
          assert.equal((await search({ filter }).expect(400)).body.scimType, "invalidFilter", filter);
        }
        assert.equal((await search({ sortBy: "nope" }).expect(400)).body.scimType, "invalidValue");
        assert.equal((await search({ cursor: "" }).expect(400)).body.scimType, "invalidCursor");
        await h.as().get("/scim/v2/.search").expect(405);
      });

      it("sees only the caller's organization", async () => {
        const page = (await search({}, h.orgB).expect(200)).body as Page;
        assert.equal(page.totalResults, 1);
        assert.ok(!userIds.includes(page.Resources[0].id));
      });
    });
  });
}
