import { ChildProcess, spawn } from "node:child_process";

/** The real server (src/server.ts through tsx) as a child process, for tests of start-up, shutdown and crashes. */
export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** Everything written to stdout up to the "Rollcall listening" line. */
  stdout: string;
}

/** Starts the server on a free port of 127.0.0.1 and resolves once it listens; rejects if it exits first. */
export function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const line of stdout.split("\n")) {
        let entry: { msg?: string; port?: number } | null = null;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (entry?.msg === "Rollcall listening") resolve({ child, port: entry.port!, stdout });
      }
    });
    child.once("exit", (code, signal) => reject(new Error(`server exited with ${code ?? signal}: ${stderr.slice(0, 2000)}`)));
  });
}

/** Sends `signal` (SIGTERM: graceful shutdown) and resolves with the exit code once the process is gone. */
export async function stopServer(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill(signal);
  return exited;
}
