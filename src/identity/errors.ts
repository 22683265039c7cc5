/**
 * Outcomes of identity operations that are the caller's fault. Each door maps them to its own protocol
 * (SCIM errors, problem+json) in one place; anything else is a bug and becomes a 500 there.
 */
export class IdentityError extends Error {
  constructor(readonly reason: "notFound" | "conflict" | "invalid" | "versionMismatch", message: string) {
    super(message);
    this.name = "IdentityError";
  }
}

export const notFound = (what: string, id: string) => new IdentityError("notFound", `${what} ${id} not found`);
export const conflict = (message: string) => new IdentityError("conflict", message);
export const invalid = (message: string) => new IdentityError("invalid", message);
export const versionMismatch = (what: string, id: string, current: number) =>
  new IdentityError("versionMismatch", `${what} ${id} has changed (now at version ${current}); fetch it again and retry`);

/** The unique-index violation of either database, so a race between two replicas still ends in a clear 409. */
export function isUniqueViolation(err: unknown): boolean {
  const driver = (err as { driverError?: { code?: string } })?.driverError ?? (err as { code?: string });
  return driver?.code === "23505" || driver?.code === "SQLITE_CONSTRAINT_UNIQUE" || driver?.code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** Runs a write; a unique-index race between two replicas ends as the same 409 a sequential duplicate gets. */
export async function uniquely<T>(message: () => string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(message());
    throw err;
  }
}
