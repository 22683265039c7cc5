import { EntityManager } from "typeorm";
import { lockVersion } from "../db/sql.js";
import { notFound, versionMismatch } from "./errors.js";

/** Preconditions a caller may attach to a write (SCIM If-Match). */
export interface WriteOptions {
  expectedVersion?: number;
}

/**
 * Locks the row to be written (PostgreSQL; SQLite writes are serialised anyway) and checks it exists in this
 * organization at the version the caller expects. Returns the current version.
 */
export async function lockForWrite(
  em: EntityManager, table: "users" | "groups", organizationId: string, id: string, options: WriteOptions,
): Promise<number> {
  const what = table === "users" ? "User" : "Group";
  const version = await lockVersion(em, table, organizationId, id);
  if (version === null) throw notFound(what, id);
  if (options.expectedVersion !== undefined && options.expectedVersion !== version) throw versionMismatch(what, id, version);
  return version;
}
