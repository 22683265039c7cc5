import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Database, openDatabase } from "../../src/db/database.js";
import { createConnection, deleteConnection } from "../../src/identity/connections.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { promoteNextSpKey, publishNextSpKey } from "../../src/identity/saml-keys.js";
import { samlPreset } from "../../src/sso/presets.js";
import { RunningApp, startAppOn } from "../support/app-server.js";
import { TestIdp } from "../support/saml-idp.js";

/** /metrics tells how many days each SAML connection's SP certificates have left, so that an alert comes before expiry. */
describe("/metrics: SP certificate expiry", () => {
  const key = randomBytes(32);
  const system = { type: "system" as const, id: null };
  let db: Database;
  let app: RunningApp;
  before(async () => {
    db = await openDatabase({ url: "sqlite::memory:" });
    app = await startAppOn(db, { secretKey: key });
  });
  after(async () => {
    await app.close();
    await db.close();
  });

  const series = async (connectionId: string) => {
    const text = await (await fetch(`${app.origin}/metrics`)).text();
    return Object.fromEntries([...text.matchAll(new RegExp(`^saml_sp_certificate_expiry_days\\{connection_id="${connectionId}",key="(\\w+)"\\} (\\S+)$`, "gm"))]
      .map((m) => [m[1], Number(m[2])]));
  };

  it("has a series per key of each connection, following rotation and deletion", async () => {
    const org = await createOrganization(db, { slug: "metrics", name: "Metrics" }, system);
    const idp = new TestIdp();
    const connection = await createConnection(db, key, org.id, {
      type: "saml", name: "IdP", loginPath: "metricssaml", preset: "generic",
      saml: { ...samlPreset("generic"), idpMetadataUrl: null, idpMetadataXml: idp.metadata(), idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl,
        idpCertificates: idp.keys.map((k) => k.certBody), metadataFetchedAt: null, allowIdpInitiated: false },
    }, system);
    const first = await series(connection.id);
    assert.deepEqual(Object.keys(first), ["current"]);
    assert.ok(first.current > 3 * 365 - 2 && first.current <= 3 * 366, String(first.current));

    await publishNextSpKey(db, key, org.id, connection.id, system);
    assert.deepEqual(Object.keys(await series(connection.id)).sort(), ["current", "next"]);
    await promoteNextSpKey(db, key, org.id, connection.id, system);
    assert.deepEqual(Object.keys(await series(connection.id)), ["current"]);
    await deleteConnection(db, org.id, connection.id, system);
    assert.deepEqual(await series(connection.id), {}, "no stale series for a deleted connection");
  });
});
