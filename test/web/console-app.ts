import type { Brand } from "../../src/config.js";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { Logger, pino } from "pino";
import type { Page } from "playwright-core";
import supertest from "supertest";
import { createApp } from "../../src/app.js";
import { Database, openDatabase } from "../../src/db/database.js";
import { createAdminAccount } from "../../src/identity/admins.js";
import { createOrganization } from "../../src/identity/organizations.js";
import type { DnsOptions } from "../../src/identity/dns-txt.js";
import { DatabaseTarget } from "../support/databases.js";

/**
 * The real app on a fresh database, listening on loopback with BASE_URL set to its own http:// address (so a real
 * browser's Origin matches it), with two organizations, an admin of each and an operator.
 */

export interface Account {
  email: string;
  password: string;
}

export interface ConsoleApp {
  db: Database;
  secretKey: Buffer;
  server: Server;
  /** The app's origin, also its BASE_URL. */
  url: string;
  orgA: string;
  orgB: string;
  adminA: Account;
  adminB: Account;
  operator: Account;
  /** A supertest agent (cookie jar) that sends this app's Origin on POSTs, as a browser does. */
  agent(): Agent;
  close(): Promise<void>;
}

export type Agent = ReturnType<typeof browserLike>;

const system = { type: "system" as const, id: null };

function browserLike(server: Server, origin: string) {
  const agent = supertest.agent(server);
  return {
    get: (path: string) => agent.get(path),
    /** A form post from one of the app's own pages. */
    post: (path: string, fields: Record<string, string | string[]> = {}) => agent.post(path).set("Origin", origin).type("form").send(fields),
    /** A form post without the browser's Origin (a forged cross-site request looks like this or has another Origin). */
    postFrom: (origin: string | null, path: string, fields: Record<string, string> = {}) => {
      const request = agent.post(path).type("form").send(fields);
      return origin ? request.set("Origin", origin) : request;
    },
    async logIn(account: Account) {
      const res = await agent.post("/console/login").set("Origin", origin).type("form").send(account);
      if (res.status !== 303) throw new Error(`login of ${account.email} answered ${res.status}: ${res.text}`);
      return res;
    },
  };
}

/** Signs an account in through the console's login form in a real browser, and waits for the page it lands on. */
export async function signInInBrowser(page: Page, app: ConsoleApp, account: Account, landing: string): Promise<void> {
  await page.goto(`${app.url}/console/login`);
  await page.fill("#f-email", account.email);
  await page.fill("#f-password", account.password);
  await page.click("button[type=submit]");
  await page.waitForURL(`${app.url}${landing}`);
}

/**
 * `logger` replaces the silent default, for tests that check what is logged. `hostName` names the app in its URL and
 * BASE_URL instead of 127.0.0.1 (a browser must then resolve it to 127.0.0.1: see launchBrowser's resolveToLoopback).
 */
export async function startConsoleApp(
  target: DatabaseTarget, options: { allowInsecureIdp?: boolean; logger?: Logger; hostName?: string; dns?: DnsOptions; brand?: Brand } = {},
): Promise<ConsoleApp> {
  const { url: databaseUrl, drop } = await target.create({ migrated: true });
  const db = await openDatabase({ url: databaseUrl });
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://${options.hostName ?? "127.0.0.1"}:${(server.address() as AddressInfo).port}`;
  const secretKey = randomBytes(32);
  const app = createApp({
    db, baseUrl: url, logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }), secretKey,
    allowInsecureIdp: options.allowInsecureIdp ?? false, dns: options.dns, brand: options.brand,
  });
  server.on("request", app);
  const orgA = (await createOrganization(db, { slug: "acme", name: "Acme Inc" }, system)).id;
  const orgB = (await createOrganization(db, { slug: "globex", name: "Globex" }, system)).id;
  const account = async (email: string, organizationId: string | null): Promise<Account> => {
    const password = `pw-${randomBytes(9).toString("base64url")}`;
    await createAdminAccount(db, { email, name: email.split("@")[0], password, organizationId }, system);
    return { email, password };
  };
  return {
    db, secretKey, server, url, orgA, orgB,
    adminA: await account("admin@acme.example", orgA),
    adminB: await account("admin@globex.example", orgB),
    operator: await account("ops@rollcall.example", null),
    agent: () => browserLike(server, url),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
      await drop();
    },
  };
}
