/**
 * Reads an RFC 7644 §3.7 BulkRequest. Everything about the message itself is checked before any operation runs, so
 * a malformed request is refused whole (400) and changes nothing; what is wrong with one operation's `data` is that
 * operation's own error, found when it runs.
 */
import { invalidPath, invalidSyntax, ScimError } from "./errors.js";
import { field, inOperation, isObject } from "./patch.js";

export const BULK_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

/**
 * Advertised in /ServiceProviderConfig and enforced (413 tooLarge). 1,000 operations matches the PATCH and paging
 * caps; 4 MiB leaves about 4 KiB per operation, more than a full Entra or Okta user body needs.
 */
export const BULK_LIMITS = { maxOperations: 1000, maxPayloadSize: 4 * 1024 * 1024 };

export type BulkMethod = "POST" | "PUT" | "PATCH" | "DELETE";
export type Endpoint = "Users" | "Groups";

export interface BulkOperation {
  method: BulkMethod;
  bulkId?: string;
  endpoint: Endpoint;
  /** The resource id of PUT, PATCH and DELETE, possibly a `bulkId:` reference. */
  id?: string;
  data?: unknown;
  /** An ETag, checked as If-Match would be. */
  version?: string;
  /** The bulkIds this operation refers to, in its path or anywhere in its data. */
  references: Set<string>;
}

export interface BulkRequest {
  operations: BulkOperation[];
  /** Stop after this many failed operations (RFC 7644 §3.7.3); unlimited when absent. */
  failOnErrors: number;
}

const BULK_ID_REFERENCE = /^bulkId:(.+)$/;

/** A copy of `value` with every string `bulkId:<x>` replaced by `resolve(x)`. */
export function substituteBulkIds(value: unknown, resolve: (bulkId: string) => string): unknown {
  if (typeof value === "string") {
    const match = BULK_ID_REFERENCE.exec(value);
    return match ? resolve(match[1]) : value;
  }
  if (Array.isArray(value)) return value.map((v) => substituteBulkIds(v, resolve));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteBulkIds(v, resolve)]));
  return value;
}

function referencesOf(...values: unknown[]): Set<string> {
  const found = new Set<string>();
  for (const value of values) substituteBulkIds(value, (bulkId) => (found.add(bulkId), bulkId));
  return found;
}

const METHODS: BulkMethod[] = ["POST", "PUT", "PATCH", "DELETE"];

/** `/Users` for POST, `/Users/{id}` for the others; endpoint names are case-insensitive, as in the routes. */
function readPath(method: BulkMethod, path: unknown): { endpoint: Endpoint; id?: string } {
  const match = typeof path === "string" ? /^\/(users|groups)(?:\/([^/?#]+))?$/i.exec(path) : null;
  const shape = method === "POST" ? "/Users or /Groups" : "/Users/{id} or /Groups/{id}";
  if (!match || (method === "POST") !== (match[2] === undefined)) {
    throw invalidPath(`path of a ${method} must be ${shape}, not ${JSON.stringify(path) ?? "missing"}`);
  }
  return { endpoint: match[1].toLowerCase() === "users" ? "Users" : "Groups", id: match[2] };
}

function readOperation(raw: unknown): BulkOperation {
  if (!isObject(raw)) throw invalidSyntax("each operation must be an object with method, path and, but for DELETE, data");
  const name = field(raw, "method");
  const method = METHODS.find((m) => typeof name === "string" && m === name.toUpperCase());
  if (!method) throw invalidSyntax(`method must be POST, PUT, PATCH or DELETE, not ${JSON.stringify(name) ?? "missing"}`);
  const { endpoint, id } = readPath(method, field(raw, "path"));
  const bulkId = field(raw, "bulkId");
  if (bulkId !== undefined && (typeof bulkId !== "string" || bulkId === "")) throw invalidSyntax("bulkId must be a non-empty string");
  if (method === "POST" && bulkId === undefined) throw invalidSyntax("a POST needs a bulkId, to report and refer to what it creates");
  const data = method === "DELETE" ? undefined : field(raw, "data");
  if (method !== "DELETE" && !isObject(data)) throw invalidSyntax(`a ${method} needs data: the resource, or for PATCH the PatchOp message`);
  const version = field(raw, "version");
  if (version !== undefined && typeof version !== "string") throw invalidSyntax("version must be an ETag string");
  return { method, bulkId, endpoint, id, data, version, references: referencesOf(id, data) };
}

/** Validates a BulkRequest message: 400 for what is malformed, 413 tooLarge past maxOperations. */
export function readBulkRequest(body: unknown): BulkRequest {
  if (!isObject(body)) throw invalidSyntax("the Bulk body must be a JSON object (a BulkRequest message)");
  const schemas = field(body, "schemas");
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === "string" && s.toLowerCase() === BULK_REQUEST_URN.toLowerCase())) {
    throw invalidSyntax(`schemas must contain "${BULK_REQUEST_URN}"`);
  }
  const raw = field(body, "Operations");
  if (!Array.isArray(raw) || raw.length === 0) throw invalidSyntax("Operations must be a non-empty array");
  if (raw.length > BULK_LIMITS.maxOperations) {
    throw new ScimError(413, "tooLarge", `at most ${BULK_LIMITS.maxOperations} operations per Bulk request, got ${raw.length}`);
  }
  const failOnErrors = field(body, "failOnErrors") ?? Infinity;
  if (failOnErrors !== Infinity && !(Number.isSafeInteger(failOnErrors) && (failOnErrors as number) >= 1)) {
    throw invalidSyntax("failOnErrors must be a positive integer");
  }
  const operations = raw.map((op, i) => inOperation(i, () => readOperation(op)));
  const bulkIds = new Set<string>();
  for (const { bulkId } of operations) {
    if (bulkId === undefined) continue;
    // A reference to a bulkId must name one operation.
    if (bulkIds.has(bulkId)) throw invalidSyntax(`bulkId "${bulkId}" is used by more than one operation`);
    bulkIds.add(bulkId);
  }
  return { operations, failOnErrors: failOnErrors as number };
}
