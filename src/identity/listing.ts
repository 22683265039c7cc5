import { Database } from "../db/database.js";
import { sql } from "../db/sql.js";
import { CountedResource, resourceTotal } from "./resource-counts.js";

/** Where a row sits in the page order: its sort key (null when it has no value), creation time and id. */
export interface Position {
  key: unknown;
  createdAt: string;
  id: string;
}

/** A page request in storage terms; the SCIM door compiles filters and sortBy into it. */
export interface ListQuery {
  /** Parameterised SQL condition over the resource alias (`u` or `g`). */
  condition?: { sql: string; params: Record<string, unknown> };
  /** `notNull`: the expression is never null (a NOT NULL column), so no missing-values-last term goes before it. */
  sort?: { sql: string; descending: boolean; notNull?: boolean };
  /**
   * Index paging skips `offset` rows; cursor paging reads the page after a position (keyset; from the top when
   * null), or the page before one (a walk back).
   */
  start: { offset: number } | { after: Position | null } | { before: Position };
  limit: number;
  /** The condition pins an indexed key (a few rows at most): read at once, not in the organization's turn for scans. */
  selective?: boolean;
  /** The matches counted for an earlier page of this walk (carried in its cursor): a filtered list does not count again. */
  knownTotal?: number;
}

/** One term of the page order, with the position's value for it (keyset paging compares against that). */
interface OrderTerm {
  expr: string;
  descending: boolean;
  value: (p: Position) => unknown;
}

/**
 * The one page order, shared by index and cursor paging: sort key with missing values last (first when
 * descending, RFC 7644 §3.4.2.3), then creation time and id, which never change, so the order is total and stable.
 * The null flag is an integer, not a boolean, because SQLite cannot bind booleans.
 */
function orderTerms(alias: string, sort: ListQuery["sort"]): OrderTerm[] {
  const keyTerms: OrderTerm[] = sort
    ? [
      ...(sort.notNull ? [] : [{ expr: `CASE WHEN (${sort.sql}) IS NULL THEN 1 ELSE 0 END`, descending: sort.descending, value: (p: Position) => (p.key === null ? 1 : 0) }]),
      { expr: sort.sql, descending: sort.descending, value: (p) => p.key },
    ]
    : [];
  return [
    ...keyTerms,
    { expr: `${alias}.created_at`, descending: false, value: (p) => p.createdAt },
    { expr: `${alias}.id`, descending: false, value: (p) => p.id },
  ];
}

/**
 * "Comes after `p` in this order", written out term by term because SQLite and PostgreSQL disagree on row-value
 * comparison with mixed directions and NULLs: t1 > v1 OR (t1 = v1 AND (t2 > v2 OR …)). A null sort key is
 * dropped: the null flag before it already pins the row to the null group, where `= NULL` would never hold.
 * The redundant `t1 >= v1` in front is what an index can seek on: without it, the default order (created_at, id)
 * would scan the organization's index from the start on every page, as OFFSET does.
 */
function afterCondition(terms: OrderTerm[], p: Position): { sql: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = {};
  const compared = terms.filter((t) => t.value(p) !== null).map((t, i) => {
    params[`after${i}`] = t.value(p);
    return { ...t, param: `:after${i}` };
  });
  const text = compared.reduceRight((rest, t) => {
    const beyond = `${t.expr} ${t.descending ? "<" : ">"} ${t.param}`;
    return rest ? `(${beyond} OR (${t.expr} = ${t.param} AND ${rest}))` : beyond;
  }, "");
  const [first] = compared;
  return { sql: `${first.expr} ${first.descending ? "<=" : ">="} ${first.param} AND ${text}`, params };
}

/** The page's ids, and for cursor paging the positions that continue it either way when rows lie beyond. */
export interface PageOfIds {
  total: number;
  ids: string[];
  next?: Position;
  previous?: Position;
}

type Row = { id: string; created_at: string; sort_key?: unknown };
const positionOf = (r: Row): Position => ({ key: r.sort_key ?? null, createdAt: r.created_at, id: r.id });

/**
 * Counts the matches (unfiltered: the kept count, resource-counts.ts; not at all when the first page is not full)
 * and fetches one page of ids, both as scans (Database.scan: in turns by organization, off the
 * event loop on SQLite) unless the query is selective. Index paging uses OFFSET; cursor paging uses a keyset condition,
 * so that rows created or deleted between pages neither repeat nor hide rows that existed throughout. A walk back
 * is the same query in the reversed order, turned round afterwards. Keyset reads one row more than asked, to learn
 * whether rows lie beyond the page.
 */
export async function pageOfIds(
  db: Database,
  table: { from: string; alias: string; counted: CountedResource; creationIndex: string },
  organizationId: string,
  query: ListQuery,
): Promise<PageOfIds> {
  const a = table.alias;
  const where = `${a}.organization_id = :organizationId${query.condition ? ` AND (${query.condition.sql})` : ""}`;
  const params = { ...query.condition?.params, organizationId };
  const read = <T>(text: string, values: Record<string, unknown>) =>
    (query.selective ? sql<T>(db.dataSource.manager, text, values) : db.scan<T>(organizationId, text, values));
  // Unfiltered, the total is the organization's kept count; filtered, the matches are counted, once per cursor walk.
  const count = async () => (!query.condition ? resourceTotal(db.dataSource.manager, organizationId, table.counted)
    : query.knownTotal ?? Number((await read<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table.from} WHERE ${where}`, params))[0].n));
  const { start } = query;
  const offset = "offset" in start ? start.offset : 0;
  // A first page that is not full holds every match, so its length is the total (see below). Any other page counts
  // first, so that an offset beyond the end is answered without walking to it.
  const firstPage = "offset" in start ? offset === 0 : "after" in start && start.after === null;
  const planned = db.dialect === "sqlite" && !query.sort && query.condition && !query.selective;
  let total = firstPage && query.limit > 0 && !planned ? undefined : await count();
  if (total !== undefined && (query.limit === 0 || offset >= total)) return { total, ids: [] };
  // SQLite has no statistics here (the app never runs ANALYZE), so for a filter on an indexed column it reads every
  // match through that index and sorts them by creation: 41,667 row reads for a `name.familyName sw` matching 1/24
  // of 1,000,000 users. Walking the creation-order index instead, filtering row by row, reads about
  // (offset + limit) × rows ÷ matches rows; the count, needed for a full page anyway, says which is fewer.
  const walk = planned && total! ** 2 > (offset + query.limit) * await resourceTotal(db.dataSource.manager, organizationId, table.counted);
  const from = walk ? `${table.from} INDEXED BY ${table.creationIndex}` : table.from;

  const back = "before" in start;
  const forward = orderTerms(a, query.sort);
  const terms = back ? forward.map((t) => ({ ...t, descending: !t.descending })) : forward;
  const position = "before" in start ? start.before : "after" in start ? start.after : null;
  const keyset = !("offset" in start);
  const beyond = position ? afterCondition(terms, position) : undefined;
  const rows = await read<Row>(
    `SELECT ${a}.id AS id, ${a}.created_at AS created_at${query.sort ? `, ${query.sort.sql} AS sort_key` : ""}
     FROM ${from} WHERE ${where}${beyond ? ` AND ${beyond.sql}` : ""}
     ORDER BY ${terms.map((t) => `${t.expr} ${t.descending ? "DESC" : "ASC"}`).join(", ")}
     LIMIT :limit OFFSET :offset`,
    { ...params, ...beyond?.params, limit: keyset ? query.limit + 1 : query.limit, offset });
  const more = keyset && rows.length > query.limit;
  const page = back ? rows.slice(0, query.limit).reverse() : rows.slice(0, query.limit);
  // An import probe (`userName eq`, 0 or 1 match) thus costs one statement, not a COUNT and then the page.
  total ??= page.length < query.limit || (keyset && !more) ? page.length : await count();
  const [first, last] = [page[0], page.at(-1)];
  // Going forward, rows lie before the page whenever it did not start at the top; going back, after it always.
  const hasPrevious = back ? more : keyset && position !== null;
  const hasNext = back ? true : more;
  return {
    total,
    ids: page.map((r) => r.id),
    ...(hasNext && last ? { next: positionOf(last) } : {}),
    ...(hasPrevious && first ? { previous: positionOf(first) } : {}),
  };
}

/** Puts loaded rows back in the order the page query returned their ids. */
export function inOrder<T extends { id: string }>(ids: string[], items: T[]): T[] {
  const byId = new Map(items.map((item) => [item.id, item]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
