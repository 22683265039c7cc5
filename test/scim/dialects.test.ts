import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normaliseRequest, type RequestInfo } from "../../src/scim/dialects/index.js";
import { groupChangeOf } from "../../src/scim/group-patch.js";
import { applyPatch, readPatchRequest } from "../../src/scim/patch.js";
import { readResource } from "../../src/scim/resource-input.js";
import { ENTERPRISE_URN, GROUP_URN, PATCH_OP_URN, USER_URN, userType } from "../../src/scim/schemas.js";

const ENT = ENTERPRISE_URN;
const ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
const ENTRA_UA = "Microsoft Azure AD SCIM provisioning 1.0.0";

const request = (method: string, path: string, body?: unknown, headers: RequestInfo["headers"] = {}, query: RequestInfo["query"] = {}) =>
  normaliseRequest({ method, path, query, headers, body });
const ops = (...operations: unknown[]) => ({ schemas: [PATCH_OP_URN], Operations: operations });
/** The operations a PATCH body holds once normalised. */
const normalisedOps = (...operations: unknown[]) => (request("PATCH", "/Users/u1", ops(...operations)).body as { Operations: unknown[] }).Operations;
const valueOf = (...operations: unknown[]) => (normalisedOps(...operations)[0] as { value: unknown }).value;

function ada(): Record<string, unknown> {
  return {
    schemas: [USER_URN, ENT], id: "2819c223", userName: "ada@ex.test", name: { givenName: "Ada", familyName: "Lovelace" },
    emails: [{ value: "ada@ex.test", type: "work", primary: true }, { value: "ada@home.test", type: "home" }], active: true,
    [ENT]: { employeeNumber: "1", manager: { value: "m0", $ref: "https://rc.test/scim/v2/Users/m0" } },
  };
}

describe("dialect detection", () => {
  const cases: [string, RequestInfo["headers"], RequestInfo["query"], unknown, string][] = [
    ["Entra's User-Agent without the flag", { "user-agent": ENTRA_UA }, {}, undefined, "entra-legacy"],
    ["the aadOptscim062020 flag, any case, with Entra's User-Agent", { "user-agent": ENTRA_UA }, { AADOPTSCIM062020: "" }, undefined, "entra"],
    ["the flag alone", { "user-agent": "Something" }, { aadOptscim062020: "" }, undefined, "entra"],
    ["Okta's User-Agent", { "user-agent": "Okta SCIM Client 1.0.0" }, {}, undefined, "okta"],
    ["no User-Agent (OneLogin)", {}, {}, undefined, "onelogin"],
    ["an empty User-Agent (OneLogin)", { "user-agent": " " }, {}, undefined, "onelogin"],
    ["a SCIM 1.0 URN in the body (OneLogin)", { "user-agent": "Java/17" }, {}, { schemas: ["urn:scim:schemas:core:1.0"] }, "onelogin"],
    ["JumpCloud's product name", { "user-agent": "JumpCloud SCIM" }, {}, undefined, "jumpcloud"],
    ["Google's product name", { "user-agent": "Google-Auto-Provisioning" }, {}, undefined, "google"],
    ["anyone else", { "user-agent": "PostmanRuntime/7.39.0" }, {}, { schemas: [USER_URN] }, "generic"],
    ["a User-Agent that merely contains the letters of entra", { "user-agent": "CentralSync/2.1" }, {}, undefined, "generic"],
  ];
  for (const [what, headers, query, body, dialect] of cases) {
    it(`${what} → ${dialect}`, () => assert.equal(request(body ? "POST" : "GET", "/Users", body, headers, query).dialect, dialect));
  }
});

describe("op case (Entra legacy)", () => {
  it("lowercases Replace, ADD and Remove, and says so once per spelling", () => {
    const { body, notes } = request("PATCH", "/Users/u1", ops(
      { op: "Replace", path: "title", value: "x" }, { OP: "ADD", path: "nickName", value: "y" },
      { op: "Remove", path: "title" }, { op: "Replace", path: "title", value: "z" },
    ));
    assert.deepEqual((body as { Operations: { op?: string; OP?: string }[] }).Operations.map((o) => o.op ?? o.OP), ["replace", "add", "remove", "replace"]);
    assert.deepEqual(notes.filter((n) => n.startsWith("op ")), ['op "Replace" read as "replace"', 'op "ADD" read as "add"', 'op "Remove" read as "remove"']);
  });

  it("leaves ops that are not add, replace or remove for the handler to refuse", () => {
    assert.deepEqual(normalisedOps({ op: "Move", path: "title" }, { op: 7 }), [{ op: "Move", path: "title" }, { op: 7 }]);
  });

  it("applies to group PATCH: Entra's legacy member Remove/Add with $ref: null", () => {
    const { body } = request("PATCH", "/Groups/g1", ops(
      { op: "Remove", path: "members", value: [{ $ref: null, value: "2819c223" }] },
      { op: "Add", path: "members", value: [{ $ref: null, value: "5a3e9b" }] },
    ));
    assert.deepEqual(groupChangeOf("g1", readPatchRequest(body)), { members: [{ op: "remove", userIds: ["2819c223"] }, { op: "add", userIds: ["5a3e9b"] }] });
  });
});

describe('"True"/"False" on booleans', () => {
  it("in PATCH values: by path, in a no-path value, on a filtered sub-attribute, wrapped", () => {
    assert.equal(valueOf({ op: "replace", path: "active", value: "False" }), false);
    assert.deepEqual(valueOf({ op: "replace", value: { active: "TRUE", title: "True" } }), { active: true, title: "True" });
    assert.equal(valueOf({ op: "replace", path: 'emails[type eq "home"].primary', value: "True" }), true);
    assert.equal(valueOf({ op: "replace", path: "active", value: [{ value: "False" }] }), false);
    assert.deepEqual(valueOf({ op: "add", path: "emails", value: [{ value: "a@x.test", primary: "true" }] }), [{ value: "a@x.test", primary: true }]);
  });

  it("in POST and PUT bodies, top level and inside multi-valued attributes", () => {
    const { body, notes } = request("PUT", "/Users/u1", { schemas: [USER_URN], userName: "a", active: "True", emails: [{ value: "a@x.test", Primary: "False" }] });
    assert.deepEqual(body, { schemas: [USER_URN], userName: "a", active: true, emails: [{ value: "a@x.test", Primary: false }] });
    assert.deepEqual(notes, ['active: the string "True" read as a boolean', 'primary: the string "False" read as a boolean']);
  });

  it("leaves other strings for the handler to refuse", () => {
    assert.equal(valueOf({ op: "replace", path: "active", value: "maybe" }), "maybe");
  });

  it("end to end: Entra's legacy user PATCH applies", () => {
    const { body } = request("PATCH", "/Users/2819c223", ops(
      { op: "Replace", path: "active", value: "False" },
      { op: "Replace", path: 'emails[type eq "work"].value', value: "ada@contoso.test" },
      { op: "Add", path: `${ENT}:manager`, value: "7d1e0c" },
    ));
    const out = applyPatch(userType, ada(), readPatchRequest(body));
    assert.equal(out.active, false);
    assert.deepEqual(out.emails, [{ value: "ada@contoso.test", type: "work", primary: true }, { value: "ada@home.test", type: "home" }]);
    assert.deepEqual((out[ENT] as Record<string, unknown>).manager, { value: "7d1e0c" });
  });
});

describe("single values and manager", () => {
  it("PATCH: the manager as a bare id or [{$ref: null, value}] becomes {value}, by every kind of path", () => {
    assert.deepEqual(valueOf({ op: "replace", path: `${ENT}:manager`, value: "7d1e0c" }), { value: "7d1e0c" });
    assert.deepEqual(valueOf({ op: "add", path: `${ENT}:manager`, value: [{ $ref: null, value: "7d1e0c" }] }), { $ref: null, value: "7d1e0c" });
    assert.deepEqual(valueOf({ op: "replace", path: "manager", value: "7d1e0c" }), { value: "7d1e0c" });
    assert.deepEqual(valueOf({ op: "replace", value: { [`${ENT}:manager`]: "7d1e0c" } }), { [`${ENT}:manager`]: { value: "7d1e0c" } });
    assert.deepEqual(valueOf({ op: "replace", path: ENT, value: { manager: "7d1e0c" } }), { manager: { value: "7d1e0c" } });
    assert.deepEqual(valueOf({ op: "replace", value: { [ENT]: { Manager: ["7d1e0c"] } } }), { [ENT]: { Manager: { value: "7d1e0c" } } });
  });

  it("PATCH: a simple single value as [x], {value: x} or [] (unassign)", () => {
    assert.equal(valueOf({ op: "replace", path: "title", value: ["Countess"] }), "Countess");
    assert.equal(valueOf({ op: "replace", path: "title", value: { Value: "Countess" } }), "Countess");
    assert.equal(valueOf({ op: "replace", path: "title", value: [] }), null);
    assert.deepEqual(valueOf({ op: "replace", path: "title", value: ["a", "b"] }), ["a", "b"], "two values stay, for the handler to refuse");
  });

  it("PATCH: one element for a filtered path is unwrapped; multi-valued lists are not", () => {
    assert.deepEqual(valueOf({ op: "replace", path: 'emails[type eq "work"]', value: [{ display: "W" }] }), { display: "W" });
    assert.deepEqual(valueOf({ op: "replace", path: "emails", value: [{ value: "a@x.test" }] }), [{ value: "a@x.test" }]);
  });

  it("end to end: the manager patched from a bare id replaces the old one and its $ref", () => {
    const out = applyPatch(userType, ada(), readPatchRequest(request("PATCH", "/Users/2819c223", ops({ op: "replace", path: `${ENT}:manager`, value: "7d1e0c" })).body));
    assert.deepEqual((out[ENT] as Record<string, unknown>).manager, { value: "7d1e0c" });
  });

  it("POST: the manager as a bare id or a one-element list; a one-element name; simple attributes untouched", () => {
    const { body } = request("POST", "/Users", {
      schemas: [USER_URN, ENT], userName: ["a@x.test"], name: [{ givenName: "A" }], [ENT]: { manager: [{ value: "m1" }], department: "R&D" },
    });
    assert.deepEqual(body, { schemas: [USER_URN, ENT], userName: ["a@x.test"], name: { givenName: "A" }, [ENT]: { manager: { value: "m1" }, department: "R&D" } });
    assert.deepEqual(readResource(userType, request("POST", "/Users", { userName: "a", [ENT]: { manager: "m1" } }).body), { userName: "a", [ENT]: { manager: { value: "m1" } } });
  });
});

describe("unknown schema URIs", () => {
  it("drops Entra's typo and ADSCIM URIs and OneLogin's SCIM 1.0 URN from schemas and as keys", () => {
    const { body, notes } = request("POST", "/Users", {
      schemas: [USER_URN, "urn:ietf:params:scim:schemas:extension:enterprise:2.0User", "urn:scim:schemas:core:1.0", 7],
      userName: "a",
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0User": { department: "R&D" },
      "urn:scim:schemas:extension:enterprise:1.0": { department: "R&D" },
      [ENT]: { department: "Ops" },
    });
    assert.deepEqual(body, { schemas: [USER_URN, 7], userName: "a", [ENT]: { department: "Ops" } });
    assert.equal(notes.length, 4);
    const group = request("POST", "/Groups", { schemas: [GROUP_URN, ADSCIM_GROUP], displayName: "Eng", [ADSCIM_GROUP]: {} });
    assert.deepEqual(group.body, { schemas: [GROUP_URN], displayName: "Eng" });
  });

  it("drops any number of them but notes only the first 20", () => {
    const body: Record<string, unknown> = { userName: "a" };
    for (let i = 0; i < 30; i++) body[`urn:example:${i}`] = {};
    const out = request("POST", "/Users", body);
    assert.deepEqual([out.body, out.notes.length], [{ userName: "a" }, 20]);
  });

  it("keeps URN-qualified attribute names in a no-path PATCH value, drops unknown URIs there", () => {
    const value = { [`${ENT}:employeeNumber`]: "7", [`${USER_URN}:name.givenName`]: "A", [ADSCIM_GROUP]: { x: 1 } };
    assert.deepEqual(valueOf({ op: "replace", value }), { [`${ENT}:employeeNumber`]: "7", [`${USER_URN}:name.givenName`]: "A" });
  });
});

describe("what is left alone", () => {
  it("bodies of GET, .search and unknown endpoints, and bodies that are not objects", () => {
    const search = { filter: 'active eq "False"', schemas: ["urn:scim:schemas:core:1.0"] };
    assert.deepEqual(request("POST", "/Users/.search", structuredClone(search)).body, search);
    assert.deepEqual(request("POST", "/Widgets", { active: "False" }).body, { active: "False" });
    assert.deepEqual(request("PATCH", "/Users", ops({ op: "Replace", path: "active", value: "False" })).body, ops({ op: "Replace", path: "active", value: "False" }));
    assert.deepEqual(request("POST", "/Users", [{ active: "False" }]).body, [{ active: "False" }]);
    assert.equal(request("GET", "/Users").body, undefined);
  });

  it("paths that name no attribute, and keys like __proto__", () => {
    const body = JSON.parse('{"Operations":[{"op":"Replace","path":"shoeSize","value":"False"},{"op":"add","path":"emails[","value":"True"}],"__proto__":{"active":"False"}}');
    const out = request("PATCH", "/Users/u1", body).body as Record<string, unknown>;
    assert.deepEqual(out.Operations, [{ op: "replace", path: "shoeSize", value: "False" }, { op: "add", path: "emails[", value: "True" }]);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });
});

describe("Bulk requests (RFC 7644 §3.7)", () => {
  it("normalises each operation's data by its own method and path", () => {
    const { body } = request("POST", "/Bulk", {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
      Operations: [
        { method: "POST", path: "/Users", bulkId: "u", data: { userName: "a", active: "False", [ENT]: { manager: "m1" } } },
        { method: "patch", path: "/Groups/g1", data: ops({ op: "Add", path: "members", value: [{ value: "bulkId:u" }] }) },
        { method: "POST", path: "/Bulk", data: { Operations: [{ method: "POST", path: "/Users", data: { active: "False" } }] } },
      ],
    });
    const [user, group, nested] = (body as { Operations: { data: Record<string, unknown> }[] }).Operations.map((o) => o.data);
    assert.deepEqual(user, { userName: "a", active: false, [ENT]: { manager: { value: "m1" } } });
    assert.equal((group.Operations as { op: string }[])[0].op, "add");
    assert.deepEqual(nested, { Operations: [{ method: "POST", path: "/Users", data: { active: "False" } }] }, "a Bulk inside a Bulk is not looked into");
  });
});
