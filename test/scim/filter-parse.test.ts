import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseFilter, parsePatchPath, type FilterNode } from "../../src/scim/filter/parse.js";
import { matchesElement } from "../../src/scim/filter/match.js";
import { ScimError } from "../../src/scim/errors.js";
import { ENTERPRISE_URN as ENTERPRISE } from "../../src/scim/schemas.js";

const cmp = (name: string, op: string, value: unknown, sub?: string): FilterNode =>
  ({ kind: "compare", path: sub === undefined ? { name } : { name, sub }, op, value }) as FilterNode;
const pr = (name: string): FilterNode => ({ kind: "present", path: { name } });
const and = (left: FilterNode, right: FilterNode): FilterNode => ({ kind: "and", left, right });
const or = (left: FilterNode, right: FilterNode): FilterNode => ({ kind: "or", left, right });
const not = (filter: FilterNode): FilterNode => ({ kind: "not", filter });

function rejects(fn: () => unknown, scimType: string, detail?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ScimError, `expected a ScimError, got ${String(e)}`);
    assert.equal(e.status, 400);
    assert.equal(e.scimType, scimType);
    if (detail) assert.match(e.message, detail);
    return true;
  });
}

describe("parseFilter: operators and literals", () => {
  for (const op of ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]) {
    it(`parses ${op}, in any case`, () => {
      assert.deepEqual(parseFilter(`title ${op} "x"`), cmp("title", op, "x"));
      assert.deepEqual(parseFilter(`title ${op.toUpperCase()} "x"`), cmp("title", op, "x"));
    });
  }

  it("parses pr without a value", () => {
    assert.deepEqual(parseFilter("title pr"), pr("title"));
    assert.deepEqual(parseFilter("title PR"), pr("title"));
  });

  it("keeps attribute names as written (resolution is case-insensitive later)", () => {
    assert.deepEqual(parseFilter('USERNAME eq "a"'), cmp("USERNAME", "eq", "a"));
    assert.deepEqual(parseFilter('name.FamilyName eq "L"'), cmp("name", "eq", "L", "FamilyName"));
  });

  it("parses numbers: integer, negative, decimal, exponent", () => {
    assert.deepEqual(parseFilter("n eq 42"), cmp("n", "eq", 42));
    assert.deepEqual(parseFilter("n gt -7"), cmp("n", "gt", -7));
    assert.deepEqual(parseFilter("n lt 3.25"), cmp("n", "lt", 3.25));
    assert.deepEqual(parseFilter("n le 1.5e3"), cmp("n", "le", 1500));
    assert.deepEqual(parseFilter("n ge 2E-2"), cmp("n", "ge", 0.02));
  });

  it("parses true, false and null in any case", () => {
    assert.deepEqual(parseFilter("active eq true"), cmp("active", "eq", true));
    assert.deepEqual(parseFilter("active eq FALSE"), cmp("active", "eq", false));
    assert.deepEqual(parseFilter("title eq Null"), cmp("title", "eq", null));
  });

  it("keeps quoted booleans as strings (the SQL layer decides)", () => {
    assert.deepEqual(parseFilter('active eq "False"'), cmp("active", "eq", "False"));
  });

  it("decodes JSON string escapes", () => {
    assert.deepEqual(parseFilter(String.raw`title eq "a \"b\" \\ \u00e9 \/ \n"`), cmp("title", "eq", 'a "b" \\ é / \n'));
    assert.deepEqual(parseFilter('title eq ""'), cmp("title", "eq", ""));
    assert.deepEqual(parseFilter('title eq "a (b) [c] and or not"'), cmp("title", "eq", "a (b) [c] and or not"));
  });

  it("accepts Entra's unquoted values as strings", () => {
    assert.deepEqual(parseFilter("externalId eq jyoung"), cmp("externalId", "eq", "jyoung"));
    assert.deepEqual(parseFilter("emails.Value co example.com"), cmp("emails", "co", "example.com", "Value"));
    assert.deepEqual(parseFilter("userName eq ada@x.test and active eq true"), and(cmp("userName", "eq", "ada@x.test"), cmp("active", "eq", true)));
    assert.deepEqual(parseFilter("externalId eq 5e1c8d3a-0b1f-4c2e-9d3a-12ab34cd56ef"), cmp("externalId", "eq", "5e1c8d3a-0b1f-4c2e-9d3a-12ab34cd56ef"));
    assert.deepEqual(parseFilter("externalId eq 0012"), cmp("externalId", "eq", "0012"));
    assert.deepEqual(parseFilter("members[value eq 2819c223]"),
      { kind: "valuePath", path: { name: "members" }, filter: cmp("value", "eq", "2819c223") });
  });

  it("tolerates extra whitespace, tabs and no space before a quote", () => {
    assert.deepEqual(parseFilter('  title\teq   "x"  '), cmp("title", "eq", "x"));
    assert.deepEqual(parseFilter('title eq"x"'), cmp("title", "eq", "x"));
  });
});

describe("parseFilter: logic", () => {
  it("and binds tighter than or", () => {
    assert.deepEqual(parseFilter("a pr or b pr and c pr"), or(pr("a"), and(pr("b"), pr("c"))));
    assert.deepEqual(parseFilter("a pr and b pr or c pr"), or(and(pr("a"), pr("b")), pr("c")));
  });

  it("is left-associative", () => {
    assert.deepEqual(parseFilter("a pr or b pr or c pr"), or(or(pr("a"), pr("b")), pr("c")));
    assert.deepEqual(parseFilter("a pr AND b pr And c pr"), and(and(pr("a"), pr("b")), pr("c")));
  });

  it("parentheses override precedence and nest at any depth", () => {
    assert.deepEqual(parseFilter("(a pr or b pr) and c pr"), and(or(pr("a"), pr("b")), pr("c")));
    assert.deepEqual(parseFilter('((a eq 1) or (b eq 2)) and c pr'), and(or(cmp("a", "eq", 1), cmp("b", "eq", 2)), pr("c")));
    assert.deepEqual(parseFilter("((((a pr))))"), pr("a"));
  });

  it("keeps not over a whole group (no De Morgan distribution)", () => {
    assert.deepEqual(parseFilter('not (a eq 1 and b eq 2)'), not(and(cmp("a", "eq", 1), cmp("b", "eq", 2))));
    assert.deepEqual(parseFilter('NOT(a pr or b pr)'), not(or(pr("a"), pr("b"))));
    assert.deepEqual(parseFilter("not (not (a pr))"), not(not(pr("a"))));
  });

  it("not binds tighter than and", () => {
    assert.deepEqual(parseFilter("not (a pr) and b pr"), and(not(pr("a")), pr("b")));
    assert.deepEqual(parseFilter("b pr or not (a pr)"), or(pr("b"), not(pr("a"))));
  });

  it("accepts Entra's inbound watermark filter", () => {
    const f = 'ActiVe eq true and (meta.lastModified ge "0001-01-03T00:00:00.0000000Z" and meta.lastModified le "2024-05-01T00:00:00Z")';
    assert.deepEqual(parseFilter(f), and(cmp("ActiVe", "eq", true),
      and(cmp("meta", "ge", "0001-01-03T00:00:00.0000000Z", "lastModified"), cmp("meta", "le", "2024-05-01T00:00:00Z", "lastModified"))));
  });
});

describe("parseFilter: value paths and URNs", () => {
  it("parses a value path", () => {
    assert.deepEqual(parseFilter('emails[type eq "work" and value co "@x"]'),
      { kind: "valuePath", path: { name: "emails" }, filter: and(cmp("type", "eq", "work"), cmp("value", "co", "@x")) });
  });

  it("folds a trailing sub-attribute test into the bracket: one element must pass both", () => {
    assert.deepEqual(parseFilter('emails[type eq "work"].value eq "x"'),
      { kind: "valuePath", path: { name: "emails" }, filter: and(cmp("type", "eq", "work"), cmp("value", "eq", "x")) });
    assert.deepEqual(parseFilter('emails[type eq "work" or type eq "home"].value pr'),
      { kind: "valuePath", path: { name: "emails" }, filter: and(or(cmp("type", "eq", "work"), cmp("type", "eq", "home")), pr("value")) });
  });

  it("combines value paths with other expressions", () => {
    assert.deepEqual(parseFilter('id eq "g1" and members[value eq "u1"]'),
      and(cmp("id", "eq", "g1"), { kind: "valuePath", path: { name: "members" }, filter: cmp("value", "eq", "u1") }));
    assert.deepEqual(parseFilter('not (emails[primary eq true])'),
      not({ kind: "valuePath", path: { name: "emails" }, filter: cmp("primary", "eq", true) }));
    assert.deepEqual(parseFilter('emails[not (type eq "work") and (value pr)]'),
      { kind: "valuePath", path: { name: "emails" }, filter: and(not(cmp("type", "eq", "work")), pr("value")) });
  });

  it("splits URN-qualified names at the last colon", () => {
    assert.deepEqual(parseFilter(`${ENTERPRISE}:employeeNumber eq "7"`),
      { kind: "compare", path: { uri: ENTERPRISE, name: "employeeNumber" }, op: "eq", value: "7" });
    assert.deepEqual(parseFilter(`${ENTERPRISE}:manager.value eq "m"`),
      { kind: "compare", path: { uri: ENTERPRISE, name: "manager", sub: "value" }, op: "eq", value: "m" });
    assert.deepEqual(parseFilter("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName pr"),
      { kind: "present", path: { uri: "urn:ietf:params:scim:schemas:core:2.0:User", name: "name", sub: "givenName" } });
  });

  it("accepts $ref and names with - and _", () => {
    assert.deepEqual(parseFilter('members.$ref pr'), { kind: "present", path: { name: "members", sub: "$ref" } });
    assert.deepEqual(parseFilter('x-custom_1 eq "a"'), cmp("x-custom_1", "eq", "a"));
  });
});

describe("parseFilter: errors", () => {
  const bad: [string, RegExp?][] = [
    ["", /empty/],
    ["   ", /empty/],
    ["title", /operator/],
    ["title eq", /value.*end of input/],
    ['title eq "x" extra', /character 14.*'extra'/],
    ['title eq "x" and', /attribute name/],
    ['title eq "x" or', /attribute name/],
    ['and title pr', /operator/],
    ['title zz "x"', /operator.*'zz'/],
    ['title pr "x"', /end of input/],
    ['(title pr', /'\)'/],
    ['title pr)', /end of input/],
    ['((title pr)', /'\)'/],
    ['emails[type eq "work"', /'\]'/],
    ['emails type eq "work"]', /operator/],
    ['emails[type eq "work"]]', /end of input/],
    ['title eq "unterminated', /unterminated/],
    [String.raw`title eq "bad \q escape"`, /string literal/],
    ['not title pr', /'\(' after not/],
    ['not', /'\(' after not/],
    ['"title" eq "x"', /attribute name/],
    ['1title eq "x"', /attribute name/],
    ['name.given.family eq "x"', /attribute name/],
    [':name eq "x"', /attribute name/],
    ['urn:x:2.0:User: eq "x"', /attribute name/],
    ['emails[type eq "a"]. eq "x"', /sub-attribute/],
    ['emails[type[value eq "x"] eq "a"]', /cannot nest/],
    ['emails[name.given eq "x"]', /inside brackets/],
    [`emails[${ENTERPRISE}:x eq "x"]`, /inside brackets/],
    ['name.familyName[value eq "x"]', /plain attribute/],
    ['title eq ()', /value/],
    ['title eq and b pr', /value/],
    ['n eq 1e999', /out of range/],
    ['()', /attribute name/],
    ['title eq "x" title eq "y"', /end of input/],
  ];
  for (const [text, detail] of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => rejects(() => parseFilter(text), "invalidFilter", detail));
  }

  it("limits length", () => {
    const long = Array.from({ length: 400 }, (_, i) => `a${i} pr`).join(" or ");
    assert.ok(long.length > 4096);
    rejects(() => parseFilter(long), "invalidFilter", /4096/);
    assert.doesNotThrow(() => parseFilter(long.slice(0, 4000).replace(/ or [^o]*$/, "")));
  });

  it("limits nesting depth", () => {
    assert.doesNotThrow(() => parseFilter(`${"(".repeat(50)}a pr${")".repeat(50)}`));
    rejects(() => parseFilter(`${"(".repeat(51)}a pr${")".repeat(51)}`), "invalidFilter", /nested deeper/);
    rejects(() => parseFilter(`${"not (".repeat(60)}a pr${")".repeat(60)}`), "invalidFilter", /nested deeper/);
  });
});

describe("parsePatchPath", () => {
  it("parses attribute paths", () => {
    assert.deepEqual(parsePatchPath("displayName"), { path: { name: "displayName" } });
    assert.deepEqual(parsePatchPath("name.givenName"), { path: { name: "name", sub: "givenName" } });
    assert.deepEqual(parsePatchPath(`${ENTERPRISE}:manager`), { path: { uri: ENTERPRISE, name: "manager" } });
  });

  it("parses value paths with and without a sub-attribute", () => {
    assert.deepEqual(parsePatchPath('members[value eq "2819c223"]'),
      { path: { name: "members" }, valueFilter: cmp("value", "eq", "2819c223") });
    assert.deepEqual(parsePatchPath('emails[type eq "work"].value'),
      { path: { name: "emails" }, valueFilter: cmp("type", "eq", "work"), subAttribute: "value" });
    assert.deepEqual(parsePatchPath('addresses[type eq "work" and primary eq true].postalCode'),
      { path: { name: "addresses" }, valueFilter: and(cmp("type", "eq", "work"), cmp("primary", "eq", true)), subAttribute: "postalCode" });
  });

  for (const text of ["", "emails[", 'emails[type eq "work"', 'emails[type eq "work"].', 'emails[type eq "work"] x',
    "name.given.x", 'name.givenName[value eq "x"]', "a b", 'emails[type zz "x"]']) {
    it(`rejects ${JSON.stringify(text)} with invalidPath`, () => rejects(() => parsePatchPath(text), "invalidPath"));
  }
});

describe("matchesElement", () => {
  const work = { type: "work", Value: "Ada@Example.test", primary: true };
  const home = { type: "home", value: "ada@home.test" };
  const m = (filter: string, element: Record<string, unknown>, caseExact?: (n: string) => boolean) =>
    matchesElement(parsePatchPath(`emails[${filter}]`).valueFilter!, element, caseExact);

  it("compares strings case-insensitively, names too", () => {
    assert.equal(m('type eq "WORK"', work), true);
    assert.equal(m('VALUE eq "ada@example.test"', work), true);
    assert.equal(m('value co "@EXAMPLE"', work), true);
    assert.equal(m('value sw "ada"', home), true);
    assert.equal(m('value ew ".TEST"', home), true);
    assert.equal(m('value gt "b"', home), false);
  });

  it("honours caseExact", () => {
    assert.equal(m('value eq "ada@example.test"', work, (n) => n === "value"), false);
    assert.equal(m('value eq "Ada@Example.test"', work, (n) => n === "value"), true);
  });

  it("evaluates and, or, not and pr", () => {
    assert.equal(m('type eq "work" and value co "@example"', work), true);
    assert.equal(m('type eq "work" and value co "@example"', home), false);
    assert.equal(m('type eq "x" or primary eq true', work), true);
    assert.equal(m('not (primary eq true)', home), true);
    assert.equal(m("primary pr", home), false);
    assert.equal(m("display pr", { display: "" }), false);
  });

  it("treats absent values like SQL: only ne, not and eq null match them", () => {
    assert.equal(m('display eq "x"', home), false);
    assert.equal(m('display ne "x"', home), true);
    assert.equal(m("display eq null", home), true);
    assert.equal(m("type ne null", home), true);
  });

  it("accepts \"True\"/\"False\" strings for booleans and rejects ordering them", () => {
    assert.equal(m('primary eq "True"', work), true);
    assert.equal(m('primary ne "false"', work), true);
    assert.throws(() => m("primary gt true", work), ScimError);
  });
});
