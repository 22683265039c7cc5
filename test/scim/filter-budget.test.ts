import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSelective } from "../../src/scim/filter/budget.js";
import { parseFilter } from "../../src/scim/filter/parse.js";

describe("which lists are read at once (isSelective) and which wait their organization's turn", () => {
  const cases: [string, "User" | "Group", boolean][] = [
    ['userName eq "ada@example.test"', "User", true],
    ['USERNAME eq "ada@example.test"', "User", true],
    ['externalId eq "00u1" and active eq true', "User", true],
    ['active eq true and id eq "x"', "User", true],
    ['displayName eq "Crew"', "Group", true],
    ['id eq "g" and members[value eq "u"]', "Group", true],
    ['displayName eq "Ada"', "User", false],
    ['userName eq "a" or displayName co "b"', "User", false],
    ['userName co "ada"', "User", false],
    ['userName eq null', "User", false],
    ['not (userName eq "a")', "User", false],
    ['emails[value eq "a@b"]', "User", false],
    ['name.givenName eq "Ada"', "User", false],
  ];
  for (const [filter, type, selective] of cases) {
    it(`${type} ${filter} → ${selective ? "at once" : "in turn"}`, () => assert.equal(isSelective(parseFilter(filter), type), selective));
  }
  it("no filter (a COUNT over the organization) waits its turn", () => assert.equal(isSelective(undefined, "User"), false));
});
