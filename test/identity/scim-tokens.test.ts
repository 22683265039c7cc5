import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { ScimToken } from "../../entities/index.js";
import { Database, openDatabase } from "../../src/db/database.js";
import { listAuditEvents } from "../../src/identity/audit.js";
import { IdentityError } from "../../src/identity/errors.js";
import { bootstrapDefaultOrganization, createOrganization } from "../../src/identity/organizations.js";
import { authenticateScimToken, createScimToken, listScimTokens, revokeScimToken } from "../../src/identity/scim-tokens.js";

const system = { type: "system" as const, id: null };

describe("SCIM tokens", () => {
  let db: Database;
  let orgA: string;
  let orgB: string;
  before(async () => {
    db = await openDatabase({ url: "sqlite::memory:" });
    orgA = (await createOrganization(db, { slug: "a", name: "A" }, system)).id;
    orgB = (await createOrganization(db, { slug: "b", name: "B" }, system)).id;
  });
  after(() => db.close());

  it("are random, shown once, stored only as a SHA-256 digest with a display prefix", async () => {
    const { token, info } = await createScimToken(db, orgA, { name: "okta" }, system);
    assert.match(token, /^rcs_[A-Za-z0-9_-]{43}$/);
    const row = await db.dataSource.getRepository(ScimToken).findOneByOrFail({ id: info.id });
    assert.equal(row.hash, createHash("sha256").update(token).digest("hex"));
    assert.equal(row.prefix, token.slice(0, 12));
    assert.ok(!JSON.stringify(info).includes(token.slice(12)));
    assert.ok(!JSON.stringify(await listScimTokens(db, orgA)).includes(row.hash));
  });

  it("authenticate to their organization only; a near miss with the same prefix fails", async () => {
    const { token } = await createScimToken(db, orgB, { name: "entra" }, system);
    assert.equal((await authenticateScimToken(db, token))?.organizationId, orgB);
    assert.equal(await authenticateScimToken(db, token.slice(0, -1) + (token.endsWith("A") ? "B" : "A")), null);
    assert.equal(await authenticateScimToken(db, ""), null);
    assert.equal(await authenticateScimToken(db, "x".repeat(5000)), null);
  });

  it("record last use, at most once a minute", async () => {
    const { token, info } = await createScimToken(db, orgA, { name: "used" }, system);
    assert.equal(info.lastUsedAt, null);
    const first = await authenticateScimToken(db, token);
    assert.ok(first?.lastUsedAt);
    const second = await authenticateScimToken(db, token);
    assert.equal(second?.lastUsedAt, first.lastUsedAt);
  });

  it("revocation takes effect at once and is audited; another organization cannot revoke it", async () => {
    const { token, info } = await createScimToken(db, orgA, { name: "leaving" }, system);
    await assert.rejects(revokeScimToken(db, orgB, info.id, system), (e: unknown) => e instanceof IdentityError && e.reason === "notFound");
    assert.ok(await authenticateScimToken(db, token));
    await revokeScimToken(db, orgA, info.id, { type: "admin", id: "cli" });
    assert.equal(await authenticateScimToken(db, token), null);
    const events = await listAuditEvents(db.dataSource.manager, orgA, { targetId: info.id });
    assert.deepEqual(events.map((e) => [e.action, e.actorType]), [["scim_token.created", "system"], ["scim_token.revoked", "admin"]]);
    assert.equal((await listAuditEvents(db.dataSource.manager, orgB, { targetId: info.id })).length, 0);
  });

  it("a chosen value (bootstrap) must be long enough", async () => {
    await assert.rejects(createScimToken(db, orgA, { name: "short", value: "too-short" }, system), /at least 24/);
  });
});

describe("bootstrap of the default organization", () => {
  it("creates it and its token once; later calls find it and create nothing", async () => {
    const db = await openDatabase({ url: "sqlite::memory:" });
    try {
      const first = await bootstrapDefaultOrganization(db, undefined);
      assert.ok(first.token);
      assert.equal((await authenticateScimToken(db, first.token))?.organizationId, first.organization.id);
      const again = await bootstrapDefaultOrganization(db, undefined);
      assert.equal(again.token, null);
      assert.equal(again.organization.id, first.organization.id);
      assert.equal((await listScimTokens(db, first.organization.id)).length, 1);
    } finally {
      await db.close();
    }
  });
});
