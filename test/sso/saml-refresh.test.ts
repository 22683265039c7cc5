import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { Database, openDatabase } from "../../src/db/database.js";
import { listAuditEvents } from "../../src/identity/audit.js";
import { createConnection, getConnection } from "../../src/identity/connections.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { samlPreset } from "../../src/sso/presets.js";
import { refreshSamlMetadata } from "../../src/sso/saml/refresh.js";
import { signingKey, TestIdp } from "../support/saml-idp.js";

describe("SAML metadata refresh", () => {
  const system = { type: "system" as const, id: null };
  const key = randomBytes(32);
  let db: Database;
  let served = "";
  const server = createServer((_req, res) => res.setHeader("content-type", "application/xml").end(served));
  let url: string;
  let organizationId: string;
  let connectionId: string;
  const deps = () => ({ db, secretKey: key, logger: pino({ level: "silent" }), allowInsecureIdp: true });

  before(async () => {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metadata`;
    db = await openDatabase({ url: "sqlite::memory:" });
    organizationId = (await createOrganization(db, { slug: "acme", name: "Acme" }, system)).id;
    const idp = new TestIdp();
    const connection = await createConnection(db, key, organizationId, {
      type: "saml", name: "Okta", loginPath: "acme", preset: "okta",
      saml: { ...samlPreset("okta"), idpMetadataUrl: url, idpMetadataXml: null, idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl,
        idpCertificates: idp.keys.map((k) => k.certBody), metadataFetchedAt: new Date(0).toISOString(), allowIdpInitiated: false },
    }, system);
    connectionId = connection.id;
  });
  after(async () => {
    server.close();
    await db.close();
  });

  it("picks up a rolled-over certificate from the metadata URL and audits it", async () => {
    const rolled = new TestIdp(undefined, undefined, [signingKey("idp-1"), signingKey("idp-2")]);
    served = rolled.metadata();
    assert.deepEqual(await refreshSamlMetadata(deps()), { refreshed: 1, unchanged: 0, failed: 0 });
    const saml = (await getConnection(db, key, organizationId, connectionId))!.saml!;
    assert.deepEqual(saml.idpCertificates, rolled.keys.map((k) => k.certBody));
    const [event] = await listAuditEvents(db.dataSource.manager, organizationId, { action: "connection.updated" });
    assert.equal(event.actorType, "system");
    assert.deepEqual(await refreshSamlMetadata(deps()), { refreshed: 0, unchanged: 1, failed: 0 }, "fresh metadata is not fetched again");
  });

  it("keeps the connection as it is when the metadata is broken or names another IdP", async () => {
    const before = (await getConnection(db, key, organizationId, connectionId))!.saml!;
    for (const metadata of ["<not xml", new TestIdp("https://other.example/idp").metadata()]) {
      served = metadata;
      assert.deepEqual(await refreshSamlMetadata(deps(), { maxAgeMs: 0 }), { refreshed: 0, unchanged: 0, failed: 1 });
      assert.deepEqual((await getConnection(db, key, organizationId, connectionId))!.saml, before);
    }
  });
});
