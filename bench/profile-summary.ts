/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`, as `npm run bench -- --profile` writes for the app process) and
 * says where the time went: self time by area (a package under node_modules, a file of Rollcall, Node internals,
 * GC, idle), the functions with the most self time, and Rollcall's own functions by inclusive time.
 *
 *   node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

const ROOT = pathToFileURL(resolve(fileURLToPath(import.meta.url), "..", "..")).href;

function areaOf(url: string, name: string): string {
  if (name === "(idle)" || name === "(program)" || name === "(garbage collector)" || name === "(root)") return name;
  if (!url) return "(native / V8 builtins)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith("node:")) return "node: internals";
  if (url.startsWith(ROOT)) return url.slice(ROOT.length + 1);
  return url;
}

const where = (n: ProfileNode) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const short = url.replace(ROOT + "/", "").replace(/^.*node_modules\//, "");
  return `${functionName || "(anonymous)"} ${short ? `${short}:${lineNumber + 1}` : ""}`.trim();
};

export function summariseProfile(file: string, top = 20): string {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
    if (byId.get(id)!.callFrame.functionName === "(idle)") idle += dt;
  });
  const busy = total - idle;

  const areas = new Map<string, number>();
  const selfByFn = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    if (area !== "(idle)") selfByFn.set(where(node), (selfByFn.get(where(node)) ?? 0) + us);
    // Inclusive time of Rollcall's own functions (each counted once per stack, recursion or not).
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      if (!n.callFrame.url.startsWith(ROOT) || n.callFrame.url.includes("node_modules")) continue;
      const key = where(n);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }

  const pct = (us: number, of: number) => `${((100 * us) / of).toFixed(1).padStart(5)}%`;
  const ranked = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  const out = [`${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s busy (not idle); shares below are of busy time`];
  out.push("", "Self time by area:");
  for (const [k, us] of ranked(new Map([...areas].filter(([k]) => k !== "(idle)")), top)) out.push(`  ${pct(us, busy)}  ${k}`);
  out.push("", "Functions by self time:");
  for (const [k, us] of ranked(selfByFn, top)) out.push(`  ${pct(us, busy)}  ${k}`);
  out.push("", "Rollcall functions by inclusive time:");
  for (const [k, us] of ranked(inclusive, top)) out.push(`  ${pct(us, busy)}  ${k}`);
  return out.join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error("usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]");
    process.exit(2);
  }
  console.log(summariseProfile(file, top ? Number(top) : 25));
}
