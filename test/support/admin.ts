import { createHmac, randomBytes } from "node:crypto";
import { once } from "node:events";
import { Server } from "node:http";
import { pino } from "pino";
import supertest from "supertest";
import { createApp } from "../../src/app.js";
import { Database, openDatabase } from "../../src/db/database.js";
import { createAdminAccount } from "../../src/identity/admins.js";
import { createApiToken } from "../../src/identity/api-tokens.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { Actor } from "../../src/identity/records.js";
import { openSession, SessionPrincipal } from "../../src/identity/sessions.js";
import { SESSION_COOKIE } from "../../src/web-session.js";
import { BASE_URL } from "./harness.js";
import { DatabaseTarget } from "./databases.js";

/**
 * The admin API on a fresh database: two organizations, an operator and an admin account in each organization, each
 * account with a personal API token. `as(token)` calls the API with a token; `browser()` is a cookie-keeping client
 * that sends this server's Origin on every request, as the console's pages do.
 */
export interface AdminHarness {
  db: Database;
  server: Server;
  secretKey: Buffer;
  orgA: string;
  orgB: string;
  operator: Account;
  adminA: Account;
  adminB: Account;
  as(token: string): Client;
  browser(): Client & { agent: ReturnType<typeof supertest.agent> };
  /** A client whose session cookie carries this principal (an SSO user, a setup link), as a login would leave it. */
  sessionAs(principal: SessionPrincipal): Promise<Client>;
  close(): Promise<void>;
}

export interface Account {
  id: string;
  email: string;
  password: string;
  token: string;
}

export const ORIGIN = new URL(BASE_URL).origin;
export const PASSWORD = "correct horse battery staple";
export const system: Actor = { type: "system", id: null };
export const api = (path: string) => `/api/v1${path}`;

type Request = ReturnType<ReturnType<typeof supertest>["get"]>;
export interface Client {
  get(path: string): Request;
  delete(path: string): Request;
  post(path: string, body?: unknown): Request;
  put(path: string, body?: unknown): Request;
  patch(path: string, body?: unknown): Request;
}

function client(send: (method: "get" | "delete" | "post" | "put" | "patch", path: string) => Request): Client {
  const withBody = (method: "post" | "put" | "patch") => (path: string, body?: unknown) => {
    const request = send(method, path);
    return body === undefined ? request : request.send(body as object);
  };
  return {
    get: (path) => send("get", path),
    delete: (path) => send("delete", path),
    post: withBody("post"),
    put: withBody("put"),
    patch: withBody("patch"),
  };
}

async function account(db: Database, email: string, organizationId: string | null): Promise<Account> {
  const created = await createAdminAccount(db, { email, name: email, password: PASSWORD, organizationId }, system);
  const { token } = await createApiToken(db, created.id, { name: "tests" }, system);
  return { id: created.id, email, password: PASSWORD, token };
}

/** express-session's signed cookie value: `s:<sid>.<HMAC-SHA256 of sid, base64 without padding>`. */
function signedCookie(sid: string, secretKey: Buffer): string {
  const secret = createHmac("sha256", secretKey).update("rollcall session cookie").digest("base64url");
  const signature = createHmac("sha256", secret).update(sid).digest("base64").replace(/=+$/, "");
  return `${SESSION_COOKIE}=${encodeURIComponent(`s:${sid}.${signature}`)}`;
}

/** A session for this principal (an SSO user, a setup link) as a login would leave it, and its Cookie header. */
export async function sessionCookie(db: Database, secretKey: Buffer, principal: SessionPrincipal): Promise<string> {
  const sid = randomBytes(24).toString("base64url");
  const expires = new Date(Date.now() + 3_600_000);
  const data = { cookie: { originalMaxAge: 3_600_000, expires: expires.toISOString(), httpOnly: true, path: "/", sameSite: "lax" }, principal, openedAt: Date.now() };
  await openSession(db, sid, JSON.stringify(data), expires, principal);
  return signedCookie(sid, secretKey);
}

export async function startAdminHarness(target: DatabaseTarget, options: { allowInsecureIdp?: boolean } = {}): Promise<AdminHarness> {
  const { url, drop } = await target.create({ migrated: true });
  const db = await openDatabase({ url });
  const secretKey = randomBytes(32);
  const app = createApp({
    db, baseUrl: BASE_URL, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }), secretKey,
    allowInsecureIdp: options.allowInsecureIdp ?? false,
  });
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const orgA = (await createOrganization(db, { slug: "org-a", name: "Org A" }, system)).id;
  const orgB = (await createOrganization(db, { slug: "org-b", name: "Org B" }, system)).id;
  const [operator, adminA, adminB] = await Promise.all([
    account(db, "operator@rollcall.test", null), account(db, "admin@a.test", orgA), account(db, "admin@b.test", orgB),
  ]);
  const http = supertest(server);
  return {
    db, server, secretKey, orgA, orgB, operator, adminA, adminB,
    as: (token) => client((method, path) => http[method](path).set("Authorization", `Bearer ${token}`)),
    browser: () => {
      const agent = supertest.agent(server);
      return { agent, ...client((method, path) => agent[method](path).set("Origin", ORIGIN)) };
    },
    sessionAs: async (principal) => {
      const cookie = await sessionCookie(db, secretKey, principal);
      return client((method, path) => http[method](path).set("Cookie", cookie).set("Origin", ORIGIN));
    },
    close: async () => {
      server.close();
      await db.close();
      await drop();
    },
  };
}

/** Every row of the tables an admin request can write, for "the failed request changed nothing" checks. */
export async function adminSnapshot(db: Database): Promise<string> {
  const tables = ["organizations", "admin_accounts", "api_tokens", "setup_links", "scim_tokens", "connections", "teams",
    "team_mappings", "team_memberships", "users", "groups", "audit_events", "domains", "events", "webhook_endpoints", "webhook_deliveries"];
  const parts = [];
  for (const table of tables) parts.push(await db.dataSource.query(`SELECT * FROM ${table} ORDER BY 1`));
  return JSON.stringify(parts);
}
