import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { adminRouter } from "../../src/admin/router.js";
import { openApiPath } from "../../src/admin/openapi.js";
import { Database } from "../../src/db/database.js";
import { AdminHarness, api, startAdminHarness } from "../support/admin.js";
import { databaseTargets } from "../support/databases.js";
import { BASE_URL } from "../support/harness.js";

interface Operation {
  operationId: string;
  parameters?: { name: string; in: string; required: boolean }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
  security: unknown[];
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

/** Method and path of every route the Express router really has, read from its stack. */
function mountedRoutes(db: Database): string[] {
  const router = adminRouter({ db, baseUrl: BASE_URL, logger: pino({ level: "silent" }), secretKey: randomBytes(32), allowInsecureIdp: false });
  return (router.stack as { route?: { path: string; methods: Record<string, boolean> } }[])
    .filter((layer) => layer.route)
    .flatMap(({ route }) => Object.keys(route!.methods).map((method) => `${method} ${openApiPath(route!.path)}`));
}

const [sqlite] = await databaseTargets();

describe("admin API OpenAPI document", () => {
  let h: AdminHarness;
  let doc: Document;
  before(async () => {
    h = await startAdminHarness(sqlite);
    const res = await h.as(h.adminA.token).get(api("/openapi.json")).expect(200);
    doc = res.body;
  });
  after(() => h.close());

  it("describes exactly the routes the router mounts, every one of them", () => {
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`));
    const mounted = mountedRoutes(h.db);
    assert.ok(mounted.length >= 35, `${mounted.length} routes`);
    assert.deepEqual([...documented].sort(), [...mounted].sort());
    const ids = documented.map((op) => {
      const [method, path] = op.split(" ");
      return doc.paths[path][method].operationId;
    });
    assert.equal(new Set(ids).size, ids.length, "operation ids are unique");
  });

  it("is OpenAPI 3.0 with request and answer schemas from the validating zod schemas", () => {
    assert.equal(doc.openapi, "3.0.3");
    const create = doc.paths["/organizations/{orgId}/connections"].post;
    const body = create.requestBody!.content["application/json"].schema as { oneOf: { properties: { type: { enum: string[] } } }[] };
    assert.deepEqual(body.oneOf.map((o) => o.properties.type.enum[0]), ["oidc", "saml"]);
    assert.ok(JSON.stringify(body).includes('"clientSecret"'), "the secret is accepted");
    const answer = JSON.stringify(doc.components.schemas.Connection);
    assert.ok(answer.includes('"spEntityId"') && answer.includes('"clientSecretSet"'));
    assert.ok(!answer.includes('"clientSecret"'), "and never described as returned");
    assert.deepEqual(create.parameters!.map((p) => [p.name, p.in, p.required]), [["orgId", "path", true]]);

    const users = doc.paths["/organizations/{orgId}/users"].get;
    const query = users.parameters!.filter((p) => p.in === "query").map((p) => [p.name, p.required]);
    assert.deepEqual(query, [["search", false], ["userName", false], ["email", false], ["active", false], ["source", false], ["offset", false], ["limit", false]]);

    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        assert.ok(op.responses.default.content!["application/problem+json"], `${method} ${path} documents its problems`);
        const refs = JSON.stringify(op).match(/"\$ref":"([^"]+)"/g) ?? [];
        for (const ref of refs) {
          const name = /#\/components\/schemas\/([^"]+)/.exec(ref)?.[1];
          assert.ok(name && doc.components.schemas[name], `${method} ${path}: ${ref} resolves`);
        }
      }
    }
    assert.deepEqual(doc.paths["/auth/login"].post.security, [], "public routes need no credentials");
    assert.equal(doc.paths["/organizations/{orgId}/teams"].get.security.length, 2);
  });
});
