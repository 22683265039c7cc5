import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ScimType } from "../../src/scim/errors.js";
import { groupChangeOf } from "../../src/scim/group-patch.js";
import { assertScimError } from "../support/assertions.js";
import { readPatchRequest, type PatchOperation } from "../../src/scim/patch.js";
import { ENTERPRISE_URN, GROUP_URN, PATCH_OP_URN } from "../../src/scim/schemas.js";

/** Through readPatchRequest, as the route does. */
const change = (operations: unknown[]) => groupChangeOf("g1", readPatchRequest({ schemas: [PATCH_OP_URN], Operations: operations }));


describe("groupChangeOf: IdP bodies", () => {
  it("Okta's rename, sent with the group's id on every push", () => {
    assert.deepEqual(change([{ op: "replace", value: { id: "g1", displayName: "Eng" } }]), { displayName: "Eng" });
  });

  it("Okta's member remove and add", () => {
    assert.deepEqual(change([
      { op: "remove", path: 'members[value eq "u1"]' },
      { op: "add", path: "members", value: [{ value: "u2", display: "bob@ex.test" }] },
    ]), { members: [{ op: "remove", userIds: ["u1"] }, { op: "add", userIds: ["u2"] }] });
  });

  it("Entra's remove and add with value arrays and $ref: null (its capitalised ops: dialects.test.ts)", () => {
    assert.deepEqual(change([
      { op: "remove", path: "members", value: [{ $ref: null, value: "2819c223" }] },
      { op: "add", path: "members", value: [{ $ref: null, value: "5a3e9b" }] },
    ]), { members: [{ op: "remove", userIds: ["2819c223"] }, { op: "add", userIds: ["5a3e9b"] }] });
  });

  it("Entra's aadOptscim062020 body: user keys in a no-path value are ignored, the filtered remove applies", () => {
    assert.deepEqual(change([
      { op: "replace", value: { active: false, "name.givenName": "Ada", [`${ENTERPRISE_URN}:employeeNumber`]: "1815" } },
      { op: "remove", path: 'members[value eq "2819c223"]' },
    ]), { members: [{ op: "remove", userIds: ["2819c223"] }] });
  });

  it("Entra's rename by path and its ADSCIM schema key", () => {
    assert.deepEqual(change([
      { op: "replace", path: "displayName", value: "Eng 2" },
      { op: "replace", value: { "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group": { x: 1 }, externalId: "obj-1" } },
    ]), { displayName: "Eng 2", externalId: "obj-1" });
  });

  it("JumpCloud's remove with a value array removes only those members", () => {
    assert.deepEqual(change([{ op: "remove", path: "members", value: [{ value: "u1" }, { value: "u2" }] }]), {
      members: [{ op: "remove", userIds: ["u1", "u2"] }],
    });
  });
});

describe("groupChangeOf: members", () => {
  it("remove with an or-filter of ids removes each; unquoted numeric ids are text", () => {
    assert.deepEqual(change([{ op: "remove", path: 'members[value eq "a" or Value EQ "b" or value eq "a"]' }]), { members: [{ op: "remove", userIds: ["a", "b"] }] });
    assert.deepEqual(change([{ op: "remove", path: "members[value eq 123]" }]), { members: [{ op: "remove", userIds: ["123"] }] });
  });

  it("remove without a value removes everyone", () => {
    assert.deepEqual(change([{ op: "remove", path: "members" }]), { members: [{ op: "removeAll" }] });
    assert.deepEqual(change([{ op: "remove", path: "members", value: null }]), { members: [{ op: "removeAll" }] });
  });

  it("remove or add with an empty list is no step at all", () => {
    assert.deepEqual(change([{ op: "remove", path: "members", value: [] }, { op: "add", path: "members", value: [] }]), {});
  });

  it("replace sets the exact list; an empty list or null empties the group", () => {
    assert.deepEqual(change([{ op: "replace", path: "members", value: [{ value: "u1" }, { value: "u2" }] }]), { members: [{ op: "set", userIds: ["u1", "u2"] }] });
    assert.deepEqual(change([{ op: "replace", path: "members", value: [] }]), { members: [{ op: "set", userIds: [] }] });
    assert.deepEqual(change([{ op: "replace", path: "members", value: null }]), { members: [{ op: "set", userIds: [] }] });
  });

  it("accepts bare id strings, a single object, any-case keys, type and $ref, and drops duplicate ids", () => {
    assert.deepEqual(change([
      { op: "add", path: "members", value: ["u1", { Value: "u2", type: "User", $ref: "https://x/Users/u2" }, "u1"] },
      { op: "add", path: "MEMBERS", value: { value: "u3" } },
    ]), { members: [{ op: "add", userIds: ["u1", "u2"] }, { op: "add", userIds: ["u3"] }] });
  });

  it("no-path add adds members and no-path replace sets them", () => {
    assert.deepEqual(change([
      { op: "add", value: { members: [{ value: "u1" }] } },
      { op: "replace", value: { Members: [{ value: "u2" }] } },
    ]), { members: [{ op: "add", userIds: ["u1"] }, { op: "set", userIds: ["u2"] }] });
  });

  it("a no-path replace without members leaves them alone", () => {
    assert.deepEqual(change([{ op: "replace", value: { displayName: "Eng" } }]), { displayName: "Eng" });
  });
});

describe("groupChangeOf: displayName and externalId", () => {
  it("takes displayName by a path in any case or URN-qualified; the last one wins", () => {
    assert.deepEqual(change([
      { op: "replace", path: "DISPLAYNAME", value: "A" },
      { op: "add", path: `${GROUP_URN}:displayName`, value: "B" },
      { op: "replace", value: { [`${GROUP_URN}:displayName`]: "C" } },
    ]), { displayName: "C" });
  });

  it("sets, clears and removes externalId", () => {
    assert.deepEqual(change([{ op: "add", path: "externalId", value: "e1" }]), { externalId: "e1" });
    assert.deepEqual(change([{ op: "replace", path: "externalId", value: null }]), { externalId: null });
    assert.deepEqual(change([{ op: "add", path: "externalId", value: "e1" }, { op: "remove", path: "EXTERNALID" }]), { externalId: null });
  });

  it("ignores schemas, meta and unknown keys of a no-path value", () => {
    assert.deepEqual(change([{ op: "replace", value: { schemas: [GROUP_URN], meta: { version: "x" }, shoeSize: 9, displayName: "Eng" } }]), { displayName: "Eng" });
  });

  it("combines several operations in order", () => {
    assert.deepEqual(change([
      { op: "replace", value: { id: "g1", displayName: "Eng" } },
      { op: "add", path: "members", value: [{ value: "u1" }] },
      { op: "remove", path: 'members[value eq "u0"]' },
      { op: "replace", path: "displayName", value: "Engineering" },
      { op: "remove", path: "members" },
      { op: "add", path: "members", value: [{ value: "u9" }] },
    ]), {
      displayName: "Engineering",
      members: [{ op: "add", userIds: ["u1"] }, { op: "remove", userIds: ["u0"] }, { op: "removeAll" }, { op: "add", userIds: ["u9"] }],
    });
  });
});

describe("groupChangeOf errors", () => {
  const cases: [string, PatchOperation[], ScimType, RegExp?][] = [
    ["another group's id in a no-path value", [{ op: "replace", value: { id: "g2", displayName: "Eng" } }], "mutability", /g2/],
    ["a path on id", [{ op: "replace", path: "id", value: "g1" }], "mutability", /readOnly/],
    ["a path on meta", [{ op: "replace", path: "meta", value: {} }], "mutability"],
    ["a path on a meta sub-attribute", [{ op: "replace", path: "meta.version", value: "x" }], "mutability"],
    ["removing displayName", [{ op: "remove", path: "displayName" }], "mutability", /required/],
    ["a null displayName", [{ op: "replace", path: "displayName", value: null }], "mutability"],
    ["an empty displayName", [{ op: "replace", path: "displayName", value: "  " }], "invalidValue", /non-empty/],
    ["a numeric displayName", [{ op: "replace", value: { displayName: 5 } }], "invalidValue"],
    ["a numeric externalId", [{ op: "add", path: "externalId", value: 5 }], "invalidValue"],
    ["an unknown path", [{ op: "replace", path: "description", value: "x" }], "invalidPath", /description/],
    ["the schemas path", [{ op: "replace", path: "schemas", value: [GROUP_URN] }], "invalidPath"],
    ["an unknown URN path", [{ op: "add", path: "urn:example:ext:Group:owner", value: "u1" }], "invalidPath"],
    ["a malformed path", [{ op: "remove", path: "members[value eq" }], "invalidPath"],
    ["a members sub-attribute", [{ op: "remove", path: "members.value" }], "invalidPath"],
    ["a sub-attribute after a members filter", [{ op: "remove", path: 'members[value eq "u1"].display' }], "invalidPath"],
    ["add with a members filter", [{ op: "add", path: 'members[value eq "u1"]', value: [{ value: "u1" }] }], "invalidPath"],
    ["a filter on displayName", [{ op: "replace", path: 'displayName[value eq "x"]', value: "y" }], "invalidPath"],
    ["a members filter on display", [{ op: "remove", path: 'members[display eq "bob"]' }], "invalidFilter"],
    ["a members filter with ne", [{ op: "remove", path: 'members[value ne "u1"]' }], "invalidFilter"],
    ["a members filter with and", [{ op: "remove", path: 'members[value eq "u1" and type eq "User"]' }], "invalidFilter"],
    ["a members filter with not", [{ op: "remove", path: 'members[not (value eq "u1")]' }], "invalidFilter"],
    ["a members filter on null", [{ op: "remove", path: "members[value eq null]" }], "invalidFilter"],
    ["a member without a value", [{ op: "add", path: "members", value: [{ display: "bob" }] }], "invalidValue", /members\[0\]/],
    ["a numeric member", [{ op: "add", path: "members", value: [42] }], "invalidValue"],
    ["an empty member id", [{ op: "replace", path: "members", value: [{ value: "" }] }], "invalidValue"],
    ["add of null members", [{ op: "add", path: "members", value: null }], "invalidValue"],
    ["remove without a path", [{ op: "remove" }], "noTarget"],
    ["a no-path replace with a string value", [{ op: "replace", value: "Eng" }], "invalidValue"],
    ["an unknown op", [{ op: "copy", path: "displayName", value: "x" }], "invalidSyntax"],
    ["a capitalised op (dialects/ lowercases Entra's before this)", [{ op: "Add", path: "members", value: ["u1"] }], "invalidSyntax", /"Add"/],
  ];
  for (const [what, operations, scimType, detail] of cases) {
    it(`rejects ${what} with 400 ${scimType}`, () => assertScimError(() => groupChangeOf("g1", operations), 400, scimType, detail));
  }

  it("is atomic: a failing second operation throws, names itself and leaves the operations unchanged", () => {
    const operations: PatchOperation[] = [
      { op: "add", path: "members", value: [{ value: "u1" }] },
      { op: "replace", value: { id: "other", displayName: "Eng" } },
    ];
    const snapshot = structuredClone(operations);
    assertScimError(() => groupChangeOf("g1", operations), 400, "mutability", /^Operations\[1\]: /);
    assert.deepEqual(operations, snapshot);
  });
});
