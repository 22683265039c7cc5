import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { databaseTargets } from "../support/databases.js";
import { BASE_URL, Harness, startHarness } from "../support/harness.js";
import { captureLogs, ENTERPRISE, filter, GROUP, idp, ids, ops, USER } from "./replay.js";

/**
 * Microsoft Entra ID's provisioning flows replayed in order (scim-in-the-wild §1.1; MicrosoftDocs/entra-docs
 * use-scim-to-provision-users-and-groups.md): first a tenant URL without `aadOptscim062020` (legacy PATCH shapes),
 * then one with it, which Entra carries into the query of every request.
 */
const ENTRA_UA = "Microsoft Azure AD SCIM provisioning 1.0.0";
const ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
const TYPO_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0User";

for (const target of await databaseTargets()) {
  describe(`Entra ID, legacy tenant URL (${target.name})`, { skip: target.skip }, () => {
    const logs = captureLogs();
    let h: Harness;
    let entra: ReturnType<typeof idp>;
    let jamie: string;
    let group: string;
    before(async () => {
      h = await startHarness(target, { logger: logs.logger });
      entra = idp(h, ENTRA_UA);
    });
    after(() => h?.close());

    const newUser = async (userName: string) => (await entra.post("/Users", { schemas: [USER], userName, active: true }).expect(201)).body.id as string;
    const probe = async (userId: string) => (await entra.get(`/Groups?excludedAttributes=members&${filter(`id eq "${group}" and members[value eq "${userId}"]`)}`).expect(200)).body;

    it("Test Connection: userName eq a random GUID gives an empty ListResponse; the log names entra-legacy", async () => {
      const path = `/Users?${filter(`userName eq "${randomUUID()}"`)}`;
      const res = await entra.get(path).expect(200).expect("Content-Type", /application\/scim\+json/);
      assert.equal(res.body.totalResults, 0);
      assert.deepEqual(res.body.Resources, []);
      assert.equal(logs.dialectOf("GET", entra.url(path)).dialect, "entra-legacy");
    });

    it("matches by the unquoted externalId, then creates from the old samples' body (null addresses and manager, typo'd URN)", async () => {
      assert.equal((await entra.get(`/Users?${filter("externalId eq jyoung")}`).expect(200)).body.totalResults, 0);
      const created = await entra.post("/Users", {
        schemas: [USER, TYPO_URN], externalId: "jyoung", userName: "jyoung@contoso.test", active: true, displayName: "Jamie Young",
        emails: [{ primary: true, type: "work", value: "jyoung@contoso.test" }], meta: { resourceType: "User" },
        name: { formatted: "Jamie Young", familyName: "Young", givenName: "Jamie" }, roles: [], addresses: null,
        [ENTERPRISE]: { employeeNumber: "701984", department: "Finance", manager: null },
      }).expect(201);
      jamie = created.body.id;
      assert.equal(created.headers.location, `${BASE_URL}/scim/v2/Users/${jamie}`);
      assert.deepEqual(created.body.schemas, [USER, ENTERPRISE]);
      assert.deepEqual(created.body[ENTERPRISE], { employeeNumber: "701984", department: "Finance" });
      assert.equal(created.body.addresses, undefined);
      assert.ok(!JSON.stringify(created.body).includes(TYPO_URN));
      assert.ok(logs.dialectOf("POST", entra.url("/Users")).notes!.includes(`schemas: dropped the unknown ${TYPO_URN}`));
      const found = await entra.get(`/Users?${filter("externalId eq jyoung")}`).expect(200);
      assert.deepEqual(found.body.Resources.map((u: { id: string }) => u.id), [jamie]);
    });

    it("PATCH with Replace/Add/REPLACE: filtered paths on absent entries create them; manager as [{$ref: null, value}]", async () => {
      const boss = await newUser("boss@contoso.test");
      const res = await entra.patch(`/Users/${jamie}`, ops(
        { op: "Replace", path: 'emails[type eq "work"].value', value: "jamie.young@contoso.test" },
        { op: "Add", path: 'phoneNumbers[type eq "mobile"].value', value: "+1 425 555 0100" },
        { op: "Add", path: 'addresses[type eq "work"].postalCode', value: "98052" },
        { op: "REPLACE", path: `${ENTERPRISE}:manager`, value: [{ $ref: null, value: boss }] },
      )).expect(200);
      assert.deepEqual(res.body.emails, [{ primary: true, type: "work", value: "jamie.young@contoso.test" }]);
      assert.deepEqual(res.body.phoneNumbers, [{ type: "mobile", value: "+1 425 555 0100" }]);
      assert.deepEqual(res.body.addresses, [{ type: "work", postalCode: "98052" }]);
      assert.equal(res.body[ENTERPRISE].manager.value, boss);
      const { notes } = logs.dialectOf("PATCH", entra.url(`/Users/${jamie}`));
      assert.ok(notes!.includes('op "REPLACE" read as "replace"'));
      const checked = await entra.get(`/Users?${filter(`id eq "${jamie}" and manager eq "${boss}"`)}`).expect(200);
      assert.equal(checked.body.totalResults, 1);
    });

    it('deactivates with "active":"False" (still readable and filterable), reactivates with "True"', async () => {
      const off = await entra.patch(`/Users/${jamie}`, ops({ op: "Replace", path: "active", value: "False" })).expect(200);
      assert.equal(off.body.active, false);
      assert.equal((await entra.get(`/Users/${jamie}`).expect(200)).body.active, false);
      assert.equal((await entra.get(`/Users?${filter("externalId eq jyoung and active eq false")}`).expect(200)).body.totalResults, 1);
      const on = await entra.patch(`/Users/${jamie}`, ops({ op: "replace", path: "active", value: "True" })).expect(200);
      assert.equal(on.body.active, true);
    });

    it("groups: matched by displayName, created empty with the ADSCIM URI, which is neither stored nor echoed", async () => {
      assert.equal((await entra.get(`/Groups?excludedAttributes=members&${filter('displayName eq "Finance"')}`).expect(200)).body.totalResults, 0);
      const created = await entra.post("/Groups", { schemas: [GROUP, ADSCIM_GROUP], externalId: randomUUID(), displayName: "Finance", members: [] }).expect(201);
      group = created.body.id;
      assert.deepEqual(created.body.schemas, [GROUP]);
      assert.ok(!JSON.stringify(created.body).includes("ADSCIM"));
      assert.ok(!JSON.stringify((await entra.get(`/Groups/${group}`).expect(200)).body).includes("ADSCIM"));
      assert.ok(logs.dialectOf("POST", entra.url("/Groups")).notes!.includes(`schemas: dropped the unknown ${ADSCIM_GROUP}`));
    });

    it("members: Add with $ref: null; the id-and-members probe; Remove of path members with a value removes only those; 204s", async () => {
      const [ana, bo] = [await newUser("ana@contoso.test"), await newUser("bo@contoso.test")];
      const added = await entra.patch(`/Groups/${group}`, ops({ op: "Add", path: "members", value: [jamie, ana, bo].map((value) => ({ $ref: null, value })) })).expect(204);
      assert.equal(added.text, "");
      const hit = await probe(ana);
      assert.equal(hit.totalResults, 1);
      assert.equal(hit.Resources[0].members, undefined);
      await entra.patch(`/Groups/${group}`, ops({ op: "Remove", path: "members", value: [{ $ref: null, value: ana }] })).expect(204);
      assert.equal((await probe(ana)).totalResults, 0);
      assert.deepEqual(ids((await entra.get(`/Groups/${group}`).expect(200)).body.members), [jamie, bo].sort());
    });
  });

  describe(`Entra ID, tenant URL with ?aadOptscim062020 (${target.name})`, { skip: target.skip }, () => {
    const logs = captureLogs();
    let h: Harness;
    let entra: ReturnType<typeof idp>;
    let ada: string;
    before(async () => {
      h = await startHarness(target, { logger: logs.logger });
      entra = idp(h, ENTRA_UA, "aadOptscim062020");
    });
    after(() => h?.close());

    it("Test Connection: the flag rides on every request's query; empty list; the log names entra", async () => {
      const path = `/Users?${filter(`userName eq "${randomUUID()}"`)}`;
      assert.match(entra.url(path), /^\/scim\/v2\/Users\?aadOptscim062020&filter=/);
      const res = await entra.get(path).expect(200);
      assert.deepEqual([res.body.totalResults, res.body.Resources], [0, []]);
      assert.equal(logs.dialectOf("GET", entra.url(path)).dialect, "entra");
    });

    it("no-path replace with dotted and URN keys; add on an absent work email creates it; manager as a bare id", async () => {
      ada = (await entra.post("/Users", {
        schemas: [USER, ENTERPRISE], externalId: "aking", userName: "ada@contoso.test", active: true, roles: [],
        name: { givenName: "Augusta", familyName: "King" }, meta: { resourceType: "User" }, [ENTERPRISE]: { department: "Maths" },
      }).expect(201)).body.id;
      const boss = (await entra.post("/Users", { schemas: [USER], userName: "babbage@contoso.test", active: true }).expect(201)).body.id;
      const res = await entra.patch(`/Users/${ada}`, ops(
        { op: "replace", value: { "name.givenName": "Ada", [`${ENTERPRISE}:employeeNumber`]: "1815", displayName: "Ada King" } },
        { op: "add", path: 'emails[type eq "work"].value', value: "ada@contoso.test" },
        { op: "add", path: `${ENTERPRISE}:manager`, value: boss },
      )).expect(200);
      assert.deepEqual(res.body.name, { givenName: "Ada", familyName: "King" });
      assert.equal(res.body.displayName, "Ada King");
      assert.deepEqual(res.body.emails, [{ type: "work", value: "ada@contoso.test" }]);
      assert.deepEqual(res.body[ENTERPRISE], { department: "Maths", employeeNumber: "1815", manager: { value: boss, $ref: `${BASE_URL}/scim/v2/Users/${boss}` } });
      assert.equal(logs.dialectOf("PATCH", entra.url(`/Users/${ada}`)).dialect, "entra");
    });

    it("deactivates with a no-path replace of active: false; the user stays readable", async () => {
      assert.equal((await entra.patch(`/Users/${ada}`, ops({ op: "replace", value: { active: false } })).expect(200)).body.active, false);
      assert.equal((await entra.get(`/Users/${ada}`).expect(200)).body.active, false);
    });

    it("groups: created with the ADSCIM URI, members added, then removed by members[value eq]; PATCH answers 204", async () => {
      const g = (await entra.post("/Groups", { schemas: [GROUP, ADSCIM_GROUP], displayName: "Analysts", members: [] }).expect(201)).body.id;
      const other = (await entra.post("/Users", { schemas: [USER], userName: "lovelace@contoso.test" }).expect(201)).body.id;
      await entra.patch(`/Groups/${g}`, ops({ op: "add", path: "members", value: [{ value: ada }, { value: other }] })).expect(204);
      await entra.patch(`/Groups/${g}`, ops({ op: "remove", path: `members[value eq "${ada}"]` })).expect(204);
      const got = (await entra.get(`/Groups/${g}`).expect(200)).body;
      assert.deepEqual(got.schemas, [GROUP]);
      assert.deepEqual(ids(got.members), [other]);
    });
  });
}
