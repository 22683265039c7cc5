import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Database, openDatabase } from "../../src/db/database.js";
import { ConnectionRecord, createConnection, getConnection, setConnectionEnabled } from "../../src/identity/connections.js";
import { certificateBody, newSpKey } from "../../src/identity/saml-key-material.js";
import { promoteNextSpKey, publishNextSpKey } from "../../src/identity/saml-keys.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createTeam, replaceTeamMappings } from "../../src/identity/teams.js";
import { samlPreset } from "../../src/sso/presets.js";
import { spUrls } from "../../src/sso/saml/index.js";
import { RunningApp, startAppOn } from "../support/app-server.js";
import { databaseTargets } from "../support/databases.js";
import type { EncryptionShape } from "../support/saml-encryption.js";
import { CookieJarClient, readAuthnRequest, ResponseOptions, TestIdp } from "../support/saml-idp.js";

/**
 * Encrypted assertions through the real app: what IdPs send (AD FS and Okta's AES-256-CBC with RSA-OAEP, Keycloak's
 * response-only signature over AES-128-GCM, XML Encryption 1.1's RSA-OAEP with SHA-256 and MGF1-SHA-1), what is
 * refused (RSA-1.5, a foreign key, the tamperings), and an SP key rotation without a failed login.
 */
const system = { type: "system" as const, id: null };
const key = randomBytes(32);

for (const target of await databaseTargets()) {
  describe(`SAML encrypted assertions through the app (${target.name})`, { skip: target.skip }, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let app: RunningApp;
    let urls: ReturnType<typeof spUrls>;
    let organizationId: string;
    let connectionId: string;
    const idp = new TestIdp();

    const connection = async (): Promise<ConnectionRecord> => (await getConnection(db, key, organizationId, connectionId))!;
    const certificateOf = async (state: "current" | "next") => (await connection()).saml!.spKeys!.find((k) => k.state === state)!.certificate;

    before(async () => {
      const created = await target.create({ migrated: true });
      drop = created.drop;
      db = await openDatabase({ url: created.url });
      app = await startAppOn(db, { secretKey: key });
      const org = await createOrganization(db, { slug: "globex", name: "Globex" }, system);
      const made = await createConnection(db, key, org.id, {
        type: "saml", name: "AD FS", loginPath: "globex", preset: "generic",
        saml: { ...samlPreset("generic"), idpMetadataUrl: null, idpMetadataXml: idp.metadata(),
          idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCertificates: idp.keys.map((k) => k.certBody),
          metadataFetchedAt: null, allowIdpInitiated: false },
      }, system);
      await setConnectionEnabled(db, key, org.id, made.id, true, system);
      organizationId = org.id;
      connectionId = made.id;
      urls = spUrls(app.origin, made.id);
      const team = await createTeam(db, org.id, { name: "Staff", roles: ["member"] }, system);
      await replaceTeamMappings(db, org.id, team.id, [{ idpGroup: "staff" }], system);
    });
    after(async () => {
      await app?.close();
      await db?.close();
      await drop?.();
    });

    /** One login whose response is built by `shape` (encryption and any other option) for this browser's request. */
    async function logIn(options: Partial<ResponseOptions>) {
      const browser = new CookieJarClient();
      const start = await browser.get(`${app.origin}/login/globex`);
      assert.equal(start.status, 302);
      const request = readAuthnRequest(start.headers.get("location")!);
      const SAMLResponse = idp.response({ acsUrl: urls.acs, audience: urls.entityId, inResponseTo: request.id, nameId: "adfs-kim",
        attributes: { email: "kim@globex.test", groups: ["staff"] }, ...options });
      const posted = await browser.crossSitePost(urls.acs, { SAMLResponse, RelayState: request.relayState ?? "" });
      if (posted.status !== 303) return { status: posted.status, page: await posted.text(), user: null };
      const done = await browser.get(new URL(posted.headers.get("location")!, app.origin).href);
      const verify = await browser.get(`${app.origin}/auth/verify`);
      return { status: done.status, page: await done.text(), user: verify.headers.get("x-rollcall-email") };
    }
    const encryptedTo = async (shape: Omit<EncryptionShape, "certificate">, state: "current" | "next" = "current") =>
      ({ certificate: await certificateOf(state), ...shape });
    const accepted = (result: Awaited<ReturnType<typeof logIn>>) => {
      assert.equal(result.status, 303, result.page);
      assert.equal(result.user, "kim@globex.test");
    };
    const refused = (result: Awaited<ReturnType<typeof logIn>>, reason: string) => {
      assert.equal(result.status, 401);
      assert.match(result.page, new RegExp(`Reason: <code>${reason}</code>`));
      assert.equal(result.user, null);
    };

    it("logs in with a signed assertion encrypted AES-256-CBC + RSA-OAEP (AD FS, Okta) and AES-128-GCM", async () => {
      accepted(await logIn({ encrypt: await encryptedTo({ content: "aes256-cbc" }) }));
      accepted(await logIn({ encrypt: await encryptedTo({ content: "aes128-gcm" }) }));
    });

    it("logs in when only the Response is signed, over the encrypted assertion (Keycloak, PingFederate)", async () => {
      // XML Encryption 1.1's RSA-OAEP, which xml-encryption cannot unwrap: node-saml decrypts through ours.
      accepted(await logIn({ signAssertion: false, signResponse: true,
        encrypt: await encryptedTo({ content: "aes128-gcm", transport: { name: "rsa-oaep", digest: "sha256", mgf1: "sha1" } }) }));
      // The Response signature covers the ciphertext: another assertion encrypted to our (public) certificate breaks it.
      const forged = idp.responseXml({ acsUrl: urls.acs, audience: urls.entityId, nameId: "mallory", signAssertion: false,
        encrypt: await encryptedTo({ content: "aes128-gcm" }) });
      const swapped = /<saml:EncryptedAssertion[\s\S]*<\/saml:EncryptedAssertion>/.exec(forged)![0];
      refused(await logIn({ signAssertion: false, signResponse: true, encrypt: await encryptedTo({ content: "aes128-gcm" }),
        tamper: (xml) => xml.replace(/<saml:EncryptedAssertion[\s\S]*<\/saml:EncryptedAssertion>/, swapped) }), "saml_signature");
    });

    it("checks a signature inside the encrypted assertion when it is the only one: its algorithm, and that it verifies", async () => {
      // The Response's signatures do not include it: it is found, and checked, only in the decrypted assertion.
      refused(await logIn({ algorithm: "sha1", encrypt: await encryptedTo({}) }), "saml_weak_algorithm");
      refused(await logIn({ encrypt: await encryptedTo({}), tamperAssertion: (xml) => xml.replace("adfs-kim", "mallory") }), "saml_signature");
    });

    it("refuses a broken signature inside the encrypted assertion although the Response's signature is valid", async () => {
      // Every signature present must verify: node-saml checks the decrypted assertion's only when told it carries one.
      accepted(await logIn({ signResponse: true, encrypt: await encryptedTo({ content: "aes128-gcm" }) }));
      refused(await logIn({ signResponse: true, encrypt: await encryptedTo({ content: "aes128-gcm" }),
        tamperAssertion: (xml) => xml.replace("adfs-kim", "mallory") }), "saml_signature");
    });

    it("unwraps XML Encryption 1.1 RSA-OAEP with SHA-256 and MGF1-SHA-1 or MGF1-SHA-256, and an EncryptedKey beside the data naming no certificate", async () => {
      accepted(await logIn({ encrypt: await encryptedTo({ content: "aes256-gcm", transport: { name: "rsa-oaep", digest: "sha256", mgf1: "sha1" } }) }));
      accepted(await logIn({ encrypt: await encryptedTo({ content: "aes256-cbc", transport: { name: "rsa-oaep", digest: "sha256", mgf1: "sha256" } }) }));
      accepted(await logIn({ encrypt: await encryptedTo({ keyPlacement: "beside", nameCertificate: false }) }));
    });

    it("refuses RSA-1.5 key transport and 3DES, saying why, before any decryption", async () => {
      const rsa15 = await logIn({ encrypt: await encryptedTo({ transport: { name: "rsa-1_5" } }) });
      refused(rsa15, "saml_encryption_algorithm");
      const tripleDes = await logIn({ encrypt: await encryptedTo({ content: "tripledes-cbc" }) });
      refused(tripleDes, "saml_encryption_algorithm");
    });

    it("refuses an assertion encrypted to a foreign key, and a ciphertext that was altered", async () => {
      const foreign = await newSpKey("someone else", "current");
      refused(await logIn({ encrypt: { certificate: foreign.certificate } }), "saml_decryption");
      refused(await logIn({ encrypt: { certificate: foreign.certificate, nameCertificate: false } }), "saml_decryption");
      // A flipped byte in the last CBC block: the padding or the XML breaks, and the answer is the same either way.
      refused(await logIn({ encrypt: await encryptedTo({ content: "aes256-cbc" }), tamper: (xml) => xml.replace(
        /(<xenc:EncryptedData[\s\S]*<xenc:CipherValue>)([^<]+)(<\/xenc:CipherValue><\/xenc:CipherData><\/xenc:EncryptedData>)/,
        (_, open: string, value: string, close: string) => {
          const bytes = Buffer.from(value, "base64");
          bytes[bytes.length - 20] ^= 0x01;
          return open + bytes.toString("base64") + close;
        }) }), "saml_decryption");
    });

    it("refuses an unsigned assertion encrypted to our certificate (encryption is not a signature)", async () => {
      refused(await logIn({ signAssertion: false, encrypt: await encryptedTo({}) }), "saml_unsigned");
    });

    it("refuses a second assertion beside the encrypted one, encrypted or plain", async () => {
      const other = idp.responseXml({ acsUrl: urls.acs, audience: urls.entityId, nameId: "mallory", encrypt: await encryptedTo({}) });
      const second = /<saml:EncryptedAssertion[\s\S]*<\/saml:EncryptedAssertion>/.exec(other)![0];
      refused(await logIn({ encrypt: await encryptedTo({}), tamper: (xml) => xml.replace("</samlp:Response>", `${second}</samlp:Response>`) }), "saml_malformed");
      const plain = idp.responseXml({ acsUrl: urls.acs, audience: urls.entityId, nameId: "mallory" });
      const assertion = /<saml:Assertion [\s\S]*<\/saml:Assertion>/.exec(plain)![0];
      refused(await logIn({ encrypt: await encryptedTo({}), tamper: (xml) => xml.replace("</samlp:Response>", `${assertion}</samlp:Response>`) }), "saml_malformed");
    });

    it("rotates the SP key without a failed login: publish next, both decrypt and are in the metadata, promote, the old key is gone", async () => {
      const metadata = async () => (await fetch(urls.entityId)).text();
      const old = await certificateOf("current");
      const before = await metadata();
      assert.equal(before.match(/<KeyDescriptor use="(signing|encryption)">/g)?.length, 2);
      assert.ok(before.includes(certificateBody(old)));

      await publishNextSpKey(db, key, organizationId, connectionId, system);
      const next = await certificateOf("next");
      const both = await metadata();
      assert.equal(both.match(/<KeyDescriptor use="encryption">/g)?.length, 2);
      assert.equal(both.match(/<KeyDescriptor use="signing">/g)?.length, 2);
      for (const cert of [old, next]) assert.ok(both.includes(certificateBody(cert)));
      accepted(await logIn({ encrypt: { certificate: next } }));
      accepted(await logIn({ encrypt: { certificate: old } }));
      accepted(await logIn({ encrypt: { certificate: next, nameCertificate: false } }));

      await promoteNextSpKey(db, key, organizationId, connectionId, system);
      assert.equal(await certificateOf("current"), next);
      const after = await metadata();
      assert.ok(after.includes(certificateBody(next)));
      assert.ok(!after.includes(certificateBody(old)), "the old certificate leaves the metadata");
      accepted(await logIn({ encrypt: { certificate: next } }));
      refused(await logIn({ encrypt: { certificate: old } }), "saml_decryption");

      const events = await db.dataSource.query(`SELECT action FROM audit_events WHERE target_id = '${connectionId}' ORDER BY id`);
      const actions = events.map((e: { action: string }) => e.action);
      assert.ok(actions.includes("connection.sp_key_published") && actions.includes("connection.sp_key_promoted"));
    });

    it("keeps the private keys sealed at rest", async () => {
      const [row] = await db.dataSource.query(`SELECT settings FROM connections WHERE id = '${connectionId}'`);
      assert.ok(!row.settings.includes("PRIVATE KEY"));
      assert.ok((await connection()).saml!.spKeys!.every((k) => k.privateKey.startsWith("-----BEGIN PRIVATE KEY-----")));
    });
  });
}
