import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ScimType } from "../../src/scim/errors.js";
import { assertScimError } from "../support/assertions.js";
import { applyPatch, readPatchRequest, type PatchOperation } from "../../src/scim/patch.js";
import { ENTERPRISE_URN, PATCH_OP_URN, USER_URN, userType } from "../../src/scim/schemas.js";

const ENT = ENTERPRISE_URN;

function ada(): Record<string, unknown> {
  return {
    schemas: [USER_URN, ENT],
    id: "2819c223",
    externalId: "00u1abc",
    userName: "ada@ex.test",
    name: { givenName: "Ada", familyName: "Lovelace" },
    emails: [{ value: "ada@ex.test", type: "work", primary: true }, { value: "ada@home.test", type: "home" }],
    active: true,
    [ENT]: { employeeNumber: "1", manager: { value: "m0", $ref: "https://rc.test/scim/v2/Users/m0" } },
    meta: { resourceType: "User", created: "2025-01-01T00:00:00.000Z", lastModified: "2025-01-01T00:00:00.000Z", version: 'W/"1"' },
  };
}

const message = (operations: unknown[]) => ({ schemas: [PATCH_OP_URN], Operations: operations });
const patch = (operations: unknown[], resource = ada()) => applyPatch(userType, resource, readPatchRequest(message(operations)));


describe("readPatchRequest", () => {
  it("returns the operations, keeping op, path and value", () => {
    const ops = readPatchRequest(message([
      { op: "replace", path: "active", value: "False" },
      { op: "add", value: { title: "Countess" } },
      { op: "remove", path: "title" },
    ]));
    assert.deepEqual(ops, [
      { op: "replace", path: "active", value: "False" },
      { op: "add", value: { title: "Countess" } },
      { op: "remove", path: "title" },
    ]);
  });

  it("accepts the PatchOp URN and member names in any case, and a null path as no path", () => {
    const ops = readPatchRequest({
      Schemas: [PATCH_OP_URN.toUpperCase()],
      operations: [{ OP: "replace", Path: null, Value: { active: false } }],
    });
    assert.deepEqual(ops, [{ op: "replace", value: { active: false } }]);
  });

  it("keeps remove with a path and a value (Entra's member removal)", () => {
    const ops = readPatchRequest(message([{ op: "remove", path: "members", value: [{ $ref: null, value: "2819c223" }] }]));
    assert.deepEqual(ops, [{ op: "remove", path: "members", value: [{ $ref: null, value: "2819c223" }] }]);
  });

  it("accepts 1000 operations", () => {
    const ops = readPatchRequest(message(Array.from({ length: 1000 }, () => ({ op: "replace", path: "title", value: "x" }))));
    assert.equal(ops.length, 1000);
  });

  const cases: [string, unknown, ScimType, RegExp?][] = [
    ["a non-object body", [], "invalidSyntax"],
    ["a null body", null, "invalidSyntax"],
    ["missing schemas", { Operations: [{ op: "remove", path: "title" }] }, "invalidSyntax", /PatchOp/],
    ["schemas without PatchOp", { schemas: [USER_URN], Operations: [{ op: "remove", path: "title" }] }, "invalidSyntax", /PatchOp/],
    ["schemas not an array", { schemas: PATCH_OP_URN, Operations: [{ op: "remove", path: "title" }] }, "invalidSyntax"],
    ["missing Operations", { schemas: [PATCH_OP_URN] }, "invalidSyntax", /Operations/],
    ["empty Operations", message([]), "invalidSyntax", /non-empty/],
    ["Operations not an array", { schemas: [PATCH_OP_URN], Operations: { op: "remove", path: "title" } }, "invalidSyntax"],
    ["1001 operations", message(Array.from({ length: 1001 }, () => ({ op: "remove", path: "title" }))), "invalidSyntax", /1000/],
    ["an operation that is not an object", message(["remove title"]), "invalidSyntax", /Operations\[0\]/],
    ["an unknown op", message([{ op: "remove", path: "title" }, { op: "move", path: "title" }]), "invalidSyntax", /Operations\[1\].*"move"/],
    ["a missing op", message([{ path: "title", value: "x" }]), "invalidSyntax", /missing/],
    // Entra's capitalised ops are lowercased by dialects/ before the handler reads the message.
    ["a capitalised op", message([{ op: "Replace", path: "title", value: "x" }]), "invalidSyntax", /"Replace"/],
    ["a non-string path", message([{ op: "replace", path: 7, value: "x" }]), "invalidPath"],
    ["an empty path", message([{ op: "replace", path: "", value: "x" }]), "invalidPath"],
    ["remove without a path", message([{ op: "remove" }]), "noTarget", /path/],
    ["add without a path or value", message([{ op: "add" }]), "invalidValue"],
    ["replace without a path and a string value", message([{ op: "replace", value: "x" }]), "invalidValue", /object value/],
    ["add without a path and an array value", message([{ op: "add", value: [{ title: "x" }] }]), "invalidValue"],
    ["replace with a path but no value", message([{ op: "replace", path: "title" }]), "invalidValue", /needs a value/],
  ];
  for (const [what, body, scimType, detail] of cases) {
    it(`rejects ${what} with 400 ${scimType}`, () => assertScimError(() => readPatchRequest(body), 400, scimType, detail));
  }
});

describe("applyPatch without a path", () => {
  it("applies Okta's deactivation, ignoring the id it sends along", () => {
    const out = patch([{ op: "replace", value: { id: "2819c223", active: false } }]);
    assert.equal(out.active, false);
    assert.equal(out.id, "2819c223");
  });

  it("expands Entra's dotted and URN keys (aadOptscim062020)", () => {
    const out = patch([{
      op: "replace",
      value: { active: false, "name.givenName": "Augusta", [`${ENT}:employeeNumber`]: "1815" },
    }]);
    assert.equal(out.active, false);
    assert.deepEqual(out.name, { givenName: "Augusta", familyName: "Lovelace" });
    assert.deepEqual(out[ENT], { employeeNumber: "1815", manager: { value: "m0", $ref: "https://rc.test/scim/v2/Users/m0" } });
  });

  it("takes a filtered path as a key", () => {
    const out = patch([{ op: "replace", value: { 'emails[type eq "work"].value': "ada@new.test" } }]);
    assert.deepEqual((out.emails as unknown[])[0], { value: "ada@new.test", type: "work", primary: true });
  });

  it("canonicalises key names and sub-attribute names", () => {
    const out = patch([{ op: "replace", value: { DisplayName: "Ada L", NAME: { FamilyName: "King" } } }]);
    assert.equal(out.displayName, "Ada L");
    assert.deepEqual(out.name, { givenName: "Ada", familyName: "King" });
    assert.equal("DisplayName" in out, false);
  });

  it("ignores readOnly keys (id, meta, groups, schemas) and keys naming no attribute", () => {
    const before = ada();
    const out = patch([{
      op: "replace",
      value: { id: "other", meta: { version: 'W/"9"' }, groups: [{ value: "g1" }], schemas: [USER_URN], nickName: "A", shoeSize: 9,
        "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User": { x: 1 } },
    }]);
    assert.deepEqual(out, { ...before, nickName: "A" });
  });

  it("merges a value under the extension URN key", () => {
    const out = patch([{ op: "add", value: { [ENT]: { department: "Analytics", costCenter: "42" } } }]);
    assert.deepEqual(out[ENT], { employeeNumber: "1", department: "Analytics", costCenter: "42", manager: { value: "m0", $ref: "https://rc.test/scim/v2/Users/m0" } });
  });

  it("adds to a multi-valued attribute by appending", () => {
    const out = patch([{ op: "add", value: { emails: [{ value: "ada@other.test", type: "other" }] } }]);
    assert.equal((out.emails as unknown[]).length, 3);
  });
});

describe("applyPatch on simple and complex attributes", () => {
  it("replaces a simple attribute named in any case, under its canonical name", () => {
    const out = patch([{ op: "replace", path: "USERNAME", value: "ada@new.test" }]);
    assert.equal(out.userName, "ada@new.test");
    assert.equal("USERNAME" in out, false);
  });

  it("accepts a core URN-qualified path", () => {
    const out = patch([{ op: "add", path: `${USER_URN}:displayName`, value: "Ada" }]);
    assert.equal(out.displayName, "Ada");
  });

  it("sets a writeOnly password", () => {
    assert.equal(patch([{ op: "replace", path: "password", value: "s3cret!" }]).password, "s3cret!");
  });

  it("removes an attribute, and treats a null value as unassigning it", () => {
    const withTitle = { ...ada(), title: "Countess", nickName: "A" };
    const out = patch([{ op: "remove", path: "title" }, { op: "replace", path: "nickName", value: null }], withTitle);
    assert.equal("title" in out, false);
    assert.equal("nickName" in out, false);
  });

  it("removes an absent attribute without error", () => {
    assert.deepEqual(patch([{ op: "remove", path: "title" }]), ada());
  });

  it("adds, replaces and removes sub-attributes of name", () => {
    const out = patch([
      { op: "add", path: "name.middleName", value: "Augusta" },
      { op: "replace", path: "Name.GivenName", value: "Augusta Ada" },
      { op: "remove", path: "name.familyName" },
    ]);
    assert.deepEqual(out.name, { givenName: "Augusta Ada", middleName: "Augusta" });
  });

  it("creates name for a sub-attribute and drops it when its last sub-attribute goes", () => {
    const { name: _name, ...noName } = ada();
    assert.deepEqual(patch([{ op: "add", path: "name.familyName", value: "King" }], noName).name, { familyName: "King" });
    const out = patch([{ op: "remove", path: "name.givenName" }, { op: "remove", path: "name.familyName" }]);
    assert.equal("name" in out, false);
  });

  it("merges a complex value into the current one (RFC 7644 §3.5.2.3)", () => {
    assert.deepEqual(patch([{ op: "replace", path: "name", value: { givenName: "Augusta" } }]).name, { givenName: "Augusta", familyName: "Lovelace" });
  });
});

describe("applyPatch on the enterprise extension", () => {
  const manager = (out: Record<string, unknown>) => (out[ENT] as Record<string, unknown>).manager;

  it("adds, replaces and removes URN-qualified attributes", () => {
    const out = patch([
      { op: "add", path: `${ENT}:department`, value: "Analytics" },
      { op: "replace", path: `${ENT.toLowerCase()}:EMPLOYEENUMBER`, value: 1815 },
      { op: "remove", path: `${ENT}:manager` },
    ]);
    assert.deepEqual(out[ENT], { employeeNumber: "1815", department: "Analytics" });
  });

  it("resolves an unqualified extension attribute", () => {
    assert.equal((patch([{ op: "replace", path: "costCenter", value: "7" }])[ENT] as Record<string, unknown>).costCenter, "7");
  });

  it("replaces the manager with a new {value}, dropping the old $ref (bare ids: see dialects.test.ts)", () => {
    assert.deepEqual(manager(patch([{ op: "replace", path: `${ENT}:manager`, value: { value: "7d1e0c" } }])), { value: "7d1e0c" });
    assert.deepEqual(manager(patch([{ op: "replace", value: { [`${ENT}:manager`]: { value: "7d1e0c" } } }])), { value: "7d1e0c" });
  });

  it("patches manager.value and ignores the readOnly displayName inside a value", () => {
    assert.deepEqual(manager(patch([{ op: "replace", path: `${ENT}:manager.value`, value: "7d1e0c" }])), { value: "7d1e0c", $ref: "https://rc.test/scim/v2/Users/m0" });
    assert.deepEqual(manager(patch([{ op: "replace", path: `${ENT}:manager`, value: { value: "x", displayName: "Boss" } }])), { value: "x" });
  });

  it("creates the extension on a user that has none, and removes it when it empties", () => {
    const { [ENT]: _ext, ...plain } = ada();
    assert.deepEqual(patch([{ op: "add", path: `${ENT}:employeeNumber`, value: "7" }], plain)[ENT], { employeeNumber: "7" });
    const out = patch([{ op: "remove", path: `${ENT}:employeeNumber` }, { op: "remove", path: `${ENT}:manager` }]);
    assert.equal(ENT in out, false);
    assert.equal(ENT in patch([{ op: "remove", path: `${ENT}:manager` }], plain), false);
  });

  it("adds or replaces through the whole-extension path, merging", () => {
    const out = patch([{ op: "replace", path: ENT, value: { department: "R&D", manager: { value: "7d1e0c" }, employeeNumber: "1815" } }]);
    assert.deepEqual(out[ENT], { employeeNumber: "1815", department: "R&D", manager: { value: "7d1e0c" } });
  });

  it("removes the whole extension", () => {
    assert.equal(ENT in patch([{ op: "remove", path: ENT.toLowerCase() }]), false);
  });
});

describe("applyPatch on multi-valued attributes", () => {
  const emails = (out: Record<string, unknown>) => out.emails as Record<string, unknown>[];

  it("add appends, skipping exact duplicates, and wraps a single object", () => {
    const out = patch([
      { op: "add", path: "emails", value: [{ value: "ada@home.test", type: "home" }, { value: "a@other.test", type: "other" }] },
      { op: "add", path: "phoneNumbers", value: { value: "+44 1", type: "work" } },
    ]);
    assert.deepEqual(emails(out).map((e) => e.value), ["ada@ex.test", "ada@home.test", "a@other.test"]);
    assert.deepEqual(out.phoneNumbers, [{ value: "+44 1", type: "work" }]);
  });

  it("replace without a filter replaces the whole list; an empty list removes it", () => {
    assert.deepEqual(patch([{ op: "replace", path: "emails", value: [{ Value: "x@y.test", Type: "work" }] }]).emails, [{ value: "x@y.test", type: "work" }]);
    assert.equal("emails" in patch([{ op: "replace", path: "emails", value: [] }]), false);
  });

  it("remove without a filter removes the list; with a value, only the listed values", () => {
    assert.equal("emails" in patch([{ op: "remove", path: "emails" }]), false);
    assert.deepEqual(patch([{ op: "remove", path: "emails", value: [{ value: "ada@home.test" }] }]).emails, [{ value: "ada@ex.test", type: "work", primary: true }]);
  });

  it("replace and remove with a filter touch only matching values, compared case-insensitively", () => {
    const out = patch([{ op: "replace", path: 'emails[type eq "HOME"].value', value: "ada@house.test" }]);
    assert.deepEqual(emails(out), [{ value: "ada@ex.test", type: "work", primary: true }, { value: "ada@house.test", type: "home" }]);
    assert.deepEqual(emails(patch([{ op: "remove", path: 'emails[type eq "home"]' }])), [{ value: "ada@ex.test", type: "work", primary: true }]);
    assert.deepEqual(emails(patch([{ op: "remove", path: 'emails[type eq "work"].primary' }]))[0], { value: "ada@ex.test", type: "work" });
  });

  it("replace with a filter and no sub-attribute merges into the matching values", () => {
    const out = patch([{ op: "replace", path: 'emails[value ew "@home.test"]', value: { display: "Home" } }]);
    assert.deepEqual(emails(out)[1], { value: "ada@home.test", type: "home", display: "Home" });
  });

  it("removing the last value removes the attribute", () => {
    const out = patch([{ op: "remove", path: 'emails[type eq "home"]' }, { op: "remove", path: 'emails[type eq "work" or primary eq true]' }]);
    assert.equal("emails" in out, false);
  });

  it("a sub-attribute path without a filter applies to every value", () => {
    assert.deepEqual(emails(patch([{ op: "replace", path: "emails.display", value: "Ada" }])).map((e) => e.display), ["Ada", "Ada"]);
  });

  it("creates the value a filtered path describes when none exists (Entra)", () => {
    const { emails: _e, ...noEmails } = ada();
    const out = patch([
      { op: "replace", path: 'phoneNumbers[type eq "mobile"].value', value: "+44 7700" },
      { op: "add", path: 'addresses[type eq "work"].postalCode', value: "SW1A 1AA" },
      { op: "replace", path: 'emails[type eq "work"].value', value: "ada@contoso.test" },
    ], noEmails);
    assert.deepEqual(out.phoneNumbers, [{ type: "mobile", value: "+44 7700" }]);
    assert.deepEqual(out.addresses, [{ type: "work", postalCode: "SW1A 1AA" }]);
    assert.deepEqual(out.emails, [{ type: "work", value: "ada@contoso.test" }]);
  });

  it("creates the value next to existing ones that do not match", () => {
    const out = patch([{ op: "add", path: 'emails[type eq "other"]', value: { value: "a@other.test" } }]);
    assert.deepEqual(emails(out)[2], { type: "other", value: "a@other.test" });
  });

  it("primary: true on one value clears it on the others", () => {
    const added = emails(patch([{ op: "add", path: "emails", value: [{ value: "a@new.test", type: "other", primary: true }] }]));
    assert.deepEqual(added.map((e) => e.primary), [false, undefined, true]);
    const replaced = emails(patch([{ op: "replace", path: 'emails[type eq "home"].primary', value: true }]));
    assert.deepEqual(replaced.map((e) => e.primary), [false, true]);
    const created = emails(patch([{ op: "replace", path: 'emails[type eq "other" and primary eq true].value', value: "o@x.test" }]));
    assert.deepEqual(created[2], { type: "other", primary: true, value: "o@x.test" });
    assert.equal(created[0].primary, false);
  });
});

describe("applyPatch errors", () => {
  const cases: [string, PatchOperation[], number, ScimType, RegExp?][] = [
    ["an unknown attribute", [{ op: "replace", path: "shoeSize", value: 9 }], 400, "invalidPath", /shoeSize/],
    ["an unknown sub-attribute", [{ op: "replace", path: "name.nickname", value: "x" }], 400, "invalidPath", /nickname/],
    ["a sub-attribute of a simple attribute", [{ op: "replace", path: "userName.value", value: "x" }], 400, "invalidPath"],
    ["an unknown schema URN", [{ op: "replace", path: "urn:example:ext:1.0:User:shoeSize", value: 9 }], 400, "invalidPath"],
    ["the schemas attribute", [{ op: "replace", path: "schemas", value: [USER_URN] }], 400, "invalidPath"],
    ["a filter on a single-valued attribute", [{ op: "replace", path: 'name[givenName eq "Ada"].familyName', value: "x" }], 400, "invalidPath", /filter/],
    ["a filter on an unknown sub-attribute", [{ op: "remove", path: 'emails[kind eq "work"]' }], 400, "invalidPath", /kind/],
    ["an unknown sub-attribute after a filter", [{ op: "replace", path: 'emails[type eq "work"].address', value: "x" }], 400, "invalidPath"],
    ["a malformed path", [{ op: "remove", path: 'emails[type eq "work"' }], 400, "invalidPath"],
    ["a readOnly id", [{ op: "replace", path: "id", value: "x" }], 400, "mutability", /readOnly/],
    ["a readOnly meta sub-attribute", [{ op: "replace", path: "meta.lastModified", value: "2025-01-01T00:00:00Z" }], 400, "mutability"],
    ["readOnly groups", [{ op: "add", path: "groups", value: [{ value: "g1" }] }], 400, "mutability"],
    ["the readOnly manager.displayName", [{ op: "replace", path: `${ENT}:manager.displayName`, value: "Boss" }], 400, "mutability"],
    ["removing the required userName", [{ op: "remove", path: "userName" }], 400, "mutability", /required/],
    ["unassigning userName with null", [{ op: "replace", path: "userName", value: null }], 400, "mutability"],
    ["unassigning userName in a no-path value", [{ op: "replace", value: { userName: null } }], 400, "mutability"],
    ["a non-boolean for active", [{ op: "replace", path: "active", value: "maybe" }], 400, "invalidValue", /boolean/],
    ["an object for a string", [{ op: "replace", path: "title", value: { text: "x" } }], 400, "invalidValue"],
    ["several values for a single-valued attribute", [{ op: "replace", path: "title", value: ["a", "b"] }], 400, "invalidValue", /single-valued/],
    ["a string for name", [{ op: "replace", path: "name", value: "Ada Lovelace" }], 400, "invalidValue"],
    ["a string for the whole extension", [{ op: "add", path: ENT, value: "x" }], 400, "invalidValue"],
    ["two primary values", [{ op: "replace", path: "emails", value: [{ value: "a@x.test", primary: true }, { value: "b@x.test", primary: true }] }], 400, "invalidValue", /primary/],
    ["remove with a filter matching nothing", [{ op: "remove", path: 'emails[type eq "fax"]' }], 400, "noTarget"],
    ["remove of a sub-attribute with a filter matching nothing", [{ op: "remove", path: 'emails[type eq "fax"].value' }], 400, "noTarget"],
    ["replace with a filter matching nothing and no sub-attribute", [{ op: "replace", path: 'emails[type eq "fax"]', value: { value: "x" } }], 400, "noTarget"],
    ["a create from a filter that describes no single value", [{ op: "replace", path: 'phoneNumbers[type ne "fax"].value', value: "+1" }], 400, "noTarget"],
    ["remove with a value matching nothing", [{ op: "remove", path: "emails", value: [{ value: "nobody@x.test" }] }], 400, "noTarget"],
    ["remove without a path", [{ op: "remove" }], 400, "noTarget"],
    ["an unknown op given directly", [{ op: "copy", path: "title", value: "x" }], 400, "invalidSyntax"],
  ];
  for (const [what, operations, status, scimType, detail] of cases) {
    it(`rejects ${what} with ${status} ${scimType}`, () => assertScimError(() => applyPatch(userType, ada(), operations), status, scimType, detail));
  }

  it("names the failing operation in the detail", () => {
    assertScimError(() => applyPatch(userType, ada(), [{ op: "replace", path: "title", value: "x" }, { op: "remove", path: "userName" }]),
      400, "mutability", /^Operations\[1\]: /);
  });
});

describe("applyPatch atomicity", () => {
  it("never mutates its input, on success", () => {
    const input = ada();
    const snapshot = structuredClone(input);
    const out = patch([
      { op: "replace", path: 'emails[type eq "work"].value', value: "x@y.test" },
      { op: "add", path: `${ENT}:department`, value: "R&D" },
      { op: "replace", path: "name.givenName", value: "Augusta" },
    ], input);
    assert.deepEqual(input, snapshot);
    assert.notEqual(out, input);
  });

  it("throws when the second operation fails, leaving the input unchanged", () => {
    const input = ada();
    const snapshot = structuredClone(input);
    assertScimError(() => patch([
      { op: "replace", path: 'emails[type eq "work"].value', value: "x@y.test" },
      { op: "remove", path: 'emails[type eq "fax"]' },
    ], input), 400, "noTarget", /Operations\[1\]/);
    assert.deepEqual(input, snapshot);
  });
});
