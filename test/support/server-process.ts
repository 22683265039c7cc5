import { ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Node's arguments for running one of the project's programs (`entry` without its extension, e.g. "src/server") in a
 * child process the way its caller itself runs: `npm test` runs the test build's JavaScript (build-test/, compiled
 * from the same sources; the benches likewise run from build-bench/), so the child runs <build>/<entry>.js with plain
 * node; a test file run from its .ts source through tsx starts <entry>.ts through tsx (from the checkout's root).
 */
export function programArgs(entry: string): string[] {
  return import.meta.url.endsWith(".ts") ? ["--import", "tsx", `${entry}.ts`] : [fileURLToPath(new URL(`../../${entry}.js`, import.meta.url))];
}

/** The real server (src/server, see programArgs) as a child process, for tests of start-up, shutdown, crashes, replicas. */
export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** Everything written to stdout up to the "Rollcall listening" line (the first-start banner comes before it). */
  stdout: string;
  /** Log lines at error level or above, collected for as long as the process runs. */
  errors: string[];
}

/** Which program runs: src/server (see programArgs) unless `script` names a compiled one (dist/src/server.js), run by plain node. */
export interface ServerProgram {
  script?: string;
  cwd?: string;
}

const spawnServer = (env: Record<string, string>, stdout: "pipe" | "ignore", program: ServerProgram = {}) =>
  spawn(process.execPath, program.script ? [program.script] : programArgs("src/server"), {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", stdout, "pipe"],
    cwd: program.cwd,
  });

/** Starts the server on a free port of 127.0.0.1 and resolves once it listens; rejects if it exits first. */
export function startServer(env: Record<string, string>, program?: ServerProgram): Promise<ServerProcess> {
  const child = spawnServer(env, "pipe", program);
  const errors: string[] = [];
  let stdout = "";
  let pending = "";
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        let entry: { level?: number; msg?: string; port?: number } | null = null;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if ((entry?.level ?? 0) >= 50) errors.push(line.slice(0, 2000));
        if (entry?.msg === "Rollcall listening") resolve({ child, port: entry.port!, stdout, errors });
      }
    });
    child.once("exit", (code, signal) => reject(new Error(`server exited with ${code ?? signal}: ${stderr.slice(0, 2000)}`)));
  });
}

/** Runs the server expecting it to stop by itself (a configuration error): its exit code and stderr. */
export function runServerToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawnServer(env, "ignore");
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
}

/**
 * Sends `signal` (SIGTERM: graceful shutdown) and resolves with the exit code once the process is gone; a server that
 * has not stopped 15 s after SIGTERM is killed, so a hung shutdown fails its test instead of hanging the run.
 */
export async function stopServer(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
