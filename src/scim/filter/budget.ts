import { invalidFilter } from "../errors.js";
import type { FilterNode } from "./parse.js";

/**
 * What one list filter may cost (issue 9: one tenant's valid queries must not slow the others). IdPs send one to
 * three comparisons; a search screen a handful. Substring tests are the expensive kind: none can use an index, so
 * each reads, and folds, every value of the attribute across the organization (≈40 ms per 30,000 users on SQLite).
 */
export const MAX_FILTER_COMPARISONS = 20;
export const MAX_SUBSTRING_COMPARISONS = 4;
const SUBSTRING = new Set(["co", "sw", "ew"]);

/** 400 invalidFilter naming the limit, for a filter over budget; nothing for one within it. */
export function assertFilterWithinBudget(filter: FilterNode): void {
  let comparisons = 0;
  let substrings = 0;
  const pending = [filter];
  while (pending.length) {
    const node = pending.pop()!;
    if (node.kind === "and" || node.kind === "or") pending.push(node.left, node.right);
    else if (node.kind === "not" || node.kind === "valuePath") pending.push(node.filter);
    else {
      comparisons++;
      if (node.kind === "compare" && SUBSTRING.has(node.op)) substrings++;
    }
  }
  if (comparisons > MAX_FILTER_COMPARISONS) {
    throw invalidFilter(`The filter makes ${comparisons} comparisons; one request may make at most ${MAX_FILTER_COMPARISONS}. Split the search into several requests.`);
  }
  if (substrings > MAX_SUBSTRING_COMPARISONS) {
    throw invalidFilter(`The filter makes ${substrings} substring comparisons (co, sw, ew); one request may make at most ${MAX_SUBSTRING_COMPARISONS}, ` +
      "as each reads every user of the organization. Use eq where you can, or split the search.");
  }
}
