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

/** Attributes with an index by organization: an `eq` on one finds a handful of rows at most. */
const INDEXED_KEYS: Record<"User" | "Group", Set<string>> = {
  User: new Set(["username", "externalid", "id"]),
  Group: new Set(["displayname", "externalid", "id"]),
};

/**
 * Whether the filter pins an indexed key (`userName eq "…"`, alone or and-ed with anything): such a page costs an
 * index lookup, so it is read at once rather than waiting its organization's turn with the scans (Okta and Entra
 * probe `userName eq` before every create).
 */
export function isSelective(filter: FilterNode | undefined, resourceType: "User" | "Group"): boolean {
  if (!filter) return false;
  if (filter.kind === "and") return isSelective(filter.left, resourceType) || isSelective(filter.right, resourceType);
  return filter.kind === "compare" && filter.op === "eq" && filter.value !== null && filter.path.sub === undefined
    && INDEXED_KEYS[resourceType].has(filter.path.name.toLowerCase());
}
