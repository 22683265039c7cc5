import { Console } from "node:console";
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
