import assert from "node:assert/strict";
import { Console } from "node:console";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { runCli } from "../../src/cli/program.js";

export interface CliRun { code: number; stdout: string; stderr: string }

/**
 * Runs one `rollcall` command line in this process, as the bin would in its own, with `env` for its environment
 * and `stdin` as its standard input: tests run dozens of commands without paying a process start for each.
 */
export async function runCliInProcess(argv: string[], env: NodeJS.ProcessEnv, stdin = ""): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const collect = (append: (text: string) => void) => new Writable({ write(chunk, _encoding, done) { append(String(chunk)); done(); } });
  const console = new Console({ stdout: collect((t) => (stdout += t)), stderr: collect((t) => (stderr += t)), colorMode: false });
  const code = await runCli(argv, { env, stdin: Readable.from([stdin]), console });
  return { code, stdout, stderr };
}

/**
 * A fresh SQLite file for the CLI in a temporary directory, its environment, and `cli(...)`, which runs a command in
 * this process and answers its output once it has succeeded. `remove()` deletes the directory.
 */
export function cliOnTemporaryDatabase(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, "db.sqlite")}`, BASE_URL: "https://id.example.test" };
  const cli = async (...argv: string[]) => {
    const run = await runCliInProcess(argv, env);
    assert.equal(run.code, 0, `rollcall ${argv.join(" ")} failed: ${run.stderr}`);
    return run;
  };
  return { dir, env, cli, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
