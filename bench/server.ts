/**
 * The process under load, started by bench/scim.ts as a child so that the load generator never shares its event
 * loop. `BENCH_MODE=rollcall` serves the Rollcall app on DATABASE_URL (already migrated and seeded);
 * `BENCH_MODE=hello` serves an Express hello-world, the ceiling every ratio is measured against. Either way it
 * listens on 127.0.0.1 on a free port and prints `{"port":N}` on one line. It exits when its standard input closes
 * (the bench ended or died) or on SIGTERM, going through process.exit so that `--cpu-prof` writes its profile.
 */
import express from "express";
import { once } from "node:events";
import { Server } from "node:http";
import { AddressInfo } from "node:net";

async function rollcall(): Promise<{ server: Server; close(): Promise<void> }> {
  const [{ createApp }, { openDatabase }, { createLogger }] = await Promise.all([
    import("../src/app.js"), import("../src/db/database.js"), import("../src/logger.js"),
  ]);
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is required");
  const db = await openDatabase({ url });
  const app = createApp({ db, baseUrl: "http://127.0.0.1", logger: createLogger(process.env.LOG_LEVEL ?? "silent") });
  const server = app.listen(0, "127.0.0.1");
  return { server, close: () => db.close() };
}

function hello(): { server: Server; close(): Promise<void> } {
  const app = express();
  app.get("/", (_req, res) => void res.json({ hello: "world" }));
  return { server: app.listen(0, "127.0.0.1"), close: async () => undefined };
}

async function main() {
  const mode = process.env.BENCH_MODE ?? "rollcall";
  const { server, close } = mode === "hello" ? hello() : await rollcall();
  await once(server, "listening");
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    server.close(() => void close().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.stdin.on("end", stop).on("close", stop).resume();
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + "\n");
}

main().catch((err) => {
  console.error("bench server failed:", err);
  process.exit(1);
});
