import { z } from "zod";
import { identityClaimsSchema } from "../apps/op/claims.js";
import { SESSION_COOKIE } from "../web-session.js";
import { problemSchema, PROBLEM_TYPE } from "./problems.js";
import { Route } from "./routing.js";
import { id } from "./schemas.js";

/**
 * The admin API's OpenAPI 3.0 document, generated from the route list the router mounts and from the same zod
 * schemas that validate requests and shape answers (zod's toJSONSchema), so the document cannot drift from the code.
 */

export const API_PREFIX = "/api/v1";

type JsonSchema = Record<string, unknown>;

/** `/organizations/:orgId/teams` → `/organizations/{orgId}/teams` */
export const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

/**
 * Converts a schema; schemas with a `meta({ id })` become shared components, referenced where they are used.
 * Requests are described as clients send them (`input`: defaults optional), answers as the server sends them.
 */
function converter(components: Record<string, JsonSchema>) {
  return (schema: z.ZodType, io: "input" | "output"): JsonSchema => {
    const text = JSON.stringify(z.toJSONSchema(schema, { target: "openapi-3.0", io })).replaceAll('"#/definitions/', '"#/components/schemas/');
    const { definitions, ...converted } = JSON.parse(text) as JsonSchema & { definitions?: Record<string, JsonSchema> };
    Object.assign(components, definitions);
    return converted;
  };
}

export function openApiDocument(routes: Route[], baseUrl: string) {
  const components: Record<string, JsonSchema> = {};
  const convert = converter(components);
  const idSchema = convert(id, "input");
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const query = route.query ? convert(route.query, "input") as { properties?: Record<string, JsonSchema>; required?: string[] } : null;
    const parameters = [
      ...[...route.path.matchAll(/:(\w+)/g)].map(([, name]) => ({ name, in: "path", required: true, schema: idSchema })),
      ...Object.entries(query?.properties ?? {}).map(([name, schema]) => ({ name, in: "query", required: query?.required?.includes(name) ?? false, schema })),
    ];
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: `${route.method}${path.replace(/\{(\w+)\}/g, "By-$1").split(/[^A-Za-z0-9]+/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("")}`,
      summary: route.summary,
      tags: [route.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: convert(route.body, "input") } } } } : {}),
      responses: {
        [route.status]: route.response
          ? { description: "OK", content: { "application/json": { schema: convert(route.response, "output") } } }
          : { description: "Done, nothing to return" },
        default: { description: "A problem (RFC 9457)", content: { [PROBLEM_TYPE]: { schema: { $ref: "#/components/schemas/Problem" } } } },
      },
      security: route.access === "public" ? [] : [{ apiToken: [] }, { session: [] }],
      "x-rollcall-access": route.access,
    };
  }
  convert(problemSchema, "output");
  // Not an admin API answer: what apps receive from the OpenID Provider and forward auth, documented here with the rest.
  convert(identityClaimsSchema, "output");
  return {
    openapi: "3.0.3",
    info: {
      title: "Rollcall admin API",
      version: "1",
      description: "Organizations, SSO connections, SCIM tokens, teams and group mappings, users, groups, audit events. " +
        "Authenticate with a personal API token (Authorization: Bearer) or the session cookie of POST /auth/login; cookie " +
        "requests that change something must send an Origin header of this server. Errors are application/problem+json.",
    },
    servers: [{ url: baseUrl + API_PREFIX }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        apiToken: { type: "http", scheme: "bearer", description: "A personal API token (rca_…)" },
        session: { type: "apiKey", in: "cookie", name: SESSION_COOKIE },
      },
    },
  };
}
