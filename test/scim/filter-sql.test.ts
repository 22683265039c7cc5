import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Database } from "../../src/db/database.js";
import { sql } from "../../src/db/sql.js";
import { Group, GroupMember, Organization, User, UserValue } from "../../entities/index.js";
import { groupColumns, userColumns, type ResourceColumns } from "../../src/identity/attribute-columns.js";
import { foldCase } from "../../src/identity/text.js";
import { parseFilter } from "../../src/scim/filter/parse.js";
import { filterToSql, sortExpression } from "../../src/scim/filter/sql.js";
import { ScimError } from "../../src/scim/errors.js";
import { databaseTargets, DatabaseTarget, freshDatabase } from "../support/databases.js";

const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/** Four users in org o1 (and a look-alike in o2 that no filter may return), two groups. */
async function seed(db: Database): Promise<void> {
  const m = db.dataSource.manager;
  const at = "2024-01-01T00:00:00.000Z";
  await m.insert(Organization, [
    { id: "o1", slug: "o1", name: "Org 1", createdAt: at },
    { id: "o2", slug: "o2", name: "Org 2", createdAt: at },
  ]);
  const user = (id: string, org: string, userName: string, fields: Partial<User>): Partial<User> => ({
    id, organizationId: org, userName, userNameNorm: foldCase(userName), active: true, source: "scim", version: 1,
    createdAt: at, updatedAt: at, ...fields,
  });
  await m.insert(User, [
    user("u1", "o1", "ÄDA@x.test", { displayName: "Ada Lovelace", externalId: "ext-1", title: "Countess",
      nameFamilyName: "Lovelace", nameFamilyNameNorm: "lovelace", nameGivenName: "Ada", employeeNumber: "1815", managerId: "u2",
      createdAt: "2011-05-13T04:42:34.123Z", updatedAt: "2024-01-01T00:00:00.000Z" }),
    user("u2", "o1", "bob_smith@x.test", { displayName: "Bob 100% Smith", externalId: "EXT-2", active: false,
      employeeNumber: "42", createdAt: "2012-01-01T00:00:00.000Z", updatedAt: "2023-06-01T12:00:00.000Z" }),
    user("u3", "o1", "carol@x.test", { displayName: "ÇAROL", title: "", createdAt: "0001-01-03T00:00:00.000Z",
      updatedAt: "2011-05-13T04:42:34.000Z" }),
    user("u4", "o1", "dave@x.test", { displayName: "dave", title: "Engineer", createdAt: "2020-02-02T00:00:00.000Z",
      updatedAt: "2025-01-01T00:00:00.000Z" }),
    user("x1", "o2", "äda@x.test", { displayName: "Ada Lovelace", externalId: "ext-1", title: "Countess",
      employeeNumber: "1815", managerId: "u2", createdAt: "2011-05-13T04:42:34.123Z" }),
  ]);
  let position = 0;
  const value = (userId: string, attribute: string, v: string | null, fields: Partial<UserValue> = {}): Partial<UserValue> => ({
    organizationId: userId === "x1" ? "o2" : "o1", userId, attribute, position: position++, value: v,
    valueNorm: v === null ? null : foldCase(v), ...fields,
  });
  await m.insert(UserValue, [
    value("u1", "emails", "Ada@Work.test", { type: "work", primary: true }),
    value("u1", "emails", "ada@home.test", { type: "home" }),
    value("u2", "emails", "bob@work.test", { type: "home" }),
    value("u2", "emails", "bob@other.test", { type: "work", primary: false }),
    value("u2", "phoneNumbers", "+1 555 0100", { type: "mobile" }),
    value("u3", "addresses", null, { type: "work", locality: "Paris" }),
    value("u4", "emails", "d_a%ve@x.test", { type: "work" }),
    value("x1", "emails", "Ada@Work.test", { type: "work", primary: true }),
  ]);
  await m.insert(Group, [
    { id: "g1", organizationId: "o1", displayName: "Engineers", displayNameNorm: "engineers", version: 1, createdAt: at, updatedAt: at },
    { id: "g2", organizationId: "o1", displayName: "Admins", displayNameNorm: "admins", version: 1, createdAt: at, updatedAt: at },
    { id: "g9", organizationId: "o2", displayName: "Engineers", displayNameNorm: "engineers", version: 1, createdAt: at, updatedAt: at },
  ]);
  await m.insert(GroupMember, [
    { groupId: "g1", userId: "u1", organizationId: "o1", createdAt: at },
    { groupId: "g1", userId: "u2", organizationId: "o1", createdAt: at },
    { groupId: "g2", userId: "u2", organizationId: "o1", createdAt: at },
    { groupId: "g9", userId: "x1", organizationId: "o2", createdAt: at },
  ]);
}

/** Organization o1's users, and those with any name part (only u1 has one). */
const ALL_O1 = ["u1", "u2", "u3", "u4"];
const NAMED = ["u1"];

const userCases: [string, string[]][] = [
  // userName: folded column, Unicode case and normalisation
  ['userName eq "äda@x.test"', ["u1"]],
  ['userName eq "ÄDA@X.TEST"', ["u1"]],
  ['USERNAME Eq "A\u0308da@x.test"', ["u1"]],
  ['userName sw "ÄD"', ["u1"]],
  // sw on a folded, indexed column is a range of the index on SQLite: the prefix's own characters, then nothing else
  ['userName sw "bob_"', ["u2"]],
  ['userName sw "bob%"', []],
  ['userName sw "bob_smith@x.test"', ["u2"]],
  ['userName sw "bob_smith@x.tesu"', []],
  ['userName sw "\u{10FFFF}"', []],
  ['name.familyName sw "LOVE"', ["u1"]],
  ['name.familyName sw "lovelace"', ["u1"]],
  ['name.familyName sw "lovelacé"', []],
  ['name.familyName sw ""', ["u1"]],
  ['userName ew "@X.TEST"', ["u1", "u2", "u3", "u4"]],
  // LIKE metacharacters are literal
  ['userName co "_"', ["u2"]],
  ['emails.value co "%"', ["u4"]],
  ['emails co "_A%"', ["u4"]],
  ['displayName co "100%"', ["u2"]],
  [String.raw`displayName co "\\"`, []],
  // case-insensitive through SQL fold on plain columns, case-exact ids
  ['displayName eq "ada lovelace"', ["u1"]],
  ['displayName eq "çarol"', ["u3"]],
  ['name.familyName eq "LOVELACE"', ["u1"]],
  ['urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw "a"', ["u1"]],
  ['externalId eq "ext-2"', []],
  ['externalId eq "EXT-2"', ["u2"]],
  ["externalId eq ext-1", ["u1"]],
  // Entra's unquoted digits parse as a number; on a string attribute they mean text.
  ["title eq 5", []],
  ['id eq "u3"', ["u3"]],
  ['title eq "x\' OR \'1\'=\'1"', []],
  ['title gt "D"', ["u4"]],
  // booleans
  ["active eq true", ["u1", "u3", "u4"]],
  ['active eq "False"', ["u2"]],
  ["ActiVe eq FALSE", ["u2"]],
  ["active ne true", ["u2"]],
  ["active pr", ["u1", "u2", "u3", "u4"]],
  // dateTime: 7-digit fractions truncated, offsets, year 0001
  ['meta.created gt "2011-05-13T04:42:34.1229999Z"', ["u1", "u2", "u4"]],
  ['meta.created gt "2011-05-13T04:42:34.1230000Z"', ["u2", "u4"]],
  ['meta.created lt "2011-05-13T06:42:34+02:00"', ["u3"]],
  ['meta.created eq "0001-01-03T00:00:00Z"', ["u3"]],
  ['active eq true and (meta.lastModified ge "0001-01-03T00:00:00.0000000Z" and meta.lastModified le "2024-01-01T00:00:00Z")', ["u1", "u3"]],
  // presence and null
  ["title pr", ["u1", "u4"]],
  ["title eq null", ["u2", "u3"]],
  ["title ne null", ["u1", "u4"]],
  ['title ne "countess"', ["u2", "u3", "u4"]],
  ['not (title eq "Countess")', ["u2", "u3", "u4"]],
  // multi-valued: any element; value paths: one element
  ['emails[type eq "work" and value co "@work"]', ["u1"]],
  ['emails[type eq "work"].value co "@WORK"', ["u1"]],
  ['emails.type eq "work" and emails.value co "@work"', ["u1", "u2"]],
  ['emails.value eq "ADA@WORK.TEST"', ["u1"]],
  ['emails[type eq "WORK"]', ["u1", "u2", "u4"]],
  ['emails[not (type eq "work")]', ["u1", "u2"]],
  ['not (emails[type eq "home"])', ["u3", "u4"]],
  ['emails.value ne "ada@home.test"', ["u1", "u2", "u4"]],
  // A complex attribute is present when any sub-attribute is (RFC 7644 §3.4.2.2).
  ["name pr", NAMED],
  ["name ne null", NAMED],
  ["name eq null", ALL_O1.filter((id) => !NAMED.includes(id))],
  ["meta pr", ALL_O1],
  ["not (meta pr)", []],
  ["emails pr", ["u1", "u2", "u4"]],
  ["not (emails pr)", ["u3"]],
  ["emails eq null", ["u3"]],
  ["addresses pr", ["u3"]],
  ['addresses[locality eq "PARIS"]', ["u3"]],
  ["phoneNumbers.type pr", ["u2"]],
  // enterprise extension and manager
  [`${ENT}:employeeNumber eq "1815"`, ["u1"]],
  [`${ENT.toUpperCase()}:EMPLOYEENUMBER eq "42"`, ["u2"]],
  ['employeeNumber eq "42"', ["u2"]],
  [`${ENT}:manager eq "u2"`, ["u1"]],
  [`${ENT}:manager.value eq "u2"`, ["u1"]],
  ['manager eq "u2"', ["u1"]],
  // groups
  ['groups.value eq "g2"', ["u2"]],
  ['groups[value eq "g1"]', ["u1", "u2"]],
  ['groups.display eq "ENGINEERS"', ["u1", "u2"]],
  // logic
  ['not (userName sw "ä" or userName sw "b")', ["u3", "u4"]],
  ['userName sw "c" or userName sw "d" and active eq false', ["u3"]],
  ['(userName sw "c" or userName sw "d") and active eq true', ["u3", "u4"]],
  ["not (not (active eq true))", ["u1", "u3", "u4"]],
  ['((userName sw "a" or userName sw "ä") or (title eq "engineer")) and not (emails[type eq "home"])', ["u4"]],
];

const groupCases: [string, string[]][] = [
  ['displayName eq "ENGINEERS"', ["g1"]],
  ['urn:ietf:params:scim:schemas:core:2.0:Group:displayName sw "adm"', ["g2"]],
  ['members[value eq "u2"]', ["g1", "g2"]],
  ['id eq "g1" and members[value eq "u1"]', ["g1"]],
  ['members.display eq "äda@X.TEST"', ["g1"]],
  ["not (members pr)", []],
];

const invalidFilters = [
  'nosuch eq "x"', 'title.x eq "a"', 'emails.nosuch eq "x"', 'name eq "x"', "active gt true", 'active eq "yes"',
  "active eq 1", 'meta.created gt "yesterday"', 'meta.created gt "2011-02-30T00:00:00Z"', 'meta.created co "2011"',
  "title gt null", 'emails[nosuch eq "x"]', 'title[value eq "x"]',
  'urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x"', 'urn:bogus:x eq "a"',
];

async function ids(db: Database, columns: ResourceColumns, filter: string): Promise<string[]> {
  const { sql: condition, params } = filterToSql(parseFilter(filter), columns, db);
  const a = columns.alias;
  const rows = await sql<{ id: string }>(db.dataSource.manager,
    `SELECT ${a}.id AS id FROM ${columns.from} WHERE ${a}.organization_id = :organizationId AND (${condition}) ORDER BY ${a}.id`,
    { ...params, organizationId: "o1" });
  return rows.map((r) => r.id);
}

async function sorted(db: Database, sortBy: string, descending = false): Promise<string[]> {
  const expr = sortExpression(sortBy, userColumns, db, "urn:ietf:params:scim:schemas:core:2.0:User");
  const dir = descending ? "DESC" : "ASC";
  const rows = await sql<{ id: string }>(db.dataSource.manager,
    `SELECT u.id AS id FROM users u WHERE u.organization_id = :org ORDER BY (${expr}) IS NULL ${dir}, ${expr} ${dir}, u.id`, { org: "o1" });
  return rows.map((r) => r.id);
}

/** Registers the whole suite against one database. */
function suite(target: DatabaseTarget) {
  describe(`filter → SQL on ${target.name}`, { skip: target.skip }, () => {
    const database = freshDatabase(target);
    before(() => seed(database()));

    for (const [filter, expected] of userCases) {
      it(`users: ${filter}`, async () => assert.deepEqual(await ids(database(), userColumns, filter), expected));
    }
    for (const [filter, expected] of groupCases) {
      it(`groups: ${filter}`, async () => assert.deepEqual(await ids(database(), groupColumns, filter), expected));
    }
    for (const filter of invalidFilters) {
      it(`rejects ${filter}`, () => assert.throws(() => filterToSql(parseFilter(filter), userColumns, database()),
        (e: unknown) => e instanceof ScimError && e.scimType === "invalidFilter"));
    }

    it("binds every value and numbers parameters with the prefix", () => {
      const { sql: text, params } = filterToSql(parseFilter('title eq "Countess" or emails[value co "x"]'), userColumns, database(), "q");
      assert.deepEqual(Object.keys(params), ["q1", "q2"]);
      assert.doesNotMatch(text, /Countess|'%x%'/);
    });

    it("users: emails[primary eq true]", async () => {
      assert.deepEqual(await ids(database(), userColumns, "emails[primary eq true]"), ["u1"]);
      assert.deepEqual(await ids(database(), userColumns, 'emails[primary eq "False"]'), ["u2"]);
    });

    it("sorts by case-insensitive and dateTime attributes, missing values last", async () => {
      assert.deepEqual(await sorted(database(), "userName"), ["u2", "u3", "u4", "u1"]);
      assert.deepEqual(await sorted(database(), "DISPLAYNAME"), ["u1", "u2", "u4", "u3"]);
      assert.deepEqual(await sorted(database(), "title"), ["u3", "u1", "u4", "u2"]);
      assert.deepEqual(await sorted(database(), "meta.created", true), ["u4", "u2", "u1", "u3"]);
      assert.deepEqual(await sorted(database(), `${ENT}:employeeNumber`), ["u1", "u2", "u3", "u4"]);
    });

    it("sorts a multi-valued attribute by its primary element, else its lowest", async () => {
      // u1: primary Ada@Work; u2: no primary, so bob@other; u4: d_a%ve; u3 has no email and goes last.
      assert.deepEqual(await sorted(database(), "emails"), ["u1", "u2", "u4", "u3"]);
      assert.deepEqual(await sorted(database(), "emails", true), ["u3", "u4", "u2", "u1"]);
    });

    it("rejects unknown or filtered sortBy with invalidValue", () => {
      for (const sortBy of ["nosuch", 'emails[type eq "work"].value', "title.x", "a b"]) {
        assert.throws(() => sortExpression(sortBy, userColumns, database()), (e: unknown) => e instanceof ScimError && e.scimType === "invalidValue");
      }
    });
  });
}

for (const target of await databaseTargets()) suite(target);
