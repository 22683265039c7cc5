import assert from "node:assert/strict";
import { createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import forge from "node-forge";
import { Database, openDatabase } from "../../src/db/database.js";
import { createConnection, getConnection } from "../../src/identity/connections.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { ensureSpKeys } from "../../src/identity/saml-keys.js";
import { samlPreset } from "../../src/sso/presets.js";
import { TestIdp } from "../support/saml-idp.js";

/** SP keys of SAML connections: what a new key is, and the start-up step that keys connections made before them. */
describe("SAML SP keys", () => {
  const key = randomBytes(32);
  const system = { type: "system" as const, id: null };
  let db: Database;
  let organizationId: string;
  before(async () => {
    db = await openDatabase({ url: "sqlite::memory:" });
    organizationId = (await createOrganization(db, { slug: "keys", name: "Keys" }, system)).id;
  });
  after(() => db.close());

  const newConnection = (loginPath: string) => {
    const idp = new TestIdp();
    return createConnection(db, key, organizationId, {
      type: "saml", name: loginPath, loginPath, preset: "generic",
      saml: { ...samlPreset("generic"), idpMetadataUrl: null, idpMetadataXml: idp.metadata(), idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl,
        idpCertificates: idp.keys.map((k) => k.certBody), metadataFetchedAt: null, allowIdpInitiated: false },
    }, system);
  };

  it("gives a new connection an RSA-2048 key and a self-signed SHA-256 certificate valid three years", async () => {
    const connection = await newConnection("keysnew");
    const [spKey] = connection.saml!.spKeys!;
    const cert = new X509Certificate(spKey.certificate);
    assert.equal(spKey.state, "current");
    assert.ok(cert.verify(cert.publicKey), "self-signed");
    assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.ok(cert.checkPrivateKey(createPrivateKey(spKey.privateKey)));
    assert.match(cert.subject, new RegExp(`CN=Rollcall SAML SP ${connection.id}`));
    const years = (Date.parse(cert.validTo) - Date.now()) / (365.25 * 86_400_000);
    assert.ok(years > 2.99 && years < 3.01, String(years));
    assert.equal(forge.pki.certificateFromPem(spKey.certificate).siginfo.algorithmOid, forge.pki.oids.sha256WithRSAEncryption);
  });

  it("at start-up, keys the connections made before SP keys existed, once", async () => {
    const old = await newConnection("keysold");
    // As such a row was stored: settings without spKeys.
    const [row] = await db.dataSource.query(`SELECT settings FROM connections WHERE id = '${old.id}'`);
    const { spKeys: _dropped, ...settings } = JSON.parse(row.settings);
    await db.dataSource.query(`UPDATE connections SET settings = ? WHERE id = ?`, [JSON.stringify(settings), old.id]);
    assert.deepEqual((await getConnection(db, key, organizationId, old.id))!.saml!.spKeys, []);

    assert.equal(await ensureSpKeys(db, key), 1);
    const keyed = (await getConnection(db, key, organizationId, old.id))!.saml!.spKeys!;
    assert.deepEqual(keyed.map((k) => k.state), ["current"]);
    assert.equal(await ensureSpKeys(db, key), 0, "nothing left to key");
    const events = await db.dataSource.query(`SELECT action, actor_type FROM audit_events WHERE target_id = '${old.id}' AND action = 'connection.sp_key_created'`);
    assert.deepEqual(events, [{ action: "connection.sp_key_created", actor_type: "system" }]);
  });
});
