import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { pino } from "pino";
import { AppDeps, createApp } from "../../src/app.js";
import { Database } from "../../src/db/database.js";

export interface RunningApp {
  /** The app's own loopback origin, which is also its BASE_URL: SSO redirects come back to it. */
  origin: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * The real app on a loopback port whose BASE_URL is that port's origin (IdPs redirect browsers to BASE_URL, so it
 * must be real): the server listens first, then the app is built with the origin it got.
 */
export async function startAppOn(db: Database, deps: Partial<Omit<AppDeps, "db" | "baseUrl">> = {}): Promise<RunningApp> {
  let handler: ReturnType<typeof createApp> | undefined;
  const server = createServer((req, res) => handler!(req, res));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  handler = createApp({ logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }), secretKey: randomBytes(32), ...deps, db, baseUrl: origin });
  return {
    origin,
    server,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
