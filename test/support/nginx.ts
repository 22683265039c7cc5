import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Debian's nginx (apt install nginx): run by the tests as a child process with a generated configuration. */
export const NGINX = process.env.ROLLCALL_NGINX ?? "/usr/sbin/nginx";

/**
 * Why the nginx tests cannot run here, or undefined when they can. CI installs nginx and sets
 * ROLLCALL_REQUIRE_NGINX=1, so a missing nginx fails the run there instead of skipping.
 */
export function nginxSkip(): string | undefined {
  if (existsSync(NGINX)) return undefined;
  const why = `nginx not found at ${NGINX}: install it with \`apt-get install nginx\` (or set ROLLCALL_NGINX)`;
  if (process.env.ROLLCALL_REQUIRE_NGINX === "1") throw new Error(why);
  return why;
}

export interface RunningNginx {
  origin: string;
  close(): Promise<void>;
}

/** A loopback port free right now: for nginx to listen on, when a BASE_URL must name it before nginx starts. */
export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const accepts = (port: number) => new Promise<boolean>((resolve) => {
  const socket = connect(port, "127.0.0.1", () => { socket.destroy(); resolve(true); });
  socket.on("error", () => resolve(false));
});

/**
 * nginx in the foreground as one process (no master, no workers to chase), everything it writes — pid, temp files,
 * error log — in a fresh temp dir, serving `site` (what goes inside its `http { }` block: a server listening on
 * 127.0.0.1:`port`). Resolves once the port accepts connections; rejects with nginx's error log if it exits first.
 */
export async function startNginx(site: string, port: number): Promise<RunningNginx> {
  const dir = await mkdtemp(join(tmpdir(), "rollcall-nginx-"));
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) => `${kind}_temp_path ${dir}/${kind};`).join("\n  ");
  await writeFile(join(dir, "nginx.conf"), `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
  access_log off;
  ${temp}
${site}
}
`);
  const child = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", "stderr"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const exited = once(child, "exit");
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`nginx exited at start-up: ${log}`);
    }
    if (await accepts(port)) return { origin: `http://127.0.0.1:${port}`, close: stop };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  throw new Error(`nginx did not listen on 127.0.0.1:${port} within 5 s: ${log}`);
}
