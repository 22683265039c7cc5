import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { recordOnce, requestIdCache, stashPostedResponse, takePostedResponse } from "../../src/sso/saml/transactions.js";
import { databaseTargets, freshDatabase } from "../support/databases.js";

/** What the SAML door keeps in sso_transactions is single-use across replicas, scoped to a connection, and expires. */

for (const target of await databaseTargets()) {
  describe(`SAML transactions (${target.name})`, { skip: target.skip }, () => {
    const connectionId = randomUUID();
    const database = freshDatabase(target);

    it("a request id is read by one validation only, twice within it, and only for its connection", async () => {
      const id = `_${randomUUID()}`;
      await requestIdCache(database(), connectionId).saveAsync(id, "2030-01-01T00:00:00Z");
      assert.equal(await requestIdCache(database(), randomUUID()).getAsync(id), null, "another connection's cache does not see it");
      const validation = requestIdCache(database(), connectionId);
      assert.equal(await validation.getAsync(id), "2030-01-01T00:00:00Z");
      assert.equal(await validation.getAsync(id), "2030-01-01T00:00:00Z", "node-saml reads it again for SubjectConfirmationData");
      assert.equal(await requestIdCache(database(), connectionId).getAsync(id), null, "another replica's validation finds it used");
    });

    it("of replicas validating one response at the same time, exactly one gets the request id", async () => {
      const id = `_${randomUUID()}`;
      await requestIdCache(database(), connectionId).saveAsync(id, "2030-01-01T00:00:00Z");
      const reads = await Promise.all(Array.from({ length: 6 }, () => requestIdCache(database(), connectionId).getAsync(id)));
      assert.equal(reads.filter((r) => r !== null).length, 1, JSON.stringify(reads));
    });

    it("a posted response is taken once, by its connection, and not after it expired", async () => {
      const posted = { samlResponse: "PHNhbWxwOlJlc3BvbnNlLz4=", relayState: "nonce", inResponseTo: "_r1" };
      const handle = await stashPostedResponse(database(), connectionId, posted);
      assert.deepEqual(await takePostedResponse(database(), connectionId, handle), posted);
      assert.equal(await takePostedResponse(database(), connectionId, handle), null);

      const other = await stashPostedResponse(database(), connectionId, posted);
      assert.equal(await takePostedResponse(database(), randomUUID(), other), null);
      assert.equal(await takePostedResponse(database(), connectionId, "../../etc"), null);

      const stale = await stashPostedResponse(database(), connectionId, posted);
      await database().transaction((em) => em.query(`UPDATE sso_transactions SET expires_at = '2000-01-01T00:00:00.000Z' WHERE "key" = 'saml:posted:${stale}'`));
      assert.equal(await takePostedResponse(database(), connectionId, stale), null);
    });

    it("an assertion id is accepted once until it expires", async () => {
      const id = `_${randomUUID()}`;
      assert.equal(await recordOnce(database(), connectionId, "assertion", id, new Date(Date.now() - 1000)), true);
      assert.equal(await recordOnce(database(), connectionId, "assertion", id, new Date(Date.now() + 60_000)), true, "an expired record does not block");
      assert.equal(await recordOnce(database(), connectionId, "assertion", id, new Date(Date.now() + 60_000)), false);
      assert.equal(await recordOnce(database(), randomUUID(), "assertion", id, new Date(Date.now() + 60_000)), true, "records are per connection");
    });
  });
}
