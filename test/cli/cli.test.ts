import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { openDatabase } from "../../src/db/database.js";
import { authenticateScimToken } from "../../src/identity/scim-tokens.js";
import { cliOnTemporaryDatabase, runCliInProcess } from "../support/cli.js";
import { programArgs } from "../support/server-process.js";

const exec = promisify(execFile);

describe("rollcall CLI", () => {
  const { env, cli, remove } = cliOnTemporaryDatabase("rollcall-cli-");
  after(remove);

  it("manages webhook endpoints and lists lifecycle events", async () => {
    await cli("org", "create", "hooked", "--name", "Hooked");
    const hookEnv = { ...env, ROLLCALL_ALLOW_INSECURE_IDP: "1" };
    const run = async (...argv: string[]) => {
      const done = await runCliInProcess(argv, hookEnv);
      if (done.code !== 0) throw new Error(done.stderr);
      return done;
    };
    const created = (await run("webhook", "create", "http://127.0.0.1:9/hooks", "--org", "hooked", "--types", "user.created,scim_token.created")).stdout;
    assert.match(created, /signing secret \(shown once\): whsec_/);
    const id = /endpoint id: (\S+)/.exec(created)![1];
    assert.match((await run("webhook", "list", "--org", "hooked")).stdout, new RegExp(`${id}[\\s\\S]*user.created,scim_token.created`));
    await assert.rejects(run("webhook", "create", "http://127.0.0.1:9/hooks", "--org", "hooked", "--types", "user.exploded"), /unknown event type/);
    await cli("token", "create", "--org", "hooked");
    assert.match((await cli("events", "--org", "hooked", "--types", "scim_token.created")).stdout, /scim_token\.created/);
    await run("webhook", "delete", id, "--org", "hooked");
    assert.match((await run("webhook", "list", "--org", "hooked")).stdout, /\(none\)/);
  });

  it("creates an organization and a token that authenticates; revokes it; shows the audit trail", async () => {
    assert.match((await cli("org", "create", "acme", "--name", "Acme")).stdout, /created organization acme/);
    const created = (await cli("token", "create", "--org", "acme", "--name", "okta")).stdout;
    assert.match(created, /SCIM base URL: https:\/\/id\.example\.test\/scim\/v2/);
    const token = /shown once\): (\S+)/.exec(created)![1];
    const tokenId = /token id: (\S+)/.exec(created)![1];

    const db = await openDatabase({ url: env.DATABASE_URL });
    try {
      assert.ok(await authenticateScimToken(db, token));
      const listed = (await cli("token", "list", "--org", "acme")).stdout;
      assert.ok(listed.includes(tokenId) && !listed.includes(token));
      await cli("token", "revoke", tokenId, "--org", "acme");
      assert.equal(await authenticateScimToken(db, token), null);
    } finally {
      await db.close();
    }
    const audit = (await cli("audit", "--org", "acme")).stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(audit.map((e) => e.action), ["organization.created", "scim_token.created", "scim_token.revoked"]);
    assert.ok(audit.every((e) => e.actorType === "admin" && e.actorId === "cli"));
  });

  it("answers a usage error with exit code 1 and commander's message, leaving the process running", async () => {
    const run = await runCliInProcess(["org", "frobnicate"], env);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /unknown command 'frobnicate'/);
    assert.match((await runCliInProcess(["--help"], env)).stdout, /Usage: rollcall/);
  });

  it("says what to do when an organization does not exist, and exits non-zero (the bin, in its own process)", async () => {
    await assert.rejects(exec(process.execPath, [...programArgs("src/cli/index"), "token", "create", "--org", "nope"], { env }), (err: { code: number; stderr: string }) =>
      err.code === 1 && /no organization "nope"; list them with: npm run cli -- org list/.test(err.stderr));
  });
});
