/**
 * POST /Bulk (RFC 7644 §3.7). Each operation calls the very write its single-resource route calls (one transaction
 * with its audit event), so it is atomic on its own, answers what that route would, and a failed operation undoes
 * nothing that ran before it. The BulkResponse is 200 whatever the operations' outcomes.
 *
 * `bulkId:<x>` in a path or anywhere in data becomes the id created by the POST whose bulkId is x. Operations run in
 * request order, except that one is moved after the POSTs it references, so a forward reference (a group listed
 * before its members) works. A reference that cannot be resolved fails its operation with 409: to a bulkId that no
 * POST carries, to a POST that failed, or within a cycle (two new users naming each other as manager). RFC 7644
 * §3.7.1 lets a server answer a circular reference with 409 instead of creating and then patching.
 */
import type { Logger } from "pino";
import { RequestHandler } from "express";
import { BulkOperation, Endpoint, readBulkRequest, substituteBulkIds } from "../bulk-request.js";
import { Caller, callerOf, resourceUrl, ScimDeps } from "../context.js";
import { ScimError } from "../errors.js";
import { versionOfIfMatch } from "../etag.js";
import { groupWrites } from "./groups.js";
import { userWrites } from "./users.js";
import { ResourceWrites, versionOf, Written } from "./writes.js";

export const BULK_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/** The door's one mapper from anything thrown to a SCIM Error (router.ts), given here so that Bulk uses it too. */
export type ErrorMapper = (log: Logger, err: unknown, context: Record<string, unknown>) => ScimError;

interface BulkResult {
  method: string;
  bulkId?: string;
  location?: string;
  version?: string;
  /** A string, as in SCIM Error bodies. */
  status: string;
  response?: unknown;
}

/** Request order, but each operation after the POSTs whose bulkIds it references. */
function executionOrder(operations: BulkOperation[]): number[] {
  const creator = new Map(operations.flatMap((op, i) => (op.method === "POST" ? [[op.bulkId!, i] as const] : [])));
  const order: number[] = [];
  const seen = new Set<number>();
  const visit = (i: number) => {
    // Seen but not yet ordered means a cycle: left where it is, it fails when it runs (see resolver).
    if (seen.has(i)) return;
    seen.add(i);
    for (const bulkId of operations[i].references) {
      const j = creator.get(bulkId);
      if (j !== undefined) visit(j);
    }
    order.push(i);
  };
  operations.forEach((_, i) => visit(i));
  return order;
}

/** bulkId → the id its POST created, or null when that POST failed; a bulkId not yet in `created` has not run. */
function resolver(operations: BulkOperation[], created: Map<string, string | null>) {
  const posted = new Set(operations.flatMap((op) => (op.method === "POST" ? [op.bulkId!] : [])));
  return (bulkId: string): string => {
    const id = created.get(bulkId);
    if (id) return id;
    const why = id === null ? "the operation with that bulkId failed"
      : posted.has(bulkId) ? "the reference is circular" : "no POST operation of this request has that bulkId";
    throw new ScimError(409, null, `bulkId:${bulkId} cannot be resolved: ${why}`);
  };
}

function perform(writes: ResourceWrites, caller: Caller, op: BulkOperation, id: string | undefined, data: unknown): Promise<Written> {
  if (op.method === "POST") return writes.create(caller, data);
  const options = { expectedVersion: versionOfIfMatch(op.version) };
  if (op.method === "PUT") return writes.replace(caller, id!, data, options);
  if (op.method === "PATCH") return writes.patch(caller, id!, data, options);
  return writes.remove(caller, id!, options);
}

export function bulkHandler(deps: ScimDeps, errorOf: ErrorMapper): RequestHandler {
  const writes: Record<Endpoint, ResourceWrites> = { Users: userWrites(deps), Groups: groupWrites(deps) };
  return async (req, res) => {
    const { operations, failOnErrors } = readBulkRequest(req.body);
    const caller = callerOf(res);
    const created = new Map<string, string | null>();
    const resolve = resolver(operations, created);

    /** Runs one operation; what it throws becomes its answer, as the error handler would render it. */
    const run = async (op: BulkOperation, index: number) => {
      let id: string | undefined;
      try {
        id = op.id === undefined ? undefined : (substituteBulkIds(op.id, resolve) as string);
        const written = await perform(writes[op.endpoint], caller, op, id, substituteBulkIds(op.data, resolve));
        return { id: id ?? (written.resource!.id as string), status: written.status, version: versionOf(written), response: written.resource };
      } catch (err) {
        const error = errorOf(req.log, err, { bulkOperation: index });
        return { id, status: error.status, response: error.toJSON() };
      }
    };

    // By request position, so that the response lists operations in the order they were sent.
    const results: BulkResult[] = [];
    let errors = 0;
    for (const index of executionOrder(operations)) {
      const op = operations[index];
      const { id, status, version, response } = await run(op, index);
      const failed = status >= 400;
      if (op.method === "POST") created.set(op.bulkId!, failed ? null : id!);
      results[index] = {
        method: op.method, bulkId: op.bulkId, location: id && resourceUrl(deps, `/${op.endpoint}`, id), version, status: String(status), response,
      };
      if (failed && ++errors >= failOnErrors) break;
    }
    res.status(200).json({ schemas: [BULK_RESPONSE_URN], Operations: results.filter(Boolean) });
  };
}
