/**
 * Telling "the database is not answering" apart from a bug: such failures are the operator's to fix or wait out,
 * so every door answers them 503 with Retry-After instead of a 500 with a stack trace in the log.
 */

/** Seconds a client is asked to wait before retrying a request the database could not serve. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Socket-level failures reaching PostgreSQL. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EPIPE", "EAI_AGAIN"]);

/**
 * SQLSTATEs that say "not now" rather than "not this": 08 connection exceptions, 53 insufficient resources,
 * 57014 a statement cancelled by statement_timeout, 57P0x the server shutting down or starting, 55P03 lock_timeout.
 */
const UNAVAILABLE_STATE = /^(08|53)|^57014$|^57P0[1-4]$|^55P03$/;

/** node-postgres (connect: "timeout expired"; query: "Query read timeout") and pg-pool report these without a code. */
const UNAVAILABLE_MESSAGE = /timeout exceeded when trying to connect|timeout expired|Query read timeout|Connection terminated|not queryable|connection timeout/i;

function unavailable(err: { code?: unknown; message?: unknown }): boolean {
  const code = typeof err.code === "string" ? err.code : "";
  if (NETWORK_CODES.has(code) || UNAVAILABLE_STATE.test(code)) return true;
  // SQLite: busy_timeout passed while another connection held the write lock.
  if (code === "SQLITE_BUSY") return true;
  return typeof err.message === "string" && UNAVAILABLE_MESSAGE.test(err.message);
}

/** True when err (or the driver error a TypeORM error wraps) says the database is unreachable, overloaded or timed out. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const { driverError } = err as { driverError?: unknown };
  if (unavailable(err as { code?: unknown })) return true;
  return typeof driverError === "object" && driverError !== null && unavailable(driverError as { code?: unknown });
}
