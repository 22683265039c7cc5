/**
 * Evaluates a value filter (`type eq "work" and value co "@x"`) against ONE element of a multi-valued attribute, for
 * PATCH paths like `emails[type eq "work"]`. Tables are never filtered in memory: lists go through sql.ts. The
 * semantics mirror sql.ts: an absent value fails every test but `ne` and `not`; `eq null` means absent.
 */
import { foldCase } from "../../identity/text.js";
import { invalidFilter } from "../errors.js";
import type { CompareOp, FilterNode } from "./parse.js";

type Element = Record<string, unknown>;

/** RFC 7643 §2.1: attribute names are case-insensitive, so `Value` finds `value`. */
function lookup(element: Element, name: string): unknown {
  const key = Object.keys(element).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : element[key];
}

const isPresent = (v: unknown) => v !== undefined && v !== null && v !== "";

/** Compares one present value; a literal of another type never matches (so `ne` does). */
function compare(actual: unknown, op: CompareOp, literal: string | number | boolean, exact: boolean): boolean {
  if (typeof actual === "boolean") {
    // Entra's "False" is a boolean here, as in SQL.
    const b = typeof literal === "string" && /^(true|false)$/i.test(literal) ? literal.toLowerCase() === "true" : literal;
    if (op !== "eq" && op !== "ne") throw invalidFilter(`${op} does not apply to booleans`);
    return (actual === b) === (op === "eq");
  }
  let a: string | number;
  let l: string | number;
  if (typeof actual === "number" && typeof literal === "number") [a, l] = [actual, literal];
  else if (typeof actual === "string" && typeof literal === "string") [a, l] = exact ? [actual, literal] : [foldCase(actual), foldCase(literal)];
  else return op === "ne";
  switch (op) {
    case "eq": return a === l;
    case "ne": return a !== l;
    case "co": return typeof a === "string" && a.includes(l as string);
    case "sw": return typeof a === "string" && a.startsWith(l as string);
    case "ew": return typeof a === "string" && a.endsWith(l as string);
    case "gt": return a > l;
    case "ge": return a >= l;
    case "lt": return a < l;
    case "le": return a <= l;
  }
}

/**
 * True when `element` satisfies `filter`, whose paths are relative to the element. Strings compare
 * case-insensitively unless `caseExact(name)` (the sub-attribute's schema flag) says otherwise.
 */
export function matchesElement(filter: FilterNode, element: Element, caseExact: (name: string) => boolean = () => false): boolean {
  switch (filter.kind) {
    case "and": return matchesElement(filter.left, element, caseExact) && matchesElement(filter.right, element, caseExact);
    case "or": return matchesElement(filter.left, element, caseExact) || matchesElement(filter.right, element, caseExact);
    case "not": return !matchesElement(filter.filter, element, caseExact);
    case "present": return isPresent(lookup(element, filter.path.name));
    case "valuePath": throw invalidFilter("value paths cannot nest inside brackets");
    case "compare": {
      const actual = lookup(element, filter.path.name);
      if (filter.value === null) {
        if (filter.op === "eq" || filter.op === "ne") return isPresent(actual) === (filter.op === "ne");
        throw invalidFilter(`${filter.op} null: only eq, ne and pr test for absence`);
      }
      if (!isPresent(actual)) return filter.op === "ne";
      return compare(actual, filter.op, filter.value, caseExact(filter.path.name));
    }
  }
}
