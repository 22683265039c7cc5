import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { SamlResponseShapes1764530000000 } from "../../src/db/migrations/1764530000000-SamlResponseShapes.js";
import { createConnection, getConnection } from "../../src/identity/connections.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { samlPreset } from "../../src/sso/presets.js";
import { databaseTargets, freshDatabase } from "../support/databases.js";
import { TestIdp } from "../support/saml-idp.js";

/** Settings saved before the migration (the either/or signature switch, no SHA-1, delimiter or roles fields) are rewritten. */
const system = { type: "system" as const, id: null };
const key = randomBytes(32);

for (const target of await databaseTargets()) {
  describe(`migration SamlResponseShapes (${target.name})`, { skip: target.skip }, () => {
    const database = freshDatabase(target);

    const stored = async (id: string) => JSON.parse((await database().dataSource.getRepository("Connection").findOneByOrFail({ id })).settings as string);

    /** A SAML connection whose stored settings are what the version before this migration wrote. */
    async function oldConnection(preset: string, wantResponseSigned: boolean) {
      const org = await createOrganization(database(), { slug: `org${randomBytes(4).toString("hex")}`, name: "Org" }, system);
      const idp = new TestIdp();
      const current = await createConnection(database(), key, org.id, {
        type: "saml", name: preset, loginPath: `p${randomBytes(6).toString("hex")}`, preset,
        saml: { ...samlPreset(preset), idpMetadataUrl: null, idpMetadataXml: idp.metadata(), idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl,
          idpCertificates: idp.keys.map((k) => k.certBody), metadataFetchedAt: null, allowIdpInitiated: false },
      }, system);
      // From the stored row, whose SP keys are sealed as at rest.
      const { requiredSignature: _r, allowSha1: _a, groupsDelimiter: _d, ...settings } = await stored(current.id);
      const { roles: _roles, ...attributes } = settings.attributes;
      await database().dataSource.getRepository("Connection").update({ id: current.id }, { settings: JSON.stringify({ ...settings, wantResponseSigned, attributes }) });
      return current;
    }

    it("replaces the placement switch by the any-placement rule, and adds the new fields at their safe defaults; down restores it", async () => {
      const okta = await oldConnection("okta", true);
      const generic = await oldConnection("generic", false);
      const migration = new SamlResponseShapes1764530000000();
      const runner = database().dataSource.createQueryRunner();
      try {
        await migration.up(runner);
        for (const connection of [okta, generic]) {
          const settings = await stored(connection.id);
          assert.equal("wantResponseSigned" in settings, false);
          const migrated = (await getConnection(database(), key, connection.organizationId, connection.id))!.saml!;
          assert.equal(migrated.requiredSignature, "any");
          assert.equal(migrated.allowSha1, false);
          assert.equal(migrated.groupsDelimiter, null);
          assert.equal(migrated.attributes.roles, null);
          assert.equal(migrated.attributes.email, connection.saml!.attributes.email, "the admin's attribute names are kept");
        }
        await migration.down(runner);
        assert.equal((await stored(okta.id)).wantResponseSigned, true);
        assert.equal((await stored(generic.id)).wantResponseSigned, false);
        assert.equal("requiredSignature" in await stored(okta.id), false);
      } finally {
        await runner.release();
      }
    });
  });
}
