import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openDatabase } from "../../src/db/database.js";
import { FairQueue, OrganizationBusy } from "../../src/db/fair-queue.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createUser, listUsers } from "../../src/identity/users.js";
import { userColumns } from "../../src/identity/attribute-columns.js";
import { filterToSql } from "../../src/scim/filter/sql.js";
import { parseFilter } from "../../src/scim/filter/parse.js";

/** A read that finishes when the test says so, recording when it started. */
function gate(started: string[], name: string) {
  let open!: () => void;
  const done = new Promise<string>((resolve) => (open = () => resolve(name)));
  return { read: () => { started.push(name); return done; }, open };
}

describe("expensive reads take turns by organization (FairQueue)", () => {
  it("serves waiting organizations round-robin, one organization's backlog never ahead of another's next read", async () => {
    const queue = new FairQueue({ total: 1, perOrganization: 1, queuedPerOrganization: 16 });
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof gate>>();
    const run = (org: string, n: number) => {
      const g = gate(started, `${org}${n}`);
      gates.set(`${org}${n}`, g);
      return queue.run(org, g.read);
    };
    const results = [run("noisy", 1), run("noisy", 2), run("noisy", 3), run("noisy", 4), run("victim", 1)];
    for (const next of ["noisy1", "victim1", "noisy2", "noisy3", "noisy4"]) {
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(started.at(-1), next, `order so far: ${started.join(", ")}`);
      gates.get(next)!.open();
    }
    assert.deepEqual(await Promise.all(results), ["noisy1", "noisy2", "noisy3", "noisy4", "victim1"]);
  });

  it("runs at most `perOrganization` reads of one organization at once, leaving the rest of `total` to others", async () => {
    const queue = new FairQueue({ total: 3, perOrganization: 2, queuedPerOrganization: 16 });
    const started: string[] = [];
    const gates = ["a1", "a2", "a3", "b1"].map((name) => ({ name, g: gate(started, name) }));
    const runs = gates.map(({ name, g }) => queue.run(name[0], g.read));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, ["a1", "a2", "b1"]);
    gates[0].g.open();
    await runs[0];
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, ["a1", "a2", "b1", "a3"]);
    for (const { g } of gates) g.open();
    await Promise.all(runs);
  });

  it("refuses an organization's read beyond its waiting limit (OrganizationBusy), not another's; a failed read frees its turn", async () => {
    const queue = new FairQueue({ total: 1, perOrganization: 1, queuedPerOrganization: 2 });
    const first = gate([], "a1");
    const running = queue.run("a", first.read);
    const second = queue.run("a", async () => "a2");
    const failing = queue.run("a", async () => { throw new Error("boom"); });
    await assert.rejects(queue.run("a", async () => "a4"), OrganizationBusy);
    const other = queue.run("b", async () => "b1");
    first.open();
    assert.equal(await running, "a1");
    assert.equal(await other, "b1");
    assert.equal(await second, "a2");
    await assert.rejects(failing, /boom/);
    assert.equal(await queue.run("a", async () => "again"), "again");
  });
});

describe("SQLite scans run in a worker thread, and see every acknowledged write", () => {
  it("filtered pages from the worker match the data, right after each write", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rollcall-scan-"));
    const db = await openDatabase({ url: `sqlite:${join(dir, "scan.sqlite")}` });
    try {
      const system = { type: "system" as const, id: null };
      const org = await createOrganization(db, { slug: "acme", name: "Acme" }, system);
      const other = await createOrganization(db, { slug: "globex", name: "Globex" }, system);
      const condition = filterToSql(parseFilter('displayName co "ÉLO"'), userColumns, db);
      for (let i = 0; i < 5; i++) {
        await createUser(db, org.id, { userName: `u${i}@acme.test`, displayName: i % 2 ? `Hélo ${i}` : `Other ${i}` }, system);
        await createUser(db, other.id, { userName: `u${i}@globex.test`, displayName: `Hélo ${i}` }, system);
        const page = await listUsers(db, org.id, { condition, start: { offset: 0 }, limit: 100 });
        // Unicode folding (rc_fold) in the worker as on the main connection; another organization's rows never counted.
        assert.equal(page.total, Math.floor((i + 1) / 2), `after user ${i}`);
        assert.ok(page.users.every((u) => u.organizationId === org.id && /Hélo/.test(u.displayName ?? "")));
      }
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
