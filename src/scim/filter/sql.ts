/**
 * Filter tree → parameterised SQL over the columns of attribute-columns.ts (SCIM notes §3.4). Values are always
 * bound (`:f1`, TypeORM named parameters), never spliced into the text.
 *
 * Missing values: a comparison with an absent value is false, except `ne`: `title ne "x"` matches users without a
 * title, exactly like `not (title eq "x")`. NOT is written `NOT COALESCE((…), FALSE)` so that SQL's unknown (NULL)
 * counts as "not matched" before negation. `x eq null` means "x is not present" (`not (x pr)`), `x ne null` means
 * `x pr`. Multi-valued attributes follow RFC 7644 §3.4.2.2, "any value matches": `emails.value ne "x"` is "some
 * email is not x", whereas `not (emails.value eq "x")` is "no email is x"; `emails eq null` is "no emails".
 */
import type { ChildRows, ResourceColumns, ScalarColumn, StoredAttribute } from "../../identity/attribute-columns.js";
import { correlation, groupColumns, userColumns } from "../../identity/attribute-columns.js";
import type { Database } from "../../db/database.js";
import { FOLDED_PREFIX_LENGTH, foldCase } from "../../identity/text.js";
import { invalidFilter, invalidValue, ScimError } from "../errors.js";
import { GROUP_URN, USER_URN } from "../schemas.js";
import { parsePatchPath, type AttrPath, type CompareOp, type FilterNode } from "./parse.js";

export interface SqlCondition { sql: string; params: Record<string, unknown> }
type Db = Pick<Database, "dialect" | "fold">;
type Test = Extract<FilterNode, { kind: "present" | "compare" }>;

/** A path resolved against the map: a column, or a column of the child rows of a multi-valued attribute. */
export type ResolvedAttribute =
  | { kind: "scalar"; column: ScalarColumn }
  /** `column` is the named sub-attribute, or `value` when the attribute was named alone (`sub` undefined). */
  | { kind: "multi"; rows: ChildRows; column: ScalarColumn; sub?: string };

/** A map entry by name: a filter naming `constructor` must not find Object.prototype's. */
const own = <T>(map: Record<string, T>, key: string): T | undefined => (Object.hasOwn(map, key) ? map[key] : undefined);

const display = (p: AttrPath) => `${p.uri ? `${p.uri}:` : ""}${p.name}${p.sub ? `.${p.sub}` : ""}`;

/** The core schema whose URN prefix names may carry, for the two maps we know. */
const coreSchemaOf = (columns: ResourceColumns) => (columns === groupColumns ? GROUP_URN : columns === userColumns ? USER_URN : "");

/** `urn:…:2.0:user:manager.value` → `urn:…:2.0:user:manager` (URNs contain dots, so split after the last colon). */
function baseOf(key: string): string {
  const dot = key.indexOf(".", key.lastIndexOf(":") + 1);
  return dot < 0 ? key : key.slice(0, dot);
}

/**
 * Case-insensitive lookup. An extension attribute may go without its URN when one extension alone has it (Entra
 * filters `manager eq "…"`), and a single-valued complex attribute named alone means its `value` (`manager` →
 * `manager.value`). Unknown names and sub-attributes of scalars are 400 invalidFilter.
 */
export function resolveAttribute(path: AttrPath, columns: ResourceColumns, resourceSchemaUrn = coreSchemaOf(columns)): ResolvedAttribute {
  const attrs: Record<string, StoredAttribute> = columns.attributes;
  const uri = path.uri?.toLowerCase();
  const sub = path.sub?.toLowerCase();
  let base = path.name.toLowerCase();
  if (uri !== undefined && uri !== resourceSchemaUrn.toLowerCase()) base = `${uri}:${base}`;
  else if (uri === undefined && !Object.keys(attrs).some((k) => baseOf(k) === base)) {
    const extensions = new Set(Object.keys(attrs).map(baseOf).filter((k) => k.endsWith(`:${base}`)));
    if (extensions.size === 1) [base] = extensions;
  }
  const whole = own(attrs, base);
  if (whole?.kind === "multi") {
    const column = own(whole.subAttributes, sub ?? "value");
    if (!column) throw invalidFilter(`Unknown sub-attribute '${display(path)}'`);
    return { kind: "multi", rows: whole, column, ...(path.sub !== undefined ? { sub: path.sub } : {}) };
  }
  if (whole && sub !== undefined) throw invalidFilter(`'${display(path)}': ${path.name} has no sub-attributes`);
  const scalar = whole ?? own(attrs, `${base}.${sub ?? "value"}`);
  if (scalar?.kind !== "scalar") throw invalidFilter(`Unknown attribute '${display(path)}'`);
  return { kind: "scalar", column: scalar };
}

/**
 * The columns of a single-valued complex attribute of the core schema named alone (`name`, `meta`): stored as one
 * column per sub-attribute, with no column of its own. Empty for any other path.
 */
function complexParts(path: AttrPath, columns: ResourceColumns, schemaUrn: string): ScalarColumn[] {
  if (path.sub !== undefined || (path.uri !== undefined && path.uri.toLowerCase() !== schemaUrn.toLowerCase())) return [];
  const attrs: Record<string, StoredAttribute> = columns.attributes;
  const name = path.name.toLowerCase();
  if (own(attrs, name)) return [];
  return Object.entries(attrs).filter(([key, a]) => key.startsWith(`${name}.`) && a.kind === "scalar").map(([, a]) => a as ScalarColumn);
}

/** "Some child row satisfies condition", as a semi-join (see ChildRows). `:organizationId` is bound by the list query. */
const exists = (rows: ChildRows, condition?: string) =>
  `${rows.outer} IN (SELECT ${rows.key} FROM ${rows.from} WHERE ${rows.organization} = :organizationId`
  + `${rows.where ? ` AND ${rows.where}` : ""}${condition ? ` AND ${condition}` : ""})`;

/** PostgreSQL orders text by the database's locale; "C" gives code-point order, as SQLite does. */
const ordered = (expr: string, column: ScalarColumn, db: Db) =>
  db.dialect === "postgres" && column.type !== "boolean" && column.type !== "integer" ? `${expr} COLLATE "C"` : expr;

const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i;

/** The stored form of a dateTime literal (toISOString), so that comparing text compares instants. */
function normaliseDateTime(value: unknown, label: string): string {
  const m = typeof value === "string" ? ISO_DATE_TIME.exec(value.trim()) : null;
  // Entra sends 7-digit fractions and year 0001: JS reads 3 digits at most, and no zone would mean local time.
  const date = m && new Date(`${m[1]}T${m[2]}${(m[3] ?? "").slice(0, 4)}${m[4] ?? "Z"}`);
  // Date rolls 2011-02-30 over into March; reject a calendar date that does not survive the round trip.
  if (!m || !date || Number.isNaN(date.getTime()) || new Date(`${m[1]}T00:00:00Z`).toISOString().slice(0, 10) !== m[1]) {
    throw invalidFilter(`'${label}' is a dateTime; ${JSON.stringify(value)} is not an ISO 8601 date and time`);
  }
  return date.toISOString();
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
const LIKE: Partial<Record<CompareOp, (s: string) => string>> = {
  co: (s) => `%${escapeLike(s)}%`, sw: (s) => `${escapeLike(s)}%`, ew: (s) => `%${escapeLike(s)}`,
};
const ORDER: Partial<Record<CompareOp, string>> = { gt: ">", ge: ">=", lt: "<", le: "<=" };

class Compiler {
  readonly params: Record<string, unknown> = {};
  private count = 0;

  constructor(
    private readonly columns: ResourceColumns,
    private readonly db: Db,
    private readonly prefix: string,
    private readonly schemaUrn: string,
  ) {}

  /** `element` is set inside brackets: names there are sub-attributes of one row of that attribute. */
  compile(node: FilterNode, element?: { rows: ChildRows; path: AttrPath }): string {
    switch (node.kind) {
      case "and":
      case "or":
        return `(${this.compile(node.left, element)} ${node.kind.toUpperCase()} ${this.compile(node.right, element)})`;
      case "not":
        return `NOT COALESCE((${this.compile(node.filter, element)}), FALSE)`;
      case "valuePath": {
        const target = resolveAttribute(node.path, this.columns, this.schemaUrn);
        if (target.kind !== "multi") throw invalidFilter(`'${display(node.path)}' is not multi-valued; brackets do not apply`);
        return exists(target.rows, this.compile(node.filter, { rows: target.rows, path: node.path }));
      }
      default: {
        if (element) {
          const label = display({ ...element.path, sub: node.path.name });
          const column = own(element.rows.subAttributes, node.path.name.toLowerCase());
          if (!column) throw invalidFilter(`Unknown sub-attribute '${label}'`);
          return this.test(node, column, label);
        }
        const parts = node.kind === "present" || node.value === null ? complexParts(node.path, this.columns, this.schemaUrn) : [];
        if (parts.length) return this.anyPart(node, parts);
        const target = resolveAttribute(node.path, this.columns, this.schemaUrn);
        return target.kind === "scalar" ? this.test(node, target.column, display(node.path)) : this.anyElement(node, target);
      }
    }
  }

  /**
   * `name pr`, `meta pr` (RFC 7644 §3.4.2.2: a complex attribute is present when any of its sub-attributes is);
   * `name eq null` is its negation, `name ne null` the same as `pr`.
   */
  private anyPart(node: Test, parts: ScalarColumn[]): string {
    const present = `(${parts.map((column) => this.test({ kind: "present", path: node.path }, column, display(node.path))).join(" OR ")})`;
    return node.kind === "compare" && node.op === "eq" ? `NOT ${present}` : present;
  }

  /** A test on a multi-valued attribute outside brackets: some element passes it. */
  private anyElement(node: Test, target: Extract<ResolvedAttribute, { kind: "multi" }>): string {
    const label = display(node.path);
    // Named alone, the attribute is present when it has any element at all (addresses have no `value`).
    const present = exists(target.rows, target.sub === undefined ? undefined : this.test({ kind: "present", path: node.path }, target.column, label));
    if (node.kind === "present" || (node.value === null && node.op === "ne")) return present;
    if (node.value === null && node.op === "eq") return `NOT ${present}`;
    return exists(target.rows, this.test(node, target.column, label));
  }

  /** One present/compare test on one column (of the resource row, or of a child row inside EXISTS). */
  private test(node: Test, column: ScalarColumn, label: string): string {
    const col = column.sql;
    const present = column.type === "string" ? `(${col} IS NOT NULL AND ${col} <> '')` : `${col} IS NOT NULL`;
    if (node.kind === "present") return present;
    const { op, value } = node;
    if (value === null) {
      if (op === "eq") return column.type === "string" ? `(${col} IS NULL OR ${col} = '')` : `${col} IS NULL`;
      if (op === "ne") return present;
      throw invalidFilter(`'${label} ${op} null': only eq, ne and pr test for absence`);
    }
    if (op === "sw") {
      const range = this.prefixRange(column, value);
      if (range) return range;
    }
    const { expr, param } = this.operand(column, value, op, label);
    if (op === "eq") return `${expr} = ${param}`;
    if (op === "ne") return `(${col} IS NULL OR ${expr} <> ${param})`;
    if (LIKE[op]) return `${expr} LIKE ${param} ESCAPE '\\'`;
    return `${ordered(expr, column, this.db)} ${ORDER[op]} ${param}`;
  }

  /**
   * `sw` on a folded, indexed column as the range of its index that holds the prefix: lo ≤ x < hi, where hi is the
   * prefix with its last code point raised by one. SQLite compares text by code point (BINARY), where that range is
   * exactly the strings that start with the prefix; its LIKE would not use the index (a bound pattern, ESCAPE). On
   * PostgreSQL, whose collation may order otherwise, LIKE stays. Null when the range does not apply.
   */
  private prefixRange(column: ScalarColumn, value: string | number | boolean): string | null {
    const expr = column.folded ? column.sql : column.foldedPrefix;
    if (!expr || column.caseExact || column.type !== "string" || this.db.dialect !== "sqlite") return null;
    if (typeof value !== "string" && typeof value !== "number") return null;
    const prefix = foldCase(String(value));
    const points = Array.from(prefix);
    const last = points.at(-1)?.codePointAt(0);
    if (last === undefined || last >= 0x10ffff || (last >= 0xd7ff && last < 0xe000)) return null;
    if (!column.folded && prefix.length > FOLDED_PREFIX_LENGTH) return null;
    const above = points.slice(0, -1).join("") + String.fromCodePoint(last + 1);
    return `(${expr} >= ${this.bind(prefix)} AND ${expr} < ${this.bind(above)})`;
  }

  /** Checks the literal against the attribute's type and binds it in the column's form (folded, ISO, 1/0, pattern). */
  private operand(column: ScalarColumn, value: string | number | boolean, op: CompareOp, label: string): { expr: string; param: string } {
    const mismatch = (what: string) => invalidFilter(`'${label}' is ${what}; cannot apply ${op} ${JSON.stringify(value)}`);
    switch (column.type) {
      case "boolean": {
        // Entra sends "False": strings spelling a boolean count as booleans.
        const b = typeof value === "string" && /^(true|false)$/i.test(value) ? value.toLowerCase() === "true" : value;
        if (typeof b !== "boolean") throw mismatch("a boolean");
        if (op !== "eq" && op !== "ne") throw mismatch("a boolean (only eq, ne and pr apply)");
        return { expr: column.sql, param: this.bind(this.db.dialect === "sqlite" ? Number(b) : b) };
      }
      case "integer":
        if (typeof value !== "number") throw mismatch("a number");
        if (LIKE[op]) throw mismatch("a number (co, sw and ew apply to strings)");
        return { expr: column.sql, param: this.bind(value) };
      case "dateTime":
        if (LIKE[op]) throw mismatch("a dateTime (co, sw and ew apply to strings)");
        return { expr: column.sql, param: this.bind(normaliseDateTime(value, label)) };
      default: {
        // Entra sends unquoted values (`externalId eq 12345`), which parse as numbers: on a string they mean text.
        if (typeof value !== "string" && typeof value !== "number") throw mismatch("a string");
        if (column.type === "binary" && ORDER[op]) throw mismatch("binary (gt, ge, lt and le do not apply)");
        const text = column.caseExact ? String(value) : foldCase(String(value));
        // Folded columns already hold foldCase(text): compare them as they are, so their index serves.
        const expr = column.caseExact || column.folded ? column.sql : this.db.fold(column.sql);
        return { expr, param: this.bind(LIKE[op]?.(text) ?? text) };
      }
    }
  }

  private bind(value: unknown): string {
    const name = `${this.prefix}${++this.count}`;
    this.params[name] = value;
    return `:${name}`;
  }
}

/**
 * Compiles a parsed filter for `.andWhere(sql, params)` over the alias of `columns`. Parameter names are
 * `paramPrefix` + a counter, so two conditions in one query need different prefixes. `schemaUrn` is the core
 * schema whose URN may prefix names (known for the user and group maps).
 */
export function filterToSql(node: FilterNode, columns: ResourceColumns, db: Db, paramPrefix = "f", schemaUrn = coreSchemaOf(columns)): SqlCondition {
  const compiler = new Compiler(columns, db, paramPrefix, schemaUrn);
  return { sql: compiler.compile(node), params: compiler.params };
}

/**
 * SQL expression to ORDER BY for `sortBy` (RFC 7644 §3.4.2.3): case-insensitive attributes folded; multi-valued
 * ones by the primary element's value, else the lowest (the map does not expose the order elements were sent in).
 * The caller places NULLs (`ORDER BY (expr) IS NULL, expr`). Unknown names and value filters are 400 invalidValue.
 */
export function sortExpression(sortBy: string, columns: ResourceColumns, db: Db, coreUrn = coreSchemaOf(columns)): string {
  let target: ResolvedAttribute;
  try {
    const parsed = parsePatchPath(sortBy);
    if (parsed.valueFilter) throw invalidValue("value filters cannot sort");
    target = resolveAttribute(parsed.path, columns, coreUrn);
  } catch (e) {
    if (e instanceof ScimError) throw invalidValue(`Cannot sort by '${sortBy}': ${e.message}`);
    throw e;
  }
  const { column } = target;
  const value = column.caseExact || column.folded ? column.sql : db.fold(column.sql);
  if (target.kind === "scalar") return ordered(value, column, db);
  const { rows } = target;
  const primary = rows.subAttributes.primary ? `CASE WHEN ${rows.subAttributes.primary.sql} THEN 0 ELSE 1 END, ` : "";
  const first = `SELECT ${value} FROM ${rows.from} WHERE ${correlation(rows)} AND ${column.sql} IS NOT NULL ORDER BY ${primary}${ordered(value, column, db)} LIMIT 1`;
  return ordered(`(${first})`, column, db);
}
