/**
 * Lifecycle events and webhooks under sustained SCIM writes: `npm run bench:events` (see docs/benchmarks.md).
 *
 * 1. The outbox's cost per SCIM write: the identity core's user creation and update, timed in one process
 *    (bench/events-write-cost.ts), on this checkout and on the base commit without the outbox (`--base`, default
 *    the merge base with main, unpacked with git archive into a temp dir), alternately, best of two runs each.
 * 2. Delivery: the app and its webhook worker (default 1 s pass interval) in this process, three webhook receivers
 *    (real HTTP servers, also here), SCIM POST /Users from `--connections` clients for `--duration` seconds; then
 *    until every delivery is made. Events/s delivered and lag (receipt minus the event's timestamp) p50/p99.
 *
 * Flags: --db sqlite|postgres://user@host:5432/admin-db --duration S (20) --connections N (8) --writes N (2000)
 *        --base REF (merge-base of HEAD and main) --quick (5 s, 500 writes)
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { createApp } from "../src/app.js";
import { openDatabase } from "../src/db/database.js";
import { createOrganization } from "../src/identity/organizations.js";
import { createScimToken } from "../src/identity/scim-tokens.js";
import { createWebhookEndpoint } from "../src/identity/webhooks.js";
import { WebhookWorker } from "../src/apps/webhooks/worker.js";
import { fmt, freshDatabase, log, machineLine, markdownTable, percentile, positive, printHelp, ROOT, SCIM_JSON, USER_URN } from "./common.js";

const { values: flags } = parseArgs({
  options: {
    db: { type: "string", default: "sqlite" }, duration: { type: "string" }, connections: { type: "string" }, writes: { type: "string" },
    base: { type: "string" }, quick: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false },
  },
});
if (flags.help) {
  printHelp(import.meta.url);
  process.exit(0);
}
const options = {
  duration: positive("duration", flags.duration, flags.quick ? 5 : 20, false),
  connections: positive("connections", flags.connections, 8),
  writes: positive("writes", flags.writes, flags.quick ? 500 : 2000),
  base: flags.base ?? execFileSync("git", ["merge-base", "HEAD", "main"], { cwd: ROOT }).toString().trim(),
};
const system = { type: "system" as const, id: null };

async function writeCost(root: string): Promise<{ createUs: number; updateUs: number }> {
  const target = await freshDatabase(flags.db!);
  try {
    const out = execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "bench/events-write-cost.ts"), "--root", root, "--db", target.url,
      "--writes", String(options.writes)], { cwd: root, maxBuffer: 1 << 20 }).toString().trim().split("\n").at(-1)!;
    return JSON.parse(out);
  } finally {
    await target.drop();
  }
}

async function outboxCost() {
  const baseDir = mkdtempSync(join(tmpdir(), "rollcall-base-"));
  try {
    execFileSync("sh", ["-c", `git archive ${options.base} | tar -x -C ${baseDir}`], { cwd: ROOT });
    symlinkSync(join(ROOT, "node_modules"), join(baseDir, "node_modules"));
    log(`write cost: ${options.writes} creations and updates, base ${options.base.slice(0, 7)} (no outbox) and this checkout, alternately, best of 2`);
    type Cost = { createUs: number; updateUs: number };
    const runs: Array<{ without: Cost; withOutbox: Cost }> = [];
    for (let round = 0; round < 2; round++) runs.push({ without: await writeCost(baseDir), withOutbox: await writeCost(ROOT) });
    const best = (pick: (r: (typeof runs)[number]) => Cost) =>
      ({ createUs: Math.min(...runs.map((r) => pick(r).createUs)), updateUs: Math.min(...runs.map((r) => pick(r).updateUs)) });
    return { without: best((r) => r.without), withOutbox: best((r) => r.withOutbox) };
  } finally {
    rmSync(baseDir, { recursive: true, force: true });
  }
}

async function delivery() {
  const target = await freshDatabase(flags.db!);
  const db = await openDatabase({ url: target.url });
  const secretKey = randomBytes(32);
  const logger = pino({ level: "silent" });
  const org = (await createOrganization(db, { slug: "bench", name: "Bench" }, system)).id;
  const { token } = await createScimToken(db, org, { name: "bench" }, system);
  const lags: number[] = [];
  let firstArrival = 0;
  let lastArrival = 0;
  const receivers = await Promise.all([0, 1, 2].map(async () => {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const now = Date.now();
        firstArrival ||= now;
        lastArrival = now;
        lags.push(now - Date.parse(JSON.parse(Buffer.concat(chunks).toString()).timestamp));
        res.writeHead(204).end();
      });
    }).listen(0, "127.0.0.1");
    await once(server, "listening");
    return server;
  }));
  for (const r of receivers) {
    await createWebhookEndpoint(db, secretKey, org, { url: `http://127.0.0.1:${(r.address() as AddressInfo).port}/hook` }, system, { allowPrivateUrls: true });
  }
  const worker = new WebhookWorker({ db, secretKey, logger, timeoutMs: 15_000, allowPrivateUrls: true });
  await worker.runOnce();
  worker.start();
  const app = createApp({ db, baseUrl: "http://bench.test", logger, secretKey }).listen(0, "127.0.0.1");
  await once(app, "listening");
  const port = (app.address() as AddressInfo).port;
  log(`delivery: ${options.connections} SCIM clients for ${options.duration} s, 3 endpoints, ${target.label}`);
  const until = Date.now() + options.duration * 1000;
  let writes = 0;
  let n = 0;
  await Promise.all(Array.from({ length: options.connections }, async () => {
    while (Date.now() < until) {
      const res = await fetch(`http://127.0.0.1:${port}/scim/v2/Users`, {
        method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": SCIM_JSON },
        body: JSON.stringify({ schemas: [USER_URN], userName: `u${n++}@bench.test`, emails: [{ value: `u${n}@bench.test`, primary: true }] }),
      });
      await res.arrayBuffer();
      if (res.status === 201) writes++;
    }
  }));
  const writeSeconds = options.duration;
  const expected = writes * 3;
  const drainStart = Date.now();
  while (lags.length < expected && Date.now() - drainStart < 300_000) await new Promise((r) => setTimeout(r, 100));
  await worker.stop();
  app.close();
  receivers.forEach((r) => r.close());
  await db.close();
  await target.drop();
  const sorted = Float64Array.from(lags).sort();
  return {
    label: target.label, writes, writesPerSecond: writes / writeSeconds, delivered: lags.length, expected,
    deliveredPerSecond: lags.length / ((lastArrival - firstArrival) / 1000), p50: percentile(sorted, 50), p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? 0,
  };
}

log(machineLine());
const cost = await outboxCost();
const d = await delivery();
console.log(markdownTable(["SCIM write (identity core, sequential)", "without outbox (µs)", "with outbox (µs)", "outbox cost (µs)"], [
  ["user created", fmt(cost.without.createUs), fmt(cost.withOutbox.createUs), fmt(cost.withOutbox.createUs - cost.without.createUs)],
  ["user updated", fmt(cost.without.updateUs), fmt(cost.withOutbox.updateUs), fmt(cost.withOutbox.updateUs - cost.without.updateUs)],
]));
console.log("");
console.log(markdownTable(["database", "SCIM creates", "creates/s", "deliveries (made/expected)", "delivered/s", "lag p50 (ms)", "lag p99 (ms)", "lag max (ms)"], [
  [d.label, fmt(d.writes), fmt(d.writesPerSecond, 1), `${fmt(d.delivered)}/${fmt(d.expected)}`, fmt(d.deliveredPerSecond, 1), fmt(d.p50), fmt(d.p99), fmt(d.max)],
]));
process.exit(0);
