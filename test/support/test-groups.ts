import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * The processes `npm test` runs, printed for its `node --test` command line (run from the checkout's root, after
 * test:build). Node's runner starts a process per file it is given, and each process spends about 1.6 s of CPU
 * loading the app and its dependencies before its first test: over 93 files that was a third of the suite's CPU on
 * a 2-core machine. So the test files of one directory share a process: build-test/groups/<dir>.test.js imports them
 * one after another, and node:test runs their suites in that order, as it would in separate processes.
 *
 * The browser suites (test/web/) stay a process each: they are the longest, and given first, one to each of the
 * runner's lanes, they keep both cores busy while the groups fill in around them. Groups follow, the largest first,
 * so that the run does not end with one long group on a single core.
 *
 * A single file still runs on its own: `node --import tsx --test test/<dir>/<file>.test.ts`.
 */
const BUILT_TESTS = "build-test/test";
const GROUPS = "build-test/groups";
/** Directories whose files keep a process each. */
const ALONE = new Set(["web"]);

const testFilesIn = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".test.js")).sort().map((f) => join(dir, f));

rmSync(GROUPS, { recursive: true, force: true });
mkdirSync(GROUPS, { recursive: true });
const alone: string[] = [];
const groups: { file: string; size: number }[] = [];
for (const entry of readdirSync(BUILT_TESTS, { withFileTypes: true }).filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
  const files = testFilesIn(join(BUILT_TESTS, entry.name));
  if (files.length === 0) continue;
  if (ALONE.has(entry.name)) {
    alone.push(...files);
    continue;
  }
  const file = join(GROUPS, `${entry.name}.test.js`);
  // One after another, as separate processes would load them: a static import of all of them would run each
  // module's top level while the ones before it still await theirs (the database check, say) and starve their timers.
  writeFileSync(file, files.map((f) => `await import("./${relative(GROUPS, f)}");\n`).join(""));
  groups.push({ file, size: files.length });
}
// Files at the top of test/ are few and short: a process each.
const top = testFilesIn(BUILT_TESTS);
groups.sort((a, b) => b.size - a.size || a.file.localeCompare(b.file));
process.stdout.write([...alone, ...groups.map((g) => g.file), ...top].join("\n") + "\n");
