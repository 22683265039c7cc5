import { AsyncLocalStorage } from "node:async_hooks";
import { z } from "zod";
import { Config, loadConfig } from "../config.js";
import { Database, openDatabase } from "../db/database.js";
import { IdentityError } from "../identity/errors.js";
import { findOrganizationBySlug } from "../identity/organizations.js";
import { Actor } from "../identity/records.js";

/** What every command needs: the database named by DATABASE_URL, the configuration, and who the audit log names. */

export const actor: Actor = { type: "admin", id: "cli" };

/** Where a command reads its configuration and secrets and writes its output. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdin: AsyncIterable<Buffer | string>;
  console: Console;
}

export const processIo: CliIo = { env: process.env, stdin: process.stdin, console };

/**
 * The I/O of the command being run: the process's own, or the one `runCli` was given. Commands reach it through
 * `say`, `print`, `secretArgument` and `withDatabase`, so one command can run in a test's process beside others.
 */
export const cliIo = new AsyncLocalStorage<CliIo>();
export const currentIo = () => cliIo.getStore() ?? processIo;

export const say = (text: string) => currentIo().console.log(text);

export async function withDatabase<T>(fn: (db: Database, config: Config) => Promise<T>): Promise<T> {
  const { config } = loadConfig(currentIo().env);
  const db = await openDatabase({ url: config.databaseUrl, statementTimeoutMs: config.statementTimeoutMs });
  try {
    return await fn(db, config);
  } finally {
    await db.close();
  }
}

export async function organizationId(db: Database, slug: string): Promise<string> {
  const org = await findOrganizationBySlug(db, slug);
  if (!org) throw new IdentityError("notFound", `no organization "${slug}"; list them with: npm run cli -- org list`);
  return org.id;
}

export const print = (rows: object[]) => (rows.length ? currentIo().console.table(rows) : say("(none)"));

/** A comma-separated option as a list (`--roles deploy,read`). */
export const list = (value: string) => value.split(",").map((s) => s.trim()).filter(Boolean);

/** A secret given as `-` is read from stdin, so that it stays out of the shell's history and the process list. */
export async function secretArgument(value: string): Promise<string> {
  if (value !== "-") return value;
  const chunks: Buffer[] = [];
  for await (const chunk of currentIo().stdin) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString("utf8").trim();
}

/** What a failed command prints: a validation error field by field, anything else by its message. */
export function failure(err: unknown): string {
  if (err instanceof z.ZodError) return `invalid input:\n${err.issues.map((i) => `  ${i.path.join(".") || "(input)"}: ${i.message}`).join("\n")}`;
  return err instanceof Error ? err.message : String(err);
}
