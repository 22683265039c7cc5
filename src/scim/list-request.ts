import { Request } from "express";
import { ResourceColumns } from "../identity/attribute-columns.js";
import { ListQuery } from "../identity/listing.js";
import { Database } from "../db/database.js";
import { invalidSyntax, invalidValue } from "./errors.js";
import { parseFilter } from "./filter/parse.js";
import { filterToSql, sortExpression } from "./filter/sql.js";
import { Projection } from "./projection.js";
import { LIST_RESPONSE_URN, ResourceTypeDef } from "./schemas.js";

/** Paging limits advertised in /ServiceProviderConfig and enforced here. */
export const DEFAULT_COUNT = 100;
export const MAX_RESULTS = 1000;

export interface ListRequest {
  query: ListQuery;
  startIndex: number;
  projection: Projection;
}

/** Query-string values arrive as strings, SearchRequest values as JSON; either way they mean the same. */
type Params = Record<string, unknown>;

function integer(params: Params, name: string, fallback: number): number {
  const raw = params[name];
  if (raw === undefined || raw === "") return fallback;
  const n = typeof raw === "number" ? raw : typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw invalidValue(`${name} must be an integer`);
  return n;
}

function stringParam(params: Params, name: string): string | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== "string") throw invalidValue(`${name} must be a single string`);
  return raw;
}

function list(params: Params, name: string): string[] | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  const items = Array.isArray(raw) ? raw : [raw];
  if (items.some((i) => typeof i !== "string")) throw invalidValue(`${name} must be a list of attribute names`);
  return items.flatMap((i: string) => i.split(",")).map((s) => s.trim()).filter(Boolean);
}

/** Case-insensitive parameter names: Entra sends `startindex`, RFC spells `startIndex`. */
function canonicalParams(raw: Params): Params {
  const names = ["filter", "startIndex", "count", "sortBy", "sortOrder", "attributes", "excludedAttributes"];
  const out: Params = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (name) out[name] = value;
  }
  return out;
}

/** RFC 7644 §3.9 `attributes` / `excludedAttributes`, accepted on every request that returns resources. */
export function readProjection(raw: Params): Projection {
  const params = canonicalParams(raw);
  return { attributes: list(params, "attributes"), excludedAttributes: list(params, "excludedAttributes") };
}

export const projectionOf = (req: Request): Projection => readProjection(req.query as Params);

/** RFC 7644 §3.4.2 list parameters → a storage query (filter and sort compiled to SQL) plus the projection. */
export function readListRequest(raw: unknown, type: ResourceTypeDef, columns: ResourceColumns, db: Database): ListRequest {
  // A POST .search body (RFC 7644 §3.4.3) is a SearchRequest object; an array would read as no parameters at all.
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw invalidSyntax("the search request must be a JSON object");
  const params = canonicalParams(raw as Params);
  const startIndex = Math.max(1, integer(params, "startIndex", 1));
  const count = Math.min(Math.max(0, integer(params, "count", DEFAULT_COUNT)), MAX_RESULTS);
  const filter = stringParam(params, "filter");
  const sortBy = stringParam(params, "sortBy");
  const sortOrder = stringParam(params, "sortOrder")?.toLowerCase();
  if (sortOrder !== undefined && sortOrder !== "ascending" && sortOrder !== "descending") {
    throw invalidValue('sortOrder must be "ascending" or "descending"');
  }
  return {
    startIndex,
    projection: readProjection(params),
    query: {
      condition: filter !== undefined ? filterToSql(parseFilter(filter), columns, db) : undefined,
      sort: sortBy ? { sql: sortExpression(sortBy, columns, db, type.schema), descending: sortOrder === "descending" } : undefined,
      offset: startIndex - 1,
      limit: count,
    },
  };
}

export function listResponse(total: number, startIndex: number, resources: unknown[]) {
  return { schemas: [LIST_RESPONSE_URN], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}
