/**
 * The SQLite scan worker: a thread with its own read-only connection to the database file, where expensive reads
 * run so that they never block the event loop that answers every other request (better-sqlite3 is synchronous).
 * WAL lets it read alongside the writer; a write acknowledged by the main thread has committed, so the worker's next
 * read sees it. Messages: { id, query, values } in, { id, rows } or { id, error } out.
 *
 * Plain JavaScript, run with `eval`: the same code then serves under tsx (whose loader does not reach worker
 * threads) and built. workerData: the database file and better-sqlite3's resolved path.
 */
export const SCAN_WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const connection = require(workerData.driver)(workerData.path, { readonly: true, fileMustExist: true });
// As database.ts sets up the main connection, so that queries mean the same here (rc_fold is identity/text.ts's foldCase).
connection.pragma("busy_timeout = 5000");
connection.pragma("case_sensitive_like = ON");
connection.function("rc_fold", { deterministic: true }, (v) => (typeof v === "string" ? v.normalize("NFC").toLowerCase() : v));

// Prepared statements by text: the filters of one IdP repeat, so a small cache serves most reads.
const statements = new Map();
function prepared(query) {
  let statement = statements.get(query);
  if (!statement) {
    statement = connection.prepare(query);
    if (statements.size >= 200) statements.delete(statements.keys().next().value);
    statements.set(query, statement);
  }
  return statement;
}

parentPort.on("message", ({ id, query, values }) => {
  try {
    parentPort.postMessage({ id, rows: prepared(query).all(...values) });
  } catch (err) {
    parentPort.postMessage({ id, error: { message: String(err && err.message || err), code: err && err.code } });
  }
});
`;
