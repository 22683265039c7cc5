/**
 * Fairness under attack (issue 9): `npm run bench:fairness [-- --users 30000 --noisy 4 --requests 400 --db sqlite|postgres://user@host:5432/admin-db]`
 *
 * Two scenarios against one Rollcall process (bench/server.ts) on a fresh database, each reporting a victim's
 * latency quiet and under load, sequential requests on one keep-alive connection:
 * 1. Noisy tenant: organization "noisy" (--users users) runs the most expensive filter the budget allows (four
 *    `displayName co` tests OR-ed, a page of 100) from --noisy clients in a loop, while organization "victim" reads
 *    its users by id. Target: victim p99 ≤ 3× its quiet p99.
 * 2. Unauthenticated bodies: --noisy clients without any credential post 1 MiB bodies of nested arrays to the SCIM
 *    and admin API doors in a loop, while GET /healthz is measured.
 * Nothing here asserts; it prints figures (docs/benchmarks.md).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { Agent } from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { openDatabase } from "../src/db/database.js";
import { fmt, Latencies, log, machineLine, onFreshDatabase, percentile, pick, positive, printHelp, Req, send, startServer } from "./common.js";
import { seed } from "./seed.js";

const args = process.argv.slice(2);
if (args.includes("--help")) {
  printHelp(import.meta.url);
  process.exit(0);
}
if (args.includes("--attack")) {
  const [spec] = await once(createInterface({ input: process.stdin }), "line") as [string];
  await attacker(JSON.parse(spec));
  process.exit(0);
}
const flag = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const users = positive("users", flag("users"), 30_000);
const noisyClients = positive("noisy", flag("noisy"), 4);
const requests = positive("requests", flag("requests"), 400);

interface Figures { p50: number; p99: number; max: number; statuses: Record<number, number> }

/** `count` requests one after another on one keep-alive connection: the victim's view. */
async function sequential(port: number, count: number, next: () => Req): Promise<Figures> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies = new Latencies();
  const statuses: Record<number, number> = {};
  for (let i = 0; i < count; i++) {
    const res = await send(port, next(), agent);
    latencies.add(res.ms);
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  }
  agent.destroy();
  const sorted = latencies.sorted();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1], statuses };
}

/**
 * Attackers run in a process of their own (this file with `--attack`), so that building and sending their requests
 * never delays the victim's on this event loop. Each client sends its request in a loop until standard input closes,
 * then the process prints the answers it got, by status.
 */
async function attacker(spec: { port: number; clients: number; requests: Req[] }) {
  let running = true;
  process.stdin.resume().on("end", () => (running = false));
  const statuses: Record<number, number> = {};
  await Promise.all(Array.from({ length: spec.clients }, async (_, i) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let n = i; running; n++) {
      const res = await send(spec.port, spec.requests[n % spec.requests.length], agent).catch(() => ({ status: 0 }));
      // The first answer says the attack is on: the victim's measurement starts then.
      if (Object.keys(statuses).length === 0) process.stdout.write("attacking\n");
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
    agent.destroy();
  }));
  process.stdout.write(JSON.stringify(statuses) + "\n");
}

function attack(port: number, clients: number, requests: Req[]) {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--attack"], { stdio: ["pipe", "pipe", "inherit"] });
  child.stdin.write(JSON.stringify({ port, clients, requests }) + "\n");
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    started: lines.next(),
    stop: async () => {
      child.stdin.end();
      const { value } = await lines.next();
      await once(child, "exit");
      return JSON.parse(value as string) as Record<number, number>;
    },
  };
}

const line = (label: string, f: Figures) =>
  `${label.padEnd(34)} p50 ${fmt(f.p50, 2).padStart(8)} ms   p99 ${fmt(f.p99, 2).padStart(8)} ms   max ${fmt(f.max, 1).padStart(8)} ms   ${JSON.stringify(f.statuses)}`;

await onFreshDatabase(flag("db") ?? "sqlite", async (target, track) => {
  log(`${target.label}; noisy organization ${fmt(users)} users; ${noisyClients} noisy clients; ${requests} victim requests per phase`);
  log(`machine: ${machineLine()}`);
  const db = await openDatabase({ url: target.url });
  const quiet = { bigGroupSize: 10, smallGroups: 1, smallGroupSize: 5, progress: (l: string) => log(`seeding: ${l}`) };
  const noisy = await seed(db, { ...quiet, users, slug: "noisy" });
  const victim = await seed(db, { ...quiet, users: 1_000, slug: "victim" });
  await db.close();

  const child = track(await startServer("rollcall", { DATABASE_URL: target.url }));
  const byId = (): Req => ({ method: "GET", path: `/scim/v2/Users/${pick(victim.users).id}`, headers: { Authorization: `Bearer ${victim.token}` } });
  const worstFilter = ["Ada", "Tur", "zq", "ell"].map((s) => `displayName co "${s}"`).join(" or ");
  const expensive = (): Req => ({
    method: "GET", path: `/scim/v2/Users?count=100&filter=${encodeURIComponent(worstFilter)}`, headers: { Authorization: `Bearer ${noisy.token}` },
  });
  const healthz = (): Req => ({ method: "GET", path: "/healthz", headers: {} });
  const deep = `{"userName": ${"[".repeat(524_288)}${"]".repeat(524_288)}}`;
  const deepBodies: Req[] = ["/scim/v2/Users", "/api/v1/organizations"].map((path) => ({
    method: "POST", path, body: deep, headers: { "Content-Type": "application/json" },
  }));

  // Warm both paths (the scan worker starts on first use).
  await sequential(child.port, 20, byId);
  await sequential(child.port, 4, expensive);
  const one = await send(child.port, expensive());
  log(`one worst-allowed filter on the noisy organization alone: ${fmt(one.ms, 1)} ms (status ${one.status})`);

  const results: string[] = [];
  const victimQuiet = await sequential(child.port, requests, byId);
  results.push(line("victim GET /Users/{id}, quiet", victimQuiet));
  const noise = attack(child.port, noisyClients, [expensive()]);
  await noise.started;
  const victimNoisy = await sequential(child.port, requests, byId);
  const noisyAnswers = await noise.stop();
  results.push(line(`victim GET /Users/{id}, ${noisyClients} noisy`, victimNoisy));
  results.push(`  noisy clients' answers: ${JSON.stringify(noisyAnswers)}; victim p99 ratio ${fmt(victimNoisy.p99 / victimQuiet.p99, 2)}× (target ≤ 3×)`);

  const healthQuiet = await sequential(child.port, requests, healthz);
  results.push(line("GET /healthz, quiet", healthQuiet));
  const flood = attack(child.port, noisyClients, deepBodies);
  await flood.started;
  const healthFlooded = await sequential(child.port, requests, healthz);
  const floodAnswers = await flood.stop();
  results.push(line(`GET /healthz, ${noisyClients} deep-body posters`, healthFlooded));
  results.push(`  deep-body posters' answers: ${JSON.stringify(floodAnswers)}; /healthz p99 ratio ${fmt(healthFlooded.p99 / healthQuiet.p99, 2)}×`);

  console.log("");
  console.log(`Rollcall fairness benchmark — ${new Date().toISOString().slice(0, 10)}, ${machineLine()}, ${target.label}`);
  for (const r of results) console.log(r);
});
