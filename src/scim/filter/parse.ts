/**
 * RFC 7644 §3.4.2.2 filters and §3.5.2 PATCH paths, parsed by hand: scimmy's parser rejects nested groups and escaped
 * quotes and distributes `not` over groups without De Morgan (see the SCIM notes §3.3), so we keep our own tree.
 */
import { ScimError, invalidFilter, invalidPath } from "../errors.js";

/** `uri` is the schema URN when the name was qualified; `name` and `sub` keep the case they were written in. */
export interface AttrPath { uri?: string; name: string; sub?: string }
export type CompareOp = "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "ge" | "lt" | "le";
export type FilterNode =
  | { kind: "and" | "or"; left: FilterNode; right: FilterNode }
  | { kind: "not"; filter: FilterNode }
  | { kind: "compare"; path: AttrPath; op: CompareOp; value: string | number | boolean | null }
  | { kind: "present"; path: AttrPath }
  /**
   * One element of the multi-valued `path` satisfies `filter`, whose paths are relative to the element.
   * `emails[type eq "work"].value eq "x"` is stored as `emails[type eq "work" and value eq "x"]`: one element, both.
   */
  | { kind: "valuePath"; path: AttrPath; filter: FilterNode };

export interface PatchPath { path: AttrPath; valueFilter?: FilterNode; subAttribute?: string }

const MAX_FILTER_LENGTH = 4096;
const MAX_FILTER_DEPTH = 50;

const COMPARE_OPS: ReadonlySet<string> = new Set(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]);
const NAME = "(?:[A-Za-z][A-Za-z0-9_-]*|\\$ref)";
const NAME_RE = new RegExp(`^${NAME}$`);
const PATH_RE = new RegExp(`^(${NAME})(?:\\.(${NAME}))?$`);
const NUMBER_RE = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

interface Token {
  kind: "(" | ")" | "[" | "]" | "string" | "word" | "end";
  text: string;
  /** 1-based character position, for error details. */
  pos: number;
}

/** Words are maximal runs of anything but space, quotes and brackets, so Entra's unquoted `ada@x.test` is one token. */
function tokenize(text: string, fail: (detail: string) => ScimError): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === "(" || c === ")" || c === "[" || c === "]") { tokens.push({ kind: c, text: c, pos: i + 1 }); i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (j >= text.length) throw fail(`unterminated string starting at character ${i + 1}`);
      tokens.push({ kind: "string", text: text.slice(i, j + 1), pos: i + 1 });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s()[\]"]/.test(text[j])) j++;
    tokens.push({ kind: "word", text: text.slice(i, j), pos: i + 1 });
    i = j;
  }
  tokens.push({ kind: "end", text: "end of input", pos: text.length + 1 });
  return tokens;
}

class Parser {
  private tokens: Token[];
  private at = 0;
  private depth = 0;

  constructor(text: string, private readonly fail: (detail: string) => ScimError) {
    if (text.length > MAX_FILTER_LENGTH) throw fail(`longer than ${MAX_FILTER_LENGTH} characters`);
    // PostgreSQL text cannot hold U+0000, so no stored value contains it (nor may a bound parameter).
    if (text.includes("\0")) throw fail("U+0000 is not allowed");
    this.tokens = tokenize(text, fail);
  }

  private peek(): Token { return this.tokens[this.at]; }
  atBracket(): boolean { return this.peek().kind === "["; }
  private next(): Token { return this.tokens[this.at++]; }
  private isWord(word: string): boolean {
    const t = this.peek();
    return t.kind === "word" && t.text.toLowerCase() === word;
  }
  private error(expected: string, t = this.peek()): ScimError {
    const found = t.kind === "end" ? "end of input" : `'${t.text}'`;
    return this.fail(`expected ${expected} at character ${t.pos}, found ${found}`);
  }
  private expect(kind: Token["kind"], what: string): Token {
    if (this.peek().kind !== kind) throw this.error(what);
    return this.next();
  }

  end(): void {
    if (this.peek().kind !== "end") throw this.error("end of input (and/or, or a closing bracket)");
  }

  /** filter := and ("or" and)* — `or` binds loosest. */
  or(inElement: boolean): FilterNode {
    let left = this.and(inElement);
    while (this.isWord("or")) { this.next(); left = { kind: "or", left, right: this.and(inElement) }; }
    return left;
  }

  private and(inElement: boolean): FilterNode {
    let left = this.unary(inElement);
    while (this.isWord("and")) { this.next(); left = { kind: "and", left, right: this.unary(inElement) }; }
    return left;
  }

  /** Groups, `not (…)` and brackets count towards the depth limit, which keeps recursion bounded. */
  private nested<T>(fn: () => T): T {
    if (++this.depth > MAX_FILTER_DEPTH) throw this.fail(`nested deeper than ${MAX_FILTER_DEPTH} levels`);
    const result = fn();
    this.depth--;
    return result;
  }

  private unary(inElement: boolean): FilterNode {
    if (this.peek().kind === "(") return this.group(inElement);
    if (this.isWord("not")) {
      this.next();
      if (this.peek().kind !== "(") throw this.error("'(' after not");
      return { kind: "not", filter: this.group(inElement) };
    }
    return this.attributeExpression(inElement);
  }

  private group(inElement: boolean): FilterNode {
    return this.nested(() => {
      this.expect("(", "'('");
      const inner = this.or(inElement);
      this.expect(")", "')'");
      return inner;
    });
  }

  private attributeExpression(inElement: boolean): FilterNode {
    const start = this.peek();
    const path = this.path(inElement);
    if (!this.atBracket()) return this.operation(path);
    if (inElement) throw this.fail(`value paths cannot nest (character ${this.peek().pos})`);
    if (path.sub !== undefined) throw this.fail(`a value path needs a plain attribute, not '${start.text}'`);
    const filter = this.bracket();
    // `emails[type eq "work"].value eq "x"`: the trailing test joins the bracket's, so one element must pass both.
    const sub = this.subAttribute();
    return { kind: "valuePath", path, filter: sub === undefined ? filter : { kind: "and", left: filter, right: this.operation({ name: sub }) } };
  }

  bracket(): FilterNode {
    return this.nested(() => {
      this.expect("[", "'['");
      const filter = this.or(true);
      this.expect("]", "']'");
      return filter;
    });
  }

  /** A `.name` word right after `]`. */
  subAttribute(): string | undefined {
    const t = this.peek();
    if (t.kind !== "word" || !t.text.startsWith(".")) return undefined;
    this.next();
    const name = t.text.slice(1);
    if (!NAME_RE.test(name)) throw this.error("a sub-attribute name", t);
    return name;
  }

  /** attrPath := [URI ":"] ATTRNAME ["." subAttr]; the URI is everything up to the last colon. */
  path(inElement: boolean): AttrPath {
    const t = this.peek();
    if (t.kind !== "word") throw this.error("an attribute name");
    const colon = t.text.lastIndexOf(":");
    const uri = colon >= 0 ? t.text.slice(0, colon) : undefined;
    const match = PATH_RE.exec(t.text.slice(colon + 1));
    if (!match || uri === "") throw this.error("an attribute name");
    if (inElement && (uri !== undefined || match[2] !== undefined)) {
      throw this.fail(`inside brackets name a sub-attribute of the element, not '${t.text}' (character ${t.pos})`);
    }
    this.next();
    return { ...(uri !== undefined ? { uri } : {}), name: match[1], ...(match[2] !== undefined ? { sub: match[2] } : {}) };
  }

  private operation(path: AttrPath): FilterNode {
    const t = this.peek();
    const op = t.kind === "word" ? t.text.toLowerCase() : "";
    if (op === "pr") { this.next(); return { kind: "present", path }; }
    if (!COMPARE_OPS.has(op)) throw this.error("an operator (eq ne co sw ew gt ge lt le pr)");
    this.next();
    return { kind: "compare", path, op: op as CompareOp, value: this.literal() };
  }

  /** JSON literal, or a bare word (Entra sends `externalId eq jyoung`) taken as a string. */
  private literal(): string | number | boolean | null {
    const t = this.peek();
    if (t.kind === "string") {
      this.next();
      let value: string;
      try {
        value = JSON.parse(t.text) as string;
      } catch {
        throw this.fail(`invalid string literal at character ${t.pos}`);
      }
      // The same for U+0000 written as an escape.
      if (value.includes("\0")) throw this.fail(`U+0000 in the string at character ${t.pos}`);
      return value;
    }
    if (t.kind !== "word" || this.isWord("and") || this.isWord("or")) throw this.error("a value");
    this.next();
    const lower = t.text.toLowerCase();
    if (lower === "true" || lower === "false") return lower === "true";
    if (lower === "null") return null;
    if (!NUMBER_RE.test(t.text)) return t.text;
    const n = Number(t.text);
    if (!Number.isFinite(n)) throw this.fail(`number out of range at character ${t.pos}`);
    return n;
  }
}

/** Parses a `filter` query parameter; every syntax error is a 400 invalidFilter naming the place. */
export function parseFilter(text: string): FilterNode {
  const fail = (detail: string) => invalidFilter(`Invalid filter: ${detail}`);
  if (!text.trim()) throw fail("the filter is empty");
  const parser = new Parser(text, fail);
  const node = parser.or(false);
  parser.end();
  return node;
}

/** Parses a PATCH `path`: attrPath, or valuePath with an optional trailing sub-attribute; errors are invalidPath. */
export function parsePatchPath(text: string): PatchPath {
  const parser = new Parser(text, (detail) => invalidPath(`Invalid path: ${detail}`));
  const path = parser.path(false);
  const result: PatchPath = { path };
  if (parser.atBracket()) {
    if (path.sub !== undefined) throw invalidPath(`Invalid path: a value filter needs a plain attribute, not '${text}'`);
    result.valueFilter = parser.bracket();
    const sub = parser.subAttribute();
    if (sub !== undefined) result.subAttribute = sub;
  }
  parser.end();
  return result;
}
