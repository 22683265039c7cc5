import { Request } from "express";
import { ResourceColumns } from "../identity/attribute-columns.js";
import { ListQuery, Position } from "../identity/listing.js";
import { Database } from "../db/database.js";
import { ScimDeps } from "./context.js";
import { CursorScope, openCursor, sealCursor } from "./cursor.js";
import { invalidSyntax, invalidValue, ScimError } from "./errors.js";
import { assertFilterWithinBudget, isSelective } from "./filter/budget.js";
import { FilterNode, parseFilter } from "./filter/parse.js";
import { filterToSql, sortExpression } from "./filter/sql.js";
import { Projection } from "./projection.js";
import { LIST_RESPONSE_URN, ResourceTypeDef } from "./schemas.js";

/** Paging limits advertised in /ServiceProviderConfig and enforced here. */
export const DEFAULT_COUNT = 100;
export const MAX_RESULTS = 1000;

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
  const names = ["filter", "startIndex", "count", "cursor", "sortBy", "sortOrder", "attributes", "excludedAttributes"];
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

/** The list parameters of RFC 7644 §3.4.2 and RFC 9865, checked but not yet compiled for a resource type. */
export interface SearchParams {
  filter?: FilterNode;
  /** As sent: a cursor is bound to the filter and sort the client sent. */
  filterText?: string;
  sortBy?: string;
  descending: boolean;
  count: number;
  /** Index paging from a 1-based startIndex, or cursor paging ("" asks for the first page). */
  paging: { startIndex: number } | { cursor: string };
  projection: Projection;
}

/** RFC 9865 §2: with cursors, `count` must be a positive integer no larger than maxPageSize. */
function cursorCount(params: Params): number {
  const invalidCount = () => new ScimError(400, "invalidCount", `count must be an integer from 1 to ${MAX_RESULTS} with cursor paging`);
  let count: number;
  try {
    count = integer(params, "count", DEFAULT_COUNT);
  } catch {
    throw invalidCount();
  }
  if (count < 1 || count > MAX_RESULTS) throw invalidCount();
  return count;
}

/** Reads a query string or SearchRequest body (RFC 7644 §3.4.3); the filter is parsed, 400 invalidFilter if it cannot be. */
export function readSearchParams(raw: unknown): SearchParams {
  // A POST .search body is a SearchRequest object; an array would read as no parameters at all.
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw invalidSyntax("the search request must be a JSON object");
  const params = canonicalParams(raw as Params);
  const filterText = stringParam(params, "filter");
  const sortBy = stringParam(params, "sortBy");
  const sortOrder = stringParam(params, "sortOrder")?.toLowerCase();
  if (sortOrder !== undefined && sortOrder !== "ascending" && sortOrder !== "descending") {
    throw invalidValue('sortOrder must be "ascending" or "descending"');
  }
  const { cursor } = params;
  if (cursor !== undefined && typeof cursor !== "string") throw new ScimError(400, "invalidCursor", "cursor must be a single string");
  if (cursor !== undefined && params.startIndex !== undefined) {
    throw invalidValue("startIndex (index paging) and cursor (cursor paging) cannot be combined; send one of them");
  }
  const filter = filterText !== undefined ? parseFilter(filterText) : undefined;
  if (filter) assertFilterWithinBudget(filter);
  return {
    filter,
    filterText,
    sortBy: sortBy || undefined,
    descending: sortOrder === "descending",
    count: cursor !== undefined ? cursorCount(params) : Math.min(Math.max(0, integer(params, "count", DEFAULT_COUNT)), MAX_RESULTS),
    paging: cursor !== undefined ? { cursor } : { startIndex: Math.max(1, integer(params, "startIndex", 1)) },
    projection: readProjection(params),
  };
}

/** The filter as SQL over one resource type's columns; 400 invalidFilter when it names what the type lacks. */
export const compileFilter = (search: SearchParams, columns: ResourceColumns, db: Database): ListQuery["condition"] =>
  search.filter ? filterToSql(search.filter, columns, db) : undefined;

/** sortBy as SQL over one resource type's columns; 400 invalidValue when the type lacks the attribute. */
export const compileSort = (search: SearchParams, type: ResourceTypeDef, columns: ResourceColumns, db: Database): ListQuery["sort"] =>
  search.sortBy ? { sql: sortExpression(search.sortBy, columns, db, type.schema), descending: search.descending } : undefined;

export function listResponse(total: number, startIndex: number, resources: unknown[]) {
  return { schemas: [LIST_RESPONSE_URN], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** Where a cursor says to read (from the top for "", else after or before the position it carries), and the walk's total. */
function startOf(secretKey: Buffer, scope: CursorScope, cursor: string): Pick<ListQuery, "start" | "knownTotal"> {
  if (cursor === "") return { start: { after: null } };
  const { position, direction, total } = openCursor(secretKey, scope, cursor);
  return { start: direction === "before" ? { before: position } : { after: position }, knownTotal: total };
}

/** Whether the filter asks only for what changed since a time: `meta.lastModified gt|ge …`, alone or in an `and`. */
function changedSince(filter: FilterNode | undefined): boolean {
  if (!filter) return false;
  if (filter.kind === "and") return changedSince(filter.left) || changedSince(filter.right);
  return filter.kind === "compare" && (filter.op === "gt" || filter.op === "ge")
    && filter.path.name.toLowerCase() === "meta" && filter.path.sub?.toLowerCase() === "lastmodified";
}

/**
 * The order of a cursor walk with no sortBy: by creation, except for an incremental sync (changedSince), which walks
 * by last modification so that each page is a seek in (organization_id, updated_at, created_at, id), not a sort of
 * every change since then. A row changed during the walk moves past the cursor and is served again, never skipped.
 * Index paging keeps the creation order: there, a row moving to the end would shift a later one onto a page
 * already served.
 */
function cursorOrder(search: SearchParams, columns: ResourceColumns, compiled: ListQuery["sort"]): ListQuery["sort"] {
  const lastModified = columns.attributes["meta.lastmodified"];
  if (compiled || !changedSince(search.filter) || lastModified?.kind !== "scalar") return compiled;
  return { sql: lastModified.sql, descending: false, notNull: true };
}

export interface ListRequest {
  query: ListQuery;
  projection: Projection;
  /** The ListResponse for the page `query` fetched: startIndex for index paging, nextCursor for cursor paging. */
  response(page: { total: number; next?: Position; previous?: Position }, resources: unknown[]): Record<string, unknown>;
}

/**
 * List parameters for one resource type of one organization → a storage query, the projection, and how to answer.
 * Cursor responses carry no startIndex (RFC 9865 §2); nextCursor is omitted on the last page and previousCursor on
 * the first. totalResults is always sent: counted on the first page of a cursor walk and carried by its cursors after
 * that (RFC 9865 leaves totalResults to the provider), so a walk counts its matches once.
 */
export function readListRequest(raw: unknown, type: ResourceTypeDef, columns: ResourceColumns, deps: Pick<ScimDeps, "db" | "secretKey">, organizationId: string): ListRequest {
  const search = readSearchParams(raw);
  const compiled = {
    condition: compileFilter(search, columns, deps.db), sort: compileSort(search, type, columns, deps.db),
    selective: isSelective(search.filter, type.id),
  };
  const { projection, count, paging } = search;
  if ("startIndex" in paging) {
    return {
      projection,
      query: { ...compiled, start: { offset: paging.startIndex - 1 }, limit: count },
      response: (page, resources) => listResponse(page.total, paging.startIndex, resources),
    };
  }
  const scope: CursorScope = { resourceType: type.id, organizationId, filter: search.filterText, sortBy: search.sortBy, descending: search.descending };
  return {
    projection,
    query: { ...compiled, sort: cursorOrder(search, columns, compiled.sort), ...startOf(deps.secretKey, scope, paging.cursor), limit: count },
    response: (page, resources) => ({
      schemas: [LIST_RESPONSE_URN], totalResults: page.total, itemsPerPage: resources.length,
      ...(page.next ? { nextCursor: sealCursor(deps.secretKey, scope, page.next, "after", page.total) } : {}),
      ...(page.previous ? { previousCursor: sealCursor(deps.secretKey, scope, page.previous, "before", page.total) } : {}),
      Resources: resources,
    }),
  };
}
