import { Response } from "express";
import { Logger } from "pino";
import { Database } from "../db/database.js";
import { Actor } from "../identity/records.js";

/** What the SCIM door is built with. */
export interface ScimDeps {
  db: Database;
  /** Public base URL (config BASE_URL), for Location and meta.location; never taken from the Host header. */
  baseUrl: string;
  logger: Logger;
  /** Config secretKey: signs the cursors handed out for RFC 9865 paging, so that any replica can check them. */
  secretKey: Buffer;
}

/** Who is calling: set by the bearer-token check, read by every handler. */
export interface Caller {
  organizationId: string;
  actor: Actor;
}

export const callerOf = (res: Response): Caller => res.locals.caller as Caller;

export const SCIM_PREFIX = "/scim/v2";
export const resourceUrl = (deps: ScimDeps, endpoint: string, id: string) => `${deps.baseUrl}${SCIM_PREFIX}${endpoint}/${id}`;
