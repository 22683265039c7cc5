import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { Server } from "node:http";
import { Logger, pino } from "pino";
import supertest from "supertest";
import { createApp } from "../../src/app.js";
import { Database, openDatabase } from "../../src/db/database.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createScimToken } from "../../src/identity/scim-tokens.js";
import { DatabaseTarget } from "./databases.js";

export const BASE_URL = "https://rollcall.test";
export const SCIM_JSON = "application/scim+json";

export interface Tenant {
  organizationId: string;
  token: string;
}

/** A running app on a fresh database with two organizations, each with its own SCIM token. */
export interface Harness {
  db: Database;
  server: Server;
  orgA: Tenant;
  orgB: Tenant;
  /** supertest against the app, authenticated as the given tenant (org A by default). */
  as(tenant?: Tenant): ReturnType<typeof authed>;
  close(): Promise<void>;
}

function authed(server: Server, token: string) {
  const agent = supertest(server);
  const auth = <T extends { set(k: string, v: string): T }>(r: T) => r.set("Authorization", `Bearer ${token}`);
  return {
    get: (path: string) => auth(agent.get(path)),
    delete: (path: string) => auth(agent.delete(path)),
    post: (path: string, body?: unknown) => auth(agent.post(path)).set("Content-Type", SCIM_JSON).send(body as object),
    put: (path: string, body?: unknown) => auth(agent.put(path)).set("Content-Type", SCIM_JSON).send(body as object),
    patch: (path: string, body?: unknown) => auth(agent.patch(path)).set("Content-Type", SCIM_JSON).send(body as object),
  };
}

async function tenant(db: Database, slug: string): Promise<Tenant> {
  const system = { type: "system" as const, id: null };
  const org = await createOrganization(db, { slug, name: slug }, system);
  const { token } = await createScimToken(db, org.id, { name: "test" }, system);
  return { organizationId: org.id, token };
}

/** `logger` replaces the silent default, for suites that check what is logged. */
export async function startHarness(target: DatabaseTarget, options: { logger?: Logger } = {}): Promise<Harness> {
  const { url, drop } = await target.create({ migrated: true });
  const db = await openDatabase({ url });
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const app = createApp({ db, baseUrl: BASE_URL, logger, secretKey: randomBytes(32) });
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const orgA = await tenant(db, "org-a");
  const orgB = await tenant(db, "org-b");
  return {
    db, server, orgA, orgB,
    as: (t = orgA) => authed(server, t.token),
    close: async () => {
      server.close();
      await db.close();
      await drop();
    },
  };
}

/** Every row of the tables a SCIM request can write, for "the failed request changed nothing" checks. */
export async function snapshot(db: Database): Promise<string> {
  const tables = ["users", "user_values", "groups", "group_members", "audit_events"];
  const parts = [];
  for (const table of tables) parts.push(await db.dataSource.query(`SELECT * FROM ${table} ORDER BY 1, 2`));
  return JSON.stringify(parts);
}
