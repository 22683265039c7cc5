import { Request, Response, Router } from "express";
import { Caller, callerOf } from "../context.js";
import { expectedVersion } from "../etag.js";
import { projectionOf } from "../list-request.js";
import { Projection } from "../projection.js";
import { sendResource } from "../respond.js";
import { ScimObject } from "../resource-input.js";
import { ResourceTypeDef } from "../schemas.js";

/** What a write answers, the same whether it came as its own request or as one operation of a Bulk request. */
export interface Written {
  status: 200 | 201 | 204;
  /** The rendered resource (before projection), when the answer has a body. */
  resource?: ScimObject;
  /** The new version's ETag when there is no body to carry it (group PATCH); none after a delete. */
  version?: string;
}

/** If-Match (or a Bulk operation's `version`) and, for answers with a body, attributes / excludedAttributes. */
export interface WriteOptions {
  expectedVersion?: number;
  projection?: Projection;
}

/** The writes of one endpoint (/Users, /Groups): its routes and /Bulk both call these, so both answer alike. */
export interface ResourceWrites {
  type: ResourceTypeDef;
  create(caller: Caller, body: unknown): Promise<Written>;
  replace(caller: Caller, id: string, body: unknown, options: WriteOptions): Promise<Written>;
  patch(caller: Caller, id: string, body: unknown, options: WriteOptions): Promise<Written>;
  remove(caller: Caller, id: string, options: WriteOptions): Promise<Written>;
}

export const versionOf = (written: Written): string | undefined =>
  (written.resource?.meta as { version?: string } | undefined)?.version ?? written.version;

function send(res: Response, type: ResourceTypeDef, written: Written, projection: Projection = {}) {
  if (written.resource) return sendResource(res, written.status, type, written.resource, projection);
  if (written.version) res.set("ETag", written.version);
  res.status(written.status).end();
}

/** POST / and PUT, PATCH, DELETE /:id of one endpoint, each answering with what its write returns. */
export function writeRoutes(router: Router, writes: ResourceWrites): void {
  const optionsOf = (req: Request): WriteOptions => ({ expectedVersion: expectedVersion(req), projection: projectionOf(req) });
  router.post("/", async (req, res) => send(res, writes.type, await writes.create(callerOf(res), req.body)));
  router.put("/:id", async (req: Request<{ id: string }>, res) => {
    const options = optionsOf(req);
    send(res, writes.type, await writes.replace(callerOf(res), req.params.id, req.body, options), options.projection);
  });
  router.patch("/:id", async (req: Request<{ id: string }>, res) => {
    const options = optionsOf(req);
    send(res, writes.type, await writes.patch(callerOf(res), req.params.id, req.body, options), options.projection);
  });
  router.delete("/:id", async (req: Request<{ id: string }>, res) => {
    send(res, writes.type, await writes.remove(callerOf(res), req.params.id, { expectedVersion: expectedVersion(req) }));
  });
}
