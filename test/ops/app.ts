import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { AddressInfo } from "node:net";
import { pino } from "pino";
import { AppDeps, createApp } from "../../src/app.js";
import { Database, openDatabase } from "../../src/db/database.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createScimToken } from "../../src/identity/scim-tokens.js";

/**
 * An app on a fresh in-memory SQLite database with one organization and two of its SCIM tokens, built with the
 * operations settings under test (harness.ts takes none of them). `host` is where it listens.
 */
export interface OpsApp {
  db: Database;
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  tokens: [string, string];
  close(): Promise<void>;
}

type OpsDeps = Partial<Pick<AppDeps, "logger" | "rateLimits" | "metricsToken" | "trustProxy">>;

export async function startOpsApp(deps: OpsDeps = {}, host = "127.0.0.1"): Promise<OpsApp> {
  const db = await openDatabase({ url: "sqlite::memory:" });
  const system = { type: "system" as const, id: null };
  const org = await createOrganization(db, { slug: "ops", name: "Ops" }, system);
  const tokens = await Promise.all(["first", "second"].map(async (name) => (await createScimToken(db, org.id, { name }, system)).token));
  const app = createApp({ db, baseUrl: "https://rollcall.test", logger: pino({ level: "silent" }), secretKey: randomBytes(32), ...deps });
  const server = app.listen(0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    db,
    port,
    url: `http://127.0.0.1:${port}`,
    tokens: tokens as [string, string],
    close: async () => {
      server.close();
      server.closeAllConnections();
      await db.close();
    },
  };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
