import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { startServer, stopServer } from "../support/server-process.js";

const exec = promisify(execFile);
const packageJson = JSON.parse(readFileSync("package.json", "utf8"));
const CLI = packageJson.bin.rollcall as string;

/** Every file under dir, recursively. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));

/** Static `import … from "x"`, `export … from "x"` and `import "x"` statements, as tsc emits them (one per line start). */
const IMPORT = /^(?:import\s+(?:[\w$*{}\s,]+?\s+from\s*)?|export\s+(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})\s+from\s*)["']([^"']+)["']/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** `express` for "express/lib/x", `@node-saml/node-saml` for "@node-saml/node-saml/lib/x". */
const packageOf = (specifier: string) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");

/**
 * What the container image runs (Dockerfile): `npm run build`'s dist/ with production dependencies only, the server
 * as `node dist/src/server.js` and the CLI as `rollcall` on the PATH (a link to package.json's "bin"), from a
 * working directory that holds no sources. Built once with the image's own command.
 */
describe("the compiled server and CLI, as the container image runs them", () => {
  const dir = mkdtempSync(join(tmpdir(), "rollcall-built-"));
  const env = { ...process.env, PATH: `${join(dir, "bin")}${delimiter}${process.env.PATH}`, DATABASE_URL: `sqlite:${join(dir, "db.sqlite")}`, NODE_ENV: "production" };
  const rollcall = (...args: string[]) => exec("rollcall", args, { env, cwd: dir });

  before(async () => {
    // `npm test` has built dist/ with this same command beside its own build (on the core tsc leaves idle there);
    // a run of this file alone builds it here.
    if (process.env.ROLLCALL_TEST_DIST_BUILT !== "1") await exec("npm", ["run", "build"]);
    // As the Dockerfile does: the "bin" script executable and linked into a directory on the PATH.
    chmodSync(CLI, 0o755);
    mkdirSync(join(dir, "bin"));
    symlinkSync(resolve(CLI), join(dir, "bin", "rollcall"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("imports only production dependencies (what `npm prune --omit=dev` keeps), so the image needs no tsx", () => {
    const lock = JSON.parse(readFileSync("package-lock.json", "utf8")).packages as Record<string, { dev?: boolean }>;
    const specifiers = (code: string) => [...code.matchAll(IMPORT), ...code.matchAll(DYNAMIC_IMPORT)].map((m) => m[1]);
    const imported = new Set(filesUnder("dist").filter((f) => f.endsWith(".js")).flatMap((f) => specifiers(readFileSync(f, "utf8"))));
    const packages = [...new Set([...imported].filter((s) => !s.startsWith(".") && !isBuiltin(s)).map(packageOf))];
    assert.ok(packages.includes("express") && packages.includes("commander"), `found the imports: ${packages.join(", ")}`);
    const devOnly = packages.filter((name) => !lock[`node_modules/${name}`] || lock[`node_modules/${name}`].dev);
    assert.deepEqual(devOnly, [], "imported by dist/ but absent from the production dependency tree");
  });

  it("`rollcall` runs the compiled CLI through its shebang: --help, then org create and org list on SQLite", async () => {
    assert.match(readFileSync(CLI, "utf8"), /^#!\/usr\/bin\/env node\n/);
    const help = (await rollcall("--help")).stdout;
    assert.match(help, /^Usage: rollcall \[options\] \[command\]/);
    for (const command of ["org", "token", "connection", "team", "mapping", "admin", "setup-link", "audit"]) {
      assert.match(help, new RegExp(`^  ${command}\\b`, "m"), `--help lists ${command}`);
    }
    assert.match((await rollcall("org", "create", "acme", "--name", "Acme Inc")).stdout, /created organization acme/);
    assert.match((await rollcall("org", "list")).stdout, /acme.*Acme Inc/);
    await assert.rejects(rollcall("org", "frobnicate"), (err: { code: number }) => err.code === 1);
  });

  it("`npx rollcall` from the checkout runs the same bin", async () => {
    const { stdout } = await exec("npx", ["--no-install", "rollcall", "org", "list"], { env });
    assert.match(stdout, /acme.*Acme Inc/);
  });

  it("`node dist/src/server.js` starts, migrates the database and answers /readyz", async () => {
    const server = await startServer({ DATABASE_URL: `sqlite:${join(dir, "server.sqlite")}`, NODE_ENV: "production" },
      { script: resolve("dist/src/server.js"), cwd: dir });
    try {
      assert.equal((await fetch(`http://127.0.0.1:${server.port}/readyz`)).status, 200);
      assert.equal(await stopServer(server.child), 0);
      assert.deepEqual(server.errors, []);
    } finally {
      await stopServer(server.child);
    }
  });
});
