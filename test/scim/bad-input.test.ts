import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import supertest from "supertest";
import { createScimToken, revokeScimToken } from "../../src/identity/scim-tokens.js";
import { ERROR_SCHEMA, ScimType } from "../../src/scim/errors.js";
import { MAX_BODY_BYTES } from "../../src/scim/router.js";
import { databaseTargets } from "../support/databases.js";
import { Harness, SCIM_JSON, snapshot, startHarness } from "../support/harness.js";
import { USER_URN as USER, GROUP_URN as GROUP, ENTERPRISE_URN as ENTERPRISE, PATCH_OP_URN as PATCH } from "../../src/scim/schemas.js";

/**
 * RFC 7644 §3.12: every malformed or hostile request gets a SCIM Error (status as a string, the right scimType, a
 * detail without internals) as application/scim+json, and changes nothing: the database is byte-identical after.
 */


type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

interface Row {
  name: string;
  method: Method;
  /** Under /scim/v2. {alice} {bob} {crew} {other} {missing} {revoked} are replaced by the seeded values. */
  path: string;
  /** Sent as application/scim+json (placeholders filled in). */
  body?: unknown;
  /** Sent as is, with this content type, instead of `body`. */
  raw?: { type: string; data: string | Buffer };
  headers?: Record<string, string>;
  /** The Authorization header; org A's bearer token unless given, none when null. */
  auth?: string | null;
  status: number;
  scimType: ScimType | null;
}

const ops = (...operations: unknown[]) => ({ schemas: [PATCH], Operations: operations });
const json = (data: string | Buffer) => ({ type: SCIM_JSON, data });
const user = (fields: Record<string, unknown>) => ({ schemas: [USER], userName: "new@example.test", ...fields });
const group = (fields: Record<string, unknown>) => ({ schemas: [GROUP], displayName: "New group", ...fields });
const filter = (text: string, endpoint = "/Users") => `${endpoint}?filter=${encodeURIComponent(text)}`;
const tooLong = (n: number) => "x".repeat(n);

const rows: Row[] = [
  // Malformed JSON and bodies that are not objects.
  { name: "truncated JSON", method: "POST", path: "/Users", raw: json('{"schemas": ["' + USER), status: 400, scimType: "invalidSyntax" },
  { name: "trailing comma", method: "POST", path: "/Users", raw: json('{"userName": "a@example.test",}'), status: 400, scimType: "invalidSyntax" },
  { name: "single quotes", method: "POST", path: "/Users", raw: json("{'userName': 'a@example.test'}"), status: 400, scimType: "invalidSyntax" },
  { name: "NaN", method: "POST", path: "/Users", raw: json('{"userName": "a@example.test", "x": NaN}'), status: 400, scimType: "invalidSyntax" },
  { name: "comment in JSON", method: "POST", path: "/Users", raw: json('{"userName": "a@example.test" /* hi */}'), status: 400, scimType: "invalidSyntax" },
  { name: "two JSON documents", method: "POST", path: "/Users", raw: json('{"userName": "a@example.test"}{"userName": "b@example.test"}'), status: 400, scimType: "invalidSyntax" },
  { name: "empty body (body-parser reads it as {}): no userName", method: "POST", path: "/Users", raw: json(""), status: 400, scimType: "invalidValue" },
  { name: "empty body (read as {}): no schemas", method: "PATCH", path: "/Users/{alice}", raw: json(""), status: 400, scimType: "invalidSyntax" },
  { name: "array body", method: "POST", path: "/Users", body: [user({})], status: 400, scimType: "invalidSyntax" },
  { name: "string body", method: "POST", path: "/Users", raw: json('"a@example.test"'), status: 400, scimType: "invalidSyntax" },
  { name: "number body", method: "POST", path: "/Users", raw: json("42"), status: 400, scimType: "invalidSyntax" },
  { name: "null body", method: "POST", path: "/Users", raw: json("null"), status: 400, scimType: "invalidSyntax" },
  { name: "array body", method: "PUT", path: "/Users/{alice}", body: [], status: 400, scimType: "invalidSyntax" },
  { name: "truncated JSON", method: "PATCH", path: "/Users/{alice}", raw: json('{"schemas": ["' + PATCH + '"], "Operations": [{'), status: 400, scimType: "invalidSyntax" },
  { name: "null body", method: "PATCH", path: "/Groups/{crew}", raw: json("null"), status: 400, scimType: "invalidSyntax" },
  { name: "array body", method: "POST", path: "/Groups", body: [group({})], status: 400, scimType: "invalidSyntax" },
  { name: "array body", method: "PUT", path: "/Groups/{crew}", body: [group({})], status: 400, scimType: "invalidSyntax" },
  { name: "array body", method: "POST", path: "/Users/.search", body: [{ filter: 'userName eq "x"' }], status: 400, scimType: "invalidSyntax" },
  { name: "array body", method: "POST", path: "/Groups/.search", body: [], status: 400, scimType: "invalidSyntax" },
  { name: "string body", method: "POST", path: "/Groups/.search", raw: json('"displayName pr"'), status: 400, scimType: "invalidSyntax" },
  { name: "schemas not an array", method: "POST", path: "/Users", body: { schemas: USER, userName: "a@example.test" }, status: 400, scimType: "invalidSyntax" },
  { name: "schemas of numbers", method: "POST", path: "/Groups", body: { schemas: [1], displayName: "G" }, status: 400, scimType: "invalidSyntax" },

  // Content type, encoding and size.
  { name: "text/plain", method: "POST", path: "/Users", raw: { type: "text/plain", data: JSON.stringify(user({})) }, status: 415, scimType: null },
  { name: "application/xml", method: "POST", path: "/Users", raw: { type: "application/xml", data: "<User><userName>a</userName></User>" }, status: 415, scimType: null },
  { name: "form-urlencoded", method: "PUT", path: "/Users/{alice}", raw: { type: "application/x-www-form-urlencoded", data: "userName=a" }, status: 415, scimType: null },
  { name: "text/plain", method: "PATCH", path: "/Groups/{crew}", raw: { type: "text/plain", data: JSON.stringify(ops({ op: "remove", path: "members" })) }, status: 415, scimType: null },
  { name: "application/xml", method: "POST", path: "/Users/.search", raw: { type: "application/xml", data: "<SearchRequest/>" }, status: 415, scimType: null },
  { name: "latin-1 charset", method: "POST", path: "/Users", raw: { type: `${SCIM_JSON}; charset=latin1`, data: JSON.stringify(user({})) }, status: 415, scimType: null },
  { name: "us-ascii charset", method: "POST", path: "/Groups", raw: { type: "application/json; charset=us-ascii", data: JSON.stringify(group({})) }, status: 415, scimType: null },
  { name: "UTF-8 bytes labelled UTF-16", method: "POST", path: "/Groups", raw: { type: "application/json; charset=utf-16", data: JSON.stringify(group({})) }, status: 415, scimType: null },
  { name: "unsupported Content-Encoding", method: "POST", path: "/Users", raw: json(JSON.stringify(user({}))), headers: { "Content-Encoding": "compress" }, status: 415, scimType: null },
  { name: "gzip that is not gzip", method: "POST", path: "/Users", raw: json(JSON.stringify(user({}))), headers: { "Content-Encoding": "gzip" }, status: 400, scimType: "invalidSyntax" },
  { name: "gzip bomb over 8 MiB inflated", method: "POST", path: "/Users", raw: json(gzipSync(JSON.stringify(user({ title: " ".repeat(MAX_BODY_BYTES) })))), headers: { "Content-Encoding": "gzip" }, status: 413, scimType: "tooLarge" },
  { name: "body over 8 MiB", method: "POST", path: "/Users", body: user({ title: tooLong(MAX_BODY_BYTES) }), status: 413, scimType: "tooLarge" },
  { name: "body over 8 MiB", method: "PUT", path: "/Groups/{crew}", body: group({ externalId: tooLong(MAX_BODY_BYTES) }), status: 413, scimType: "tooLarge" },
  { name: "body over 8 MiB", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "title", value: tooLong(MAX_BODY_BYTES) }), status: 413, scimType: "tooLarge" },
  { name: "body over 8 MiB", method: "POST", path: "/Groups/.search", body: { filter: `displayName eq "${tooLong(MAX_BODY_BYTES)}"` }, status: 413, scimType: "tooLarge" },
  { name: "body over 8 MiB without a token", method: "POST", path: "/Users", body: user({ title: tooLong(MAX_BODY_BYTES) }), auth: null, status: 401, scimType: null },
  { name: "invalid JSON without a token (the body is not read)", method: "POST", path: "/Users", raw: json("{{{"), auth: null, status: 401, scimType: null },
  { name: "invalid JSON with a revoked token", method: "PATCH", path: "/Groups/{crew}", raw: json("{{{"), auth: "Bearer {revoked}", status: 401, scimType: null },
  { name: "Bulk: invalid JSON without a token", method: "POST", path: "/Bulk", raw: json("[[["), auth: null, status: 401, scimType: null },
  { name: "33 nested arrays", method: "POST", path: "/Users", raw: json(`{"userName": "x", "title": ${"[".repeat(33)}${"]".repeat(33)}}`), status: 400, scimType: "invalidSyntax" },
  { name: "33 nested objects in a PATCH value", method: "PATCH", path: "/Users/{alice}", raw: json(JSON.stringify(ops({ op: "add", path: "title", value: "§" })).replace('"§"', `${'{"a":'.repeat(33)}1${"}".repeat(33)}`)), status: 400, scimType: "invalidSyntax" },
  { name: "Bulk: 500,000 nested arrays", method: "POST", path: "/Bulk", raw: json(`{"Operations": ${"[".repeat(500_000)}${"]".repeat(500_000)}}`), status: 400, scimType: "invalidSyntax" },
  { name: "Bulk: data 3,000 levels deep", method: "POST", path: "/Bulk", raw: json(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Users","bulkId":"a","data":${'{"a":'.repeat(3000)}1${"}".repeat(3000)}}]}`), status: 400, scimType: "invalidSyntax" },

  // Authentication.
  { name: "no Authorization", method: "GET", path: "/Users", auth: null, status: 401, scimType: null },
  { name: "no Authorization", method: "POST", path: "/Users", body: user({}), auth: null, status: 401, scimType: null },
  { name: "Bearer without a token", method: "GET", path: "/Groups", auth: "Bearer", status: 401, scimType: null },
  { name: "Basic credentials", method: "GET", path: "/Users/{alice}", auth: "Basic YWRtaW46YWRtaW4=", status: 401, scimType: null },
  { name: "unknown token of the right shape", method: "DELETE", path: "/Users/{alice}", auth: `Bearer rcs_${"A".repeat(43)}`, status: 401, scimType: null },
  { name: "revoked token", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "title", value: "x" }), auth: "Bearer {revoked}", status: 401, scimType: null },
  { name: "token with a character appended", method: "PUT", path: "/Groups/{crew}", body: group({}), auth: "Bearer {token}x", status: 401, scimType: null },
  { name: "token with trailing words", method: "DELETE", path: "/Groups/{crew}", auth: "Bearer {token} extra", status: 401, scimType: null },
  { name: "wrong scheme", method: "POST", path: "/Groups", body: group({}), auth: "Token {token}", status: 401, scimType: null },
  { name: "8 KiB token", method: "POST", path: "/Users/.search", body: {}, auth: `Bearer ${tooLong(8192)}`, status: 401, scimType: null },

  // Users: wrong types per attribute.
  { name: "userName number", method: "POST", path: "/Users", body: user({ userName: 42 }), status: 400, scimType: "invalidValue" },
  { name: "userName object", method: "POST", path: "/Users", body: user({ userName: { value: "a@example.test" } }), status: 400, scimType: "invalidValue" },
  { name: "userName array", method: "POST", path: "/Users", body: user({ userName: ["a@example.test"] }), status: 400, scimType: "invalidValue" },
  { name: "userName empty", method: "POST", path: "/Users", body: user({ userName: "" }), status: 400, scimType: "invalidValue" },
  { name: "userName whitespace", method: "POST", path: "/Users", body: user({ userName: " \t\u2003 " }), status: 400, scimType: "invalidValue" },
  { name: "userName missing", method: "POST", path: "/Users", body: { schemas: [USER], displayName: "No Name" }, status: 400, scimType: "invalidValue" },
  { name: "userName null", method: "POST", path: "/Users", body: user({ userName: null }), status: 400, scimType: "invalidValue" },
  { name: "userName nested 400,000 arrays deep", method: "POST", path: "/Users", raw: json(`{"userName": ${"[".repeat(400_000)}${"]".repeat(400_000)}}`), status: 400, scimType: "invalidSyntax" },
  { name: "userName with a lone surrogate", method: "POST", path: "/Users", body: user({ userName: "a\ud800@example.test" }), status: 400, scimType: "invalidValue" },
  { name: "title with a lone low surrogate", method: "PUT", path: "/Users/{bob}", body: user({ userName: "bob@example.test", title: "x\udc00" }), status: 400, scimType: "invalidValue" },
  { name: "email with a lone surrogate", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "add", path: "emails", value: [{ value: "\ud83d@example.test" }] }), status: 400, scimType: "invalidValue" },
  { name: "group displayName with a lone surrogate", method: "POST", path: "/Groups", body: group({ displayName: "crew\ud800" }), status: 400, scimType: "invalidValue" },
  { name: "userName with U+0000", method: "POST", path: "/Users", body: user({ userName: "nul\u0000@example.test" }), status: 400, scimType: "invalidValue" },
  { name: "userName longer than 512 characters", method: "POST", path: "/Users", body: user({ userName: `${tooLong(600)}@example.test` }), status: 400, scimType: "invalidValue" },
  { name: "title longer than 16,384 characters", method: "POST", path: "/Users", body: user({ title: tooLong(20_000) }), status: 400, scimType: "invalidValue" },
  { name: 'active "yes"', method: "POST", path: "/Users", body: user({ active: "yes" }), status: 400, scimType: "invalidValue" },
  { name: "active 1", method: "POST", path: "/Users", body: user({ active: 1 }), status: 400, scimType: "invalidValue" },
  { name: "emails of numbers", method: "POST", path: "/Users", body: user({ emails: [42] }), status: 400, scimType: "invalidValue" },
  { name: "emails nested arrays", method: "POST", path: "/Users", body: user({ emails: [[{ value: "a@example.test" }]] }), status: 400, scimType: "invalidValue" },
  { name: "email value an object", method: "POST", path: "/Users", body: user({ emails: [{ value: { address: "a@example.test" } }] }), status: 400, scimType: "invalidValue" },
  { name: 'email primary "maybe"', method: "POST", path: "/Users", body: user({ emails: [{ value: "a@example.test", primary: "maybe" }] }), status: 400, scimType: "invalidValue" },
  { name: "two primary emails", method: "POST", path: "/Users", body: user({ emails: [{ value: "a@example.test", primary: true }, { value: "b@example.test", primary: true }] }), status: 400, scimType: "invalidValue" },
  { name: "name as a string", method: "POST", path: "/Users", body: user({ name: "Ada Lovelace" }), status: 400, scimType: "invalidValue" },
  { name: "name as two objects", method: "POST", path: "/Users", body: user({ name: [{ givenName: "Ada" }, { givenName: "Augusta" }] }), status: 400, scimType: "invalidValue" },
  { name: "name.givenName an object", method: "POST", path: "/Users", body: user({ name: { givenName: { first: "Ada" } } }), status: 400, scimType: "invalidValue" },
  { name: "addresses as a string", method: "POST", path: "/Users", body: user({ addresses: "12 St James's Sq" }), status: 400, scimType: "invalidValue" },
  { name: "roles as a boolean", method: "POST", path: "/Users", body: user({ roles: true }), status: 400, scimType: "invalidValue" },
  { name: "x509Certificates value an array", method: "POST", path: "/Users", body: user({ x509Certificates: { value: ["MIIB"] } }), status: 400, scimType: "invalidValue" },
  { name: "displayName an array of two", method: "POST", path: "/Users", body: user({ displayName: ["A", "B"] }), status: 400, scimType: "invalidValue" },
  { name: "externalId an object", method: "POST", path: "/Users", body: user({ externalId: { id: 1 } }), status: 400, scimType: "invalidValue" },
  { name: "password an object", method: "POST", path: "/Users", body: user({ password: { plain: "secret" } }), status: 400, scimType: "invalidValue" },
  { name: "enterprise extension as a string", method: "POST", path: "/Users", body: user({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: "Maths" }), status: 400, scimType: "invalidValue" },
  { name: "enterprise manager a number", method: "POST", path: "/Users", body: user({ [ENTERPRISE]: { manager: 7 } }), status: 400, scimType: "invalidValue" },
  { name: "enterprise employeeNumber an object", method: "POST", path: "/Users", body: user({ [ENTERPRISE]: { employeeNumber: { n: 1 } } }), status: 400, scimType: "invalidValue" },
  { name: "name as a string", method: "PUT", path: "/Users/{alice}", body: user({ userName: "alice@example.test", name: "Alice" }), status: 400, scimType: "invalidValue" },
  { name: "userName missing", method: "PUT", path: "/Users/{alice}", body: { schemas: [USER], title: "Boss" }, status: 400, scimType: "invalidValue" },
  { name: 'active "no"', method: "PUT", path: "/Users/{alice}", body: user({ userName: "alice@example.test", active: "no" }), status: 400, scimType: "invalidValue" },

  // Uniqueness.
  { name: "duplicate userName", method: "POST", path: "/Users", body: user({ userName: "alice@example.test" }), status: 409, scimType: "uniqueness" },
  { name: "duplicate userName, other case", method: "POST", path: "/Users", body: user({ userName: "ALICE@Example.TEST" }), status: 409, scimType: "uniqueness" },
  { name: "rename onto a taken userName", method: "PUT", path: "/Users/{bob}", body: user({ userName: "Alice@example.test" }), status: 409, scimType: "uniqueness" },
  { name: "rename onto a taken userName", method: "PATCH", path: "/Users/{bob}", body: ops({ op: "replace", path: "userName", value: "alice@example.test" }), status: 409, scimType: "uniqueness" },
  { name: "duplicate displayName", method: "POST", path: "/Groups", body: group({ displayName: "crew" }), status: 409, scimType: "uniqueness" },
  { name: "rename onto a taken displayName", method: "PUT", path: "/Groups/{other}", body: group({ displayName: "CREW" }), status: 409, scimType: "uniqueness" },
  { name: "rename onto a taken displayName", method: "PATCH", path: "/Groups/{other}", body: ops({ op: "replace", path: "displayName", value: "Crew" }), status: 409, scimType: "uniqueness" },

  // User PATCH messages.
  { name: "schemas missing", method: "PATCH", path: "/Users/{alice}", body: { Operations: [{ op: "replace", path: "title", value: "x" }] }, status: 400, scimType: "invalidSyntax" },
  { name: "schemas of a User", method: "PATCH", path: "/Users/{alice}", body: { schemas: [USER], Operations: [{ op: "replace", path: "title", value: "x" }] }, status: 400, scimType: "invalidSyntax" },
  { name: "schemas a string", method: "PATCH", path: "/Users/{alice}", body: { schemas: PATCH, Operations: [{ op: "replace", path: "title", value: "x" }] }, status: 400, scimType: "invalidSyntax" },
  { name: "Operations missing", method: "PATCH", path: "/Users/{alice}", body: { schemas: [PATCH] }, status: 400, scimType: "invalidSyntax" },
  { name: "Operations an object", method: "PATCH", path: "/Users/{alice}", body: { schemas: [PATCH], Operations: { op: "replace", path: "title", value: "x" } }, status: 400, scimType: "invalidSyntax" },
  { name: "Operations empty", method: "PATCH", path: "/Users/{alice}", body: ops(), status: 400, scimType: "invalidSyntax" },
  { name: "operation a number", method: "PATCH", path: "/Users/{alice}", body: ops(42), status: 400, scimType: "invalidSyntax" },
  { name: "1001 operations", method: "PATCH", path: "/Users/{alice}", body: ops(...Array.from({ length: 1001 }, (_, i) => ({ op: "replace", path: "title", value: `t${i}` }))), status: 400, scimType: "invalidSyntax" },
  { name: 'unknown op "move"', method: "PATCH", path: "/Users/{alice}", body: ops({ op: "move", path: "title", value: "x" }), status: 400, scimType: "invalidSyntax" },
  { name: "op missing", method: "PATCH", path: "/Users/{alice}", body: ops({ path: "title", value: "x" }), status: 400, scimType: "invalidSyntax" },
  { name: "remove without a path", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "remove" }), status: 400, scimType: "noTarget" },
  { name: "add without a path, value a string", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "add", value: "x" }), status: 400, scimType: "invalidValue" },
  { name: "replace without a value", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "title" }), status: 400, scimType: "invalidValue" },
  { name: "path empty", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "", value: "x" }), status: 400, scimType: "invalidPath" },
  { name: "path a number", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: 7, value: "x" }), status: 400, scimType: "invalidPath" },
  { name: "path with an unclosed bracket", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: 'emails[type eq "work"', value: "x" }), status: 400, scimType: "invalidPath" },
  { name: "path with a double dot", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "name..givenName", value: "x" }), status: 400, scimType: "invalidPath" },
  { name: "path with trailing words", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "title please", value: "x" }), status: 400, scimType: "invalidPath" },
  { name: "path __proto__", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "add", path: "__proto__", value: { admin: true } }), status: 400, scimType: "invalidPath" },
  { name: "unknown attribute path", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "add", path: "shoeSize", value: "42" }), status: 400, scimType: "invalidPath" },
  { name: "unknown sub-attribute path", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "name.nickname", value: "x" }), status: 400, scimType: "invalidPath" },
  { name: "unknown URN path", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "urn:example:params:scim:schemas:2.0:Custom:title", value: "x" }), status: 400, scimType: "invalidPath" },
  { name: "unknown enterprise attribute", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: `${ENTERPRISE}:salary`, value: "x" }), status: 400, scimType: "invalidPath" },
  { name: "readOnly id", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "id", value: "{bob}" }), status: 400, scimType: "mutability" },
  { name: "readOnly meta.created", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "meta.created", value: "2000-01-01T00:00:00Z" }), status: 400, scimType: "mutability" },
  { name: "readOnly groups", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "add", path: "groups", value: [{ value: "{other}" }] }), status: 400, scimType: "mutability" },
  { name: "required userName removed", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "remove", path: "userName" }), status: 400, scimType: "mutability" },
  { name: "filter on single-valued name", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: 'name[givenName eq "Alice"].familyName', value: "x" }), status: 400, scimType: "invalidPath" },
  { name: "filter on single-valued userName", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "remove", path: 'userName[value eq "x"]' }), status: 400, scimType: "invalidPath" },
  { name: "filter on an unknown sub-attribute", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "remove", path: 'emails[shoe eq "x"]' }), status: 400, scimType: "invalidPath" },
  { name: "filter with constructor", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "remove", path: 'emails[constructor eq "x"]' }), status: 400, scimType: "invalidPath" },
  { name: "remove with a filter matching nothing", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "remove", path: 'emails[type eq "fax"]' }), status: 400, scimType: "noTarget" },
  { name: "remove of a listed value that is not there", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "remove", path: "emails", value: [{ value: "nobody@example.test" }] }), status: 400, scimType: "noTarget" },
  { name: 'active "yes"', method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "active", value: "yes" }), status: 400, scimType: "invalidValue" },
  { name: "userName an object", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "userName", value: { first: "a" } }), status: 400, scimType: "invalidValue" },
  { name: "userName empty", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "userName", value: "" }), status: 400, scimType: "invalidValue" },
  { name: "name a string", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "name", value: "Alice" }), status: 400, scimType: "invalidValue" },
  { name: "emails a number", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "add", path: "emails", value: 42 }), status: 400, scimType: "invalidValue" },
  { name: "two primaries", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "emails", value: [{ value: "a@x.test", primary: true }, { value: "b@x.test", primary: true }] }), status: 400, scimType: "invalidValue" },
  { name: "no-path value with a bad type", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", value: { title: "ok", active: "maybe" } }), status: 400, scimType: "invalidValue" },
  { name: "enterprise extension a string", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "add", path: ENTERPRISE, value: "Maths" }), status: 400, scimType: "invalidValue" },
  { name: "enterprise manager a number", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "add", path: `${ENTERPRISE}:manager`, value: 7 }), status: 400, scimType: "invalidValue" },
  { name: "valid first operation, invalid second", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "title", value: "Changed" }, { op: "replace", path: "active", value: "nope" }), status: 400, scimType: "invalidValue" },
  { name: "valid first operation, bad path second", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "add", path: "emails", value: [{ value: "new@x.test" }] }, { op: "remove", path: "emails[" }), status: 400, scimType: "invalidPath" },
  { name: "valid first operation, unknown op second", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "displayName", value: "A" }, { op: "copy", path: "title" }), status: 400, scimType: "invalidSyntax" },
  { name: "title with U+0000", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "title", value: "a\u0000b" }), status: 400, scimType: "invalidValue" },

  // Group PATCH.
  { name: "remove members by display", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "remove", path: 'members[display eq "alice@example.test"]' }), status: 400, scimType: "invalidFilter" },
  { name: "remove members[value ne]", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "remove", path: 'members[value ne "x"]' }), status: 400, scimType: "invalidFilter" },
  { name: "remove members[value eq and display eq]", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "remove", path: 'members[value eq "{alice}" and display eq "x"]' }), status: 400, scimType: "invalidFilter" },
  { name: "member filter unclosed", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "remove", path: 'members[value eq "{alice}"' }), status: 400, scimType: "invalidPath" },
  { name: "add with a member filter", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "add", path: 'members[value eq "{alice}"]', value: [{ value: "{alice}" }] }), status: 400, scimType: "invalidPath" },
  { name: "members.value path", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "remove", path: "members.value" }), status: 400, scimType: "invalidPath" },
  { name: "filter on displayName", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "replace", path: 'displayName[value eq "x"]', value: "x" }), status: 400, scimType: "invalidPath" },
  { name: "unknown attribute", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "add", path: "owners", value: [{ value: "{alice}" }] }), status: 400, scimType: "invalidPath" },
  { name: "unknown URN", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "replace", path: "urn:example:Group:displayName", value: "x" }), status: 400, scimType: "invalidPath" },
  { name: "readOnly id", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "replace", path: "id", value: "{other}" }), status: 400, scimType: "mutability" },
  { name: "readOnly meta.version", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "replace", path: "meta.version", value: 'W/"1"' }), status: 400, scimType: "mutability" },
  { name: "replace with another group's id", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "replace", value: { id: "{other}", displayName: "Hijacked" } }), status: 400, scimType: "mutability" },
  { name: "displayName null", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "replace", path: "displayName", value: null }), status: 400, scimType: "mutability" },
  { name: "displayName removed", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "remove", path: "displayName" }), status: 400, scimType: "mutability" },
  { name: "displayName empty", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "replace", path: "displayName", value: "" }), status: 400, scimType: "invalidValue" },
  { name: "displayName whitespace, no path", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "replace", value: { displayName: "   " } }), status: 400, scimType: "invalidValue" },
  { name: "displayName a number", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "replace", path: "displayName", value: 7 }), status: 400, scimType: "invalidValue" },
  { name: "externalId an object", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "replace", path: "externalId", value: { id: 1 } }), status: 400, scimType: "invalidValue" },
  { name: "member value a number", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "add", path: "members", value: [{ value: 42 }] }), status: 400, scimType: "invalidValue" },
  { name: "member without a value", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "add", path: "members", value: [{ display: "someone" }] }), status: 400, scimType: "invalidValue" },
  { name: "member value empty", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "replace", path: "members", value: [{ value: "{bob}" }, ""] }), status: 400, scimType: "invalidValue" },
  { name: "member filter with an escaped U+0000", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "remove", path: 'members[value eq "\\u0000"]' }), status: 400, scimType: "invalidPath" },
  { name: "remove without a path", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "remove" }), status: 400, scimType: "noTarget" },
  { name: "schemas missing", method: "PATCH", path: "/Groups/{crew}", body: { Operations: [{ op: "remove", path: "members" }] }, status: 400, scimType: "invalidSyntax" },
  { name: "valid member removal, then an empty displayName", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "remove", path: "members" }, { op: "replace", path: "displayName", value: "" }), status: 400, scimType: "invalidValue" },

  // POST and PUT on Groups.
  { name: "displayName missing", method: "POST", path: "/Groups", body: { schemas: [GROUP], members: [] }, status: 400, scimType: "invalidValue" },
  { name: "displayName an object", method: "POST", path: "/Groups", body: group({ displayName: { en: "G" } }), status: 400, scimType: "invalidValue" },
  { name: "displayName empty", method: "POST", path: "/Groups", body: group({ displayName: "" }), status: 400, scimType: "invalidValue" },
  { name: "externalId an array", method: "POST", path: "/Groups", body: group({ externalId: ["a", "b"] }), status: 400, scimType: "invalidValue" },
  { name: "members of numbers", method: "POST", path: "/Groups", body: group({ members: [42] }), status: 400, scimType: "invalidValue" },
  { name: "member id with U+0000", method: "POST", path: "/Groups", body: group({ members: [{ value: "{bob}\u0000" }] }), status: 400, scimType: "invalidValue" },
  { name: "member value an object", method: "POST", path: "/Groups", body: group({ members: [{ value: { id: "{alice}" } }] }), status: 400, scimType: "invalidValue" },
  { name: "displayName longer than 512 characters", method: "POST", path: "/Groups", body: group({ displayName: tooLong(600) }), status: 400, scimType: "invalidValue" },
  { name: "member value empty", method: "PUT", path: "/Groups/{crew}", body: group({ displayName: "Crew", members: [{ value: "" }] }), status: 400, scimType: "invalidValue" },
  { name: "displayName missing", method: "PUT", path: "/Groups/{crew}", body: { schemas: [GROUP], members: [{ value: "{alice}" }] }, status: 400, scimType: "invalidValue" },

  // Unknown ids and If-Match.
  { name: "unknown id", method: "PUT", path: "/Users/{missing}", body: user({}), status: 404, scimType: null },
  { name: "unknown id", method: "PUT", path: "/Groups/{missing}", body: group({}), status: 404, scimType: null },
  { name: "unknown id", method: "PATCH", path: "/Users/{missing}", body: ops({ op: "replace", path: "title", value: "x" }), status: 404, scimType: null },
  { name: "unknown id", method: "PATCH", path: "/Groups/{missing}", body: ops({ op: "add", path: "members", value: [{ value: "{alice}" }] }), status: 404, scimType: null },
  { name: "unknown id", method: "DELETE", path: "/Users/{missing}", status: 404, scimType: null },
  { name: "unknown id", method: "DELETE", path: "/Groups/{missing}", status: 404, scimType: null },
  { name: "unknown id", method: "GET", path: "/Users/{missing}", status: 404, scimType: null },
  { name: "a group id on /Users", method: "GET", path: "/Users/{crew}", status: 404, scimType: null },
  { name: "a user id on /Groups", method: "DELETE", path: "/Groups/{alice}", status: 404, scimType: null },
  { name: "id with U+0000", method: "GET", path: "/Users/%00", status: 400, scimType: "invalidValue" },
  { name: "id with broken percent-encoding", method: "GET", path: "/Users/%ff", status: 400, scimType: null },
  { name: "id with broken percent-encoding", method: "DELETE", path: "/Groups/%E0%A4%A", status: 400, scimType: null },
  { name: "If-Match mismatch", method: "PUT", path: "/Users/{alice}", body: user({ userName: "alice@example.test" }), headers: { "If-Match": 'W/"999"' }, status: 412, scimType: null },
  { name: "If-Match mismatch", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "replace", path: "title", value: "x" }), headers: { "If-Match": 'W/"999"' }, status: 412, scimType: null },
  { name: "If-Match mismatch", method: "DELETE", path: "/Users/{alice}", headers: { "If-Match": '"999"' }, status: 412, scimType: null },
  { name: "If-Match mismatch", method: "PUT", path: "/Groups/{crew}", body: group({ displayName: "Crew" }), headers: { "If-Match": 'W/"999"' }, status: 412, scimType: null },
  { name: "If-Match mismatch", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "remove", path: "members" }), headers: { "If-Match": 'W/"999"' }, status: 412, scimType: null },
  { name: "If-Match mismatch", method: "DELETE", path: "/Groups/{crew}", headers: { "If-Match": 'W/"999"' }, status: 412, scimType: null },
  { name: "If-Match not an ETag", method: "DELETE", path: "/Users/{alice}", headers: { "If-Match": "yesterday" }, status: 412, scimType: null },
  { name: "If-Match with a non-numeric version", method: "PATCH", path: "/Groups/{crew}", body: ops({ op: "remove", path: "members" }), headers: { "If-Match": 'W/"abc"' }, status: 412, scimType: null },

  // List parameters.
  { name: "startIndex=abc", method: "GET", path: "/Users?startIndex=abc", status: 400, scimType: "invalidValue" },
  { name: "count=1.5", method: "GET", path: "/Users?count=1.5", status: 400, scimType: "invalidValue" },
  { name: "count beyond 2^53", method: "GET", path: "/Groups?count=99999999999999999999", status: 400, scimType: "invalidValue" },
  { name: "startIndex given twice", method: "GET", path: "/Users?startIndex=1&startIndex=2", status: 400, scimType: "invalidValue" },
  { name: "sortOrder=sideways", method: "GET", path: "/Users?sortBy=userName&sortOrder=sideways", status: 400, scimType: "invalidValue" },
  { name: "sortBy unknown", method: "GET", path: "/Users?sortBy=shoeSize", status: 400, scimType: "invalidValue" },
  { name: "sortBy password", method: "GET", path: "/Users?sortBy=password", status: 400, scimType: "invalidValue" },
  { name: "sortBy with a value filter", method: "GET", path: `/Users?sortBy=${encodeURIComponent('emails[type eq "work"]')}`, status: 400, scimType: "invalidValue" },
  { name: "sortBy emails.constructor", method: "GET", path: "/Users?sortBy=emails.constructor", status: 400, scimType: "invalidValue" },
  { name: "filter given twice", method: "GET", path: "/Groups?filter=displayName%20pr&filter=id%20pr", status: 400, scimType: "invalidValue" },
  { name: "filter as an object", method: "GET", path: "/Users?filter[userName]=x", status: 400, scimType: "invalidValue" },
  { name: "attributes as an object", method: "GET", path: "/Users/{alice}?attributes[x]=userName", status: 400, scimType: "invalidValue" },
  { name: "count a string", method: "POST", path: "/Users/.search", body: { count: "ten" }, status: 400, scimType: "invalidValue" },
  { name: "startIndex 1.5", method: "POST", path: "/Groups/.search", body: { startIndex: 1.5 }, status: 400, scimType: "invalidValue" },
  { name: "filter a number", method: "POST", path: "/Users/.search", body: { filter: 42 }, status: 400, scimType: "invalidValue" },
  { name: "sortOrder a number", method: "POST", path: "/Users/.search", body: { sortBy: "userName", sortOrder: 1 }, status: 400, scimType: "invalidValue" },
  { name: "attributes of numbers", method: "POST", path: "/Groups/.search", body: { attributes: [1, 2] }, status: 400, scimType: "invalidValue" },

  // Filters.
  { name: "unbalanced parenthesis", method: "GET", path: filter('(userName eq "alice@example.test"'), status: 400, scimType: "invalidFilter" },
  { name: "extra closing parenthesis", method: "GET", path: filter('userName eq "alice@example.test")'), status: 400, scimType: "invalidFilter" },
  { name: "unclosed bracket", method: "GET", path: filter('emails[type eq "work"'), status: 400, scimType: "invalidFilter" },
  { name: "stray closing bracket", method: "GET", path: filter('emails type eq "work"]'), status: 400, scimType: "invalidFilter" },
  { name: "empty parentheses", method: "GET", path: filter("()"), status: 400, scimType: "invalidFilter" },
  { name: "unknown operator", method: "GET", path: filter('userName like "alice%"'), status: 400, scimType: "invalidFilter" },
  { name: "missing value", method: "GET", path: filter("userName eq"), status: 400, scimType: "invalidFilter" },
  { name: "missing attribute", method: "GET", path: filter('eq "alice@example.test"'), status: 400, scimType: "invalidFilter" },
  { name: "unterminated string", method: "GET", path: filter('userName eq "alice'), status: 400, scimType: "invalidFilter" },
  { name: "bad escape", method: "GET", path: filter('userName eq "a\\qb"'), status: 400, scimType: "invalidFilter" },
  { name: "gt on a boolean", method: "GET", path: filter("active gt true"), status: 400, scimType: "invalidFilter" },
  { name: "boolean compared with a word", method: "GET", path: filter("active eq maybe"), status: 400, scimType: "invalidFilter" },
  { name: "co on a boolean value", method: "GET", path: filter("emails.value co true"), status: 400, scimType: "invalidFilter" },
  { name: "gt null", method: "GET", path: filter("userName gt null"), status: 400, scimType: "invalidFilter" },
  { name: "dateTime that is not one", method: "GET", path: filter('meta.created gt "yesterday"'), status: 400, scimType: "invalidFilter" },
  { name: "dateTime that does not exist", method: "GET", path: filter('meta.lastModified lt "2011-02-30T00:00:00Z"'), status: 400, scimType: "invalidFilter" },
  { name: "number out of range", method: "GET", path: filter("externalId eq 1e999"), status: 400, scimType: "invalidFilter" },
  { name: "unknown attribute", method: "GET", path: filter('shoeSize eq "42"'), status: 400, scimType: "invalidFilter" },
  { name: "password", method: "GET", path: filter('password eq "secret"'), status: 400, scimType: "invalidFilter" },
  { name: "constructor", method: "GET", path: filter('constructor eq "x"'), status: 400, scimType: "invalidFilter" },
  { name: "emails.constructor", method: "GET", path: filter('emails.constructor eq "x"'), status: 400, scimType: "invalidFilter" },
  { name: "emails[constructor eq]", method: "GET", path: filter('emails[constructor eq "x"]'), status: 400, scimType: "invalidFilter" },
  { name: "unknown URN", method: "GET", path: filter('urn:example:params:scim:schemas:2.0:Custom:userName eq "x"'), status: 400, scimType: "invalidFilter" },
  { name: "empty URN", method: "GET", path: filter(':userName eq "x"'), status: 400, scimType: "invalidFilter" },
  { name: "sub-attribute of a scalar", method: "GET", path: filter('userName.value eq "x"'), status: 400, scimType: "invalidFilter" },
  { name: "two levels of sub-attributes", method: "GET", path: filter('name.givenName.first eq "x"'), status: 400, scimType: "invalidFilter" },
  { name: "unknown sub-attribute", method: "GET", path: filter('emails.shoe eq "x"'), status: 400, scimType: "invalidFilter" },
  { name: "value path on a scalar", method: "GET", path: filter('userName[value eq "x"]'), status: 400, scimType: "invalidFilter" },
  { name: "nested value paths", method: "GET", path: filter('emails[type[value eq "x"]]'), status: 400, scimType: "invalidFilter" },
  { name: "value path followed by an operator", method: "GET", path: filter('emails[type eq "work"] eq "x"'), status: 400, scimType: "invalidFilter" },
  { name: "trailing tokens", method: "GET", path: filter('userName eq "a" "b"'), status: 400, scimType: "invalidFilter" },
  { name: "pr with a value", method: "GET", path: filter('title pr "x"'), status: 400, scimType: "invalidFilter" },
  { name: "dangling and", method: "GET", path: filter('userName eq "a" and'), status: 400, scimType: "invalidFilter" },
  { name: "leading or", method: "GET", path: filter('or userName eq "a"'), status: 400, scimType: "invalidFilter" },
  { name: "or or", method: "GET", path: filter('userName eq "a" or or userName eq "b"'), status: 400, scimType: "invalidFilter" },
  { name: "not without parentheses", method: "GET", path: filter('not userName eq "a"'), status: 400, scimType: "invalidFilter" },
  { name: "empty filter", method: "GET", path: "/Users?filter=", status: 400, scimType: "invalidFilter" },
  { name: "blank filter", method: "GET", path: filter("   "), status: 400, scimType: "invalidFilter" },
  { name: "5000 characters", method: "GET", path: filter(`userName eq "${tooLong(5000)}"`), status: 400, scimType: "invalidFilter" },
  { name: "remove active (a user is active or not)", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "remove", path: "active" }), status: 400, scimType: "invalidValue" },
  { name: "remove active by its URN", method: "PATCH", path: "/Users/{alice}", body: ops({ op: "remove", path: `${USER}:active` }), status: 400, scimType: "invalidValue" },
  { name: "21 comparisons (budget: 20)", method: "GET", path: filter(Array.from({ length: 21 }, (_, i) => `userName eq "u${i}"`).join(" or ")), status: 400, scimType: "invalidFilter" },
  { name: "5 substring tests (budget: 4)", method: "GET", path: filter(Array.from({ length: 5 }, (_, i) => `displayName co "u${i}"`).join(" or ")), status: 400, scimType: "invalidFilter" },
  { name: "5 substring tests inside a value path", method: "POST", path: "/Users/.search", body: { filter: `emails[${Array.from({ length: 5 }, (_, i) => `value ew "u${i}"`).join(" or ")}]` }, status: 400, scimType: "invalidFilter" },
  { name: "51 nested parentheses", method: "GET", path: filter(`${"(".repeat(51)}userName eq "a"${")".repeat(51)}`), status: 400, scimType: "invalidFilter" },
  { name: "60 nested nots", method: "GET", path: filter(`${"not (".repeat(60)}userName pr${")".repeat(60)}`), status: 400, scimType: "invalidFilter" },
  { name: "value with an escaped U+0000", method: "GET", path: filter('userName eq "\\u0000"'), status: 400, scimType: "invalidFilter" },
  { name: "value with a raw U+0000", method: "GET", path: filter("userName eq a\u0000"), status: 400, scimType: "invalidValue" },
  { name: "unknown attribute", method: "GET", path: filter('owner eq "x"', "/Groups"), status: 400, scimType: "invalidFilter" },
  { name: "members.display gt a boolean", method: "GET", path: filter("members.display gt true", "/Groups"), status: 400, scimType: "invalidFilter" },
  { name: "members[unknown sub-attribute]", method: "GET", path: filter('members[type eq "User"]', "/Groups"), status: 400, scimType: "invalidFilter" },
  { name: "User attribute on Groups", method: "GET", path: filter('userName eq "alice@example.test"', "/Groups"), status: 400, scimType: "invalidFilter" },
  { name: "syntax error", method: "POST", path: "/Users/.search", body: { filter: 'userName eq "a" and (' }, status: 400, scimType: "invalidFilter" },
  { name: "unknown attribute", method: "POST", path: "/Groups/.search", body: { filter: 'displayName eq "Crew" or shoe pr' }, status: 400, scimType: "invalidFilter" },

  // Methods and endpoints.
  { name: "PATCH on the collection", method: "PATCH", path: "/Users", body: ops({ op: "replace", path: "active", value: false }), status: 405, scimType: null },
  { name: "PUT on the collection", method: "PUT", path: "/Users", body: user({}), status: 405, scimType: null },
  { name: "DELETE on the collection", method: "DELETE", path: "/Users", status: 405, scimType: null },
  { name: "POST on a resource", method: "POST", path: "/Users/{alice}", body: user({}), status: 405, scimType: null },
  { name: "DELETE on the collection", method: "DELETE", path: "/Groups", status: 405, scimType: null },
  { name: "POST on a resource", method: "POST", path: "/Groups/{crew}", body: group({}), status: 405, scimType: null },
  { name: "DELETE", method: "DELETE", path: "/ServiceProviderConfig", status: 405, scimType: null },
  { name: "PUT", method: "PUT", path: "/Schemas", body: {}, status: 405, scimType: null },
  { name: "DELETE", method: "DELETE", path: "/ResourceTypes/User", status: 405, scimType: null },
  { name: "unknown endpoint", method: "GET", path: "/Widgets", status: 404, scimType: null },
  { name: "unknown endpoint", method: "POST", path: "/Widgets", body: {}, status: 404, scimType: null },
  { name: "path below a resource", method: "GET", path: "/Users/{alice}/groups", status: 404, scimType: null },
  { name: "unknown schema", method: "GET", path: "/Schemas/urn:example:params:scim:schemas:2.0:Custom", status: 404, scimType: null },
  { name: "unknown resource type", method: "GET", path: "/ResourceTypes/Widget", status: 404, scimType: null },
  { name: "/Me with a SCIM token", method: "GET", path: "/Me", status: 501, scimType: null },
  { name: "/Me without a session or token", method: "GET", path: "/Me", auth: null, status: 401, scimType: null },
  { name: "/Me", method: "PATCH", path: "/Me", body: ops({ op: "replace", path: "title", value: "x" }), status: 501, scimType: null },
  { name: "/Bulk with an unknown method", method: "POST", path: "/Bulk", body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: [{ method: "DELETE", path: "/Users/{alice}" }, { method: "GET", path: "/Users/{alice}" }] }, status: 400, scimType: "invalidSyntax" },
  { name: "/Bulk", method: "GET", path: "/Bulk", status: 405, scimType: null },
];

/** A detail meant for people: no stack frames, no source paths. */
function assertClean(detail: unknown) {
  assert.equal(typeof detail, "string");
  assert.ok((detail as string).trim(), "detail is empty");
  assert.doesNotMatch(detail as string, /^\s+at\s|node_modules|[\\/][\w.-]+\.(?:ts|js|mjs|cjs)\b/m);
}

for (const target of await databaseTargets()) {
  describe(`RFC 7644 §3.12 malformed and hostile requests change nothing (${target.name})`, { skip: target.skip }, () => {
    let h: Harness;
    const values: Record<string, string> = {};
    const fill = (text: string) => text.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);

    before(async () => {
      h = await startHarness(target);
      const alice = await h.as().post("/scim/v2/Users", {
        schemas: [USER, ENTERPRISE], userName: "alice@example.test", name: { givenName: "Alice", familyName: "Liddell" },
        title: "Engineer", emails: [{ value: "alice@example.test", type: "work", primary: true }, { value: "alice@home.test", type: "home" }],
        [ENTERPRISE]: { department: "Maths" },
      }).expect(201);
      const bob = await h.as().post("/scim/v2/Users", { schemas: [USER], userName: "bob@example.test" }).expect(201);
      const crew = await h.as().post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Crew", members: [{ value: alice.body.id }, { value: bob.body.id }] }).expect(201);
      const other = await h.as().post("/scim/v2/Groups", { schemas: [GROUP], displayName: "Other", members: [{ value: bob.body.id }] }).expect(201);
      const system = { type: "system" as const, id: null };
      const old = await createScimToken(h.db, h.orgA.organizationId, { name: "old" }, system);
      await revokeScimToken(h.db, h.orgA.organizationId, old.info.id, system);
      Object.assign(values, {
        alice: alice.body.id, bob: bob.body.id, crew: crew.body.id, other: other.body.id, missing: randomUUID(),
        token: h.orgA.token, revoked: old.token,
      });
    });
    after(() => h?.close());

    it("the table covers at least 120 requests", () => assert.ok(rows.length >= 120, `${rows.length} rows`));

    for (const row of rows) {
      const label = `${row.method} ${row.path.slice(0, 80)}: ${row.name} → ${row.status}${row.scimType ? ` ${row.scimType}` : ""}`;
      it(label, async () => {
        const request = supertest(h.server)[row.method.toLowerCase() as Lowercase<Method>](`/scim/v2${fill(row.path)}`);
        for (const [name, value] of Object.entries(row.headers ?? {})) request.set(name, value);
        if (row.auth !== null) request.set("Authorization", fill(row.auth ?? "Bearer {token}"));
        // Buffers (gzip) must go out byte for byte, not as superagent's JSON rendering of a Buffer.
        if (row.raw) request.set("Content-Type", row.raw.type).serialize((data) => data).send(row.raw.data);
        else if (row.body !== undefined) request.set("Content-Type", SCIM_JSON).send(fill(JSON.stringify(row.body)));

        const before = await snapshot(h.db);
        const res = await request;
        assert.equal(res.status, row.status, JSON.stringify(res.body));
        assert.match(res.headers["content-type"], /^application\/scim\+json/);
        assert.deepEqual(Object.keys(res.body).filter((k) => !["schemas", "status", "scimType", "detail"].includes(k)), []);
        assert.deepEqual(res.body.schemas, [ERROR_SCHEMA]);
        assert.equal(res.body.status, String(row.status));
        assert.equal(res.body.scimType, row.scimType ?? undefined);
        assertClean(res.body.detail);
        assert.equal(await snapshot(h.db), before, "the failed request changed the database");
      });
    }
  });
}
