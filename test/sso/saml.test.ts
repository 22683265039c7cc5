import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Database, openDatabase } from "../../src/db/database.js";
import type { ConnectionRecord } from "../../src/identity/connections.js";
import { SsoError } from "../../src/sso/errors.js";
import { samlRefusal } from "../../src/sso/saml/response.js";
import { databaseTargets } from "../support/databases.js";
import {
  CookieJarClient, NAMEID, readAuthnRequest, ResponseOptions, SamlSp, signingKey, startSamlSp, TestIdp,
} from "../support/saml-idp.js";

/**
 * SP-initiated and IdP-initiated SAML logins through the protocol module, driven over HTTP as a browser would:
 * start → AuthnRequest → a response signed by the test IdP → POST to the ACS (without the Lax cookie) → 303 →
 * GET /complete with the cookie. Every refusal is asserted by its reason code.
 */

interface Outcome {
  status: number;
  body: { reason?: string; detail?: Record<string, unknown>; profile?: Record<string, unknown>; intent?: Record<string, unknown> };
}

for (const target of await databaseTargets()) {
  describe(`SAML login (${target.name})`, { skip: target.skip }, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let sp: SamlSp;
    const idp = new TestIdp();
    let connection: ConnectionRecord;

    before(async () => {
      const created = await target.create({ migrated: true });
      drop = created.drop;
      db = await openDatabase({ url: created.url });
      sp = await startSamlSp(db);
      connection = sp.connect(idp);
    });
    after(async () => {
      await sp.close();
      await db.close();
      await drop();
    });

    /** GET /login/<id>: the redirect to the IdP, and the AuthnRequest in it. */
    async function start(browser: CookieJarClient, conn = connection) {
      const res = await browser.get(`${sp.baseUrl}/login/${conn.id}`);
      assert.equal(res.status, 302);
      const location = res.headers.get("location")!;
      assert.ok(location.startsWith(conn.saml!.idpSsoUrl), location);
      return readAuthnRequest(location);
    }

    /** The IdP's POST to the ACS (no cookie: SameSite=Lax), then the browser following the 303 with its cookie. */
    async function deliver(browser: CookieJarClient, samlResponse: string, relayState: string | null, conn = connection): Promise<Outcome> {
      const form: Record<string, string> = { SAMLResponse: samlResponse };
      if (relayState !== null) form.RelayState = relayState;
      const posted = await browser.crossSitePost(sp.urls(conn).acs, form);
      if (posted.status !== 303) return { status: posted.status, body: await posted.json() };
      const location = posted.headers.get("location")!;
      assert.ok(location.startsWith(sp.urls(conn).complete), location);
      const completed = await browser.get(location);
      return { status: completed.status, body: await completed.json() };
    }

    /** The defaults of a correct response to `requestId` for `conn`. */
    const answer = (conn: ConnectionRecord, requestId?: string): ResponseOptions =>
      ({ acsUrl: sp.urls(conn).acs, audience: sp.urls(conn).entityId, inResponseTo: requestId });

    /** A whole SP-initiated login in a fresh browser, with the response's options overridden. */
    async function attempt(options: Partial<ResponseOptions> = {}, conn = connection, by = idp): Promise<Outcome> {
      const browser = new CookieJarClient();
      const request = await start(browser, conn);
      return deliver(browser, by.response({ ...answer(conn, request.id), ...options }), request.relayState, conn);
    }

    function accepted(outcome: Outcome) {
      assert.equal(outcome.status, 200, JSON.stringify(outcome.body));
      return outcome.body.profile as Record<string, unknown>;
    }

    function refused(outcome: Outcome, reason: string, status = 401) {
      assert.equal(outcome.body.reason, reason, JSON.stringify(outcome.body));
      assert.equal(outcome.status, status);
    }

    describe("start", () => {
      it("redirects to the IdP with an AuthnRequest for this connection and a RelayState nonce", async () => {
        const browser = new CookieJarClient();
        const request = await start(browser);
        const urls = sp.urls(connection);
        assert.match(request.xml, new RegExp(`AssertionConsumerServiceURL="${urls.acs}"`));
        assert.match(request.xml, new RegExp(`Destination="${idp.ssoUrl}"`));
        assert.match(request.xml, new RegExp(`<saml:Issuer[^>]*>${urls.entityId}</saml:Issuer>`));
        assert.match(request.xml, new RegExp(`Format="${NAMEID.persistent}"`));
        assert.match(request.relayState ?? "", /^[A-Za-z0-9_-]{32}$/);
        const rows = await db.dataSource.query(`SELECT * FROM sso_transactions WHERE "key" = 'saml:request:${connection.id}:${request.id}'`);
        assert.equal(rows.length, 1, "the request id is kept in sso_transactions, under the connection");
        const ttl = Date.parse(rows[0].expires_at) - Date.now();
        assert.ok(ttl > 9 * 60_000 && ttl <= 10 * 60_000, `expires in about ten minutes, not ${ttl} ms`);
      });

      it("ignores a SAMLRequest or SAMLResponse in the login URL's query (passport-saml would act on it)", async () => {
        const browser = new CookieJarClient();
        const res = await browser.get(`${sp.baseUrl}/login/${connection.id}?SAMLRequest=PHg%2B&SAMLResponse=PHg%2B`);
        assert.equal(res.status, 302);
        const request = readAuthnRequest(res.headers.get("location")!);
        accepted(await deliver(browser, idp.response(answer(connection, request.id)), request.relayState));
      });

      it("leaves out RequestedAuthnContext when the connection says so (Entra MFA and passwordless users)", async () => {
        const relaxed = sp.connect(idp, { disableRequestedAuthnContext: true });
        const request = await start(new CookieJarClient(), relaxed);
        assert.doesNotMatch(request.xml, /RequestedAuthnContext/);
        assert.match((await start(new CookieJarClient())).xml, /RequestedAuthnContext/);
      });
    });

    describe("accepted logins", () => {
      it("maps the profile, returns the intent from the session, and answers through finishLogin", async () => {
        const profile = accepted(await attempt({
          nameId: "00u-alice", attributes: { email: "alice@example.com", name: "Alice Example", firstName: "Alice", lastName: "Example", groups: ["eng", "ops"] },
        }));
        assert.equal(profile.issuer, idp.entityId);
        assert.equal(profile.subject, "00u-alice");
        assert.equal(profile.email, "alice@example.com");
        assert.equal(profile.emailVerified, false, "a SAML IdP's email is not taken as verified unless the connection trusts it");
        assert.equal(profile.name, "Alice Example");
        assert.equal(profile.givenName, "Alice");
        assert.equal(profile.familyName, "Example");
        assert.deepEqual(profile.groups, ["eng", "ops"]);
        assert.equal(profile.groupsOverage, false);
        assert.deepEqual(sp.logins.at(-1)?.intent, { returnTo: "/home", dryRun: false });
      });

      it("takes the email as verified when the connection trusts its IdP's addresses", async () => {
        const trusting = sp.connect(idp, { trustEmail: true });
        const profile = accepted(await attempt({ attributes: { email: "carol@example.com" } }, trusting));
        assert.equal(profile.emailVerified, true);
      });

      it("turns a single-valued groups attribute into an array, and reads attribute names case-insensitively", async () => {
        const profile = accepted(await attempt({ attributes: { EMAIL: "bob@example.com", FirstName: "Bob", Groups: "only-one" } }));
        assert.deepEqual(profile.groups, ["only-one"]);
        assert.equal(profile.email, "bob@example.com");
        assert.equal(profile.givenName, "Bob");
      });

      it("carries a dry run (test connection) through to finishLogin", async () => {
        const browser = new CookieJarClient();
        const res = await browser.get(`${sp.baseUrl}/login/${connection.id}?dryRun=1`);
        const request = readAuthnRequest(res.headers.get("location")!);
        accepted(await deliver(browser, idp.response(answer(connection, request.id)), request.relayState));
        assert.deepEqual(sp.logins.at(-1)?.intent, { returnTo: "/home", dryRun: true });
      });

      it("accepts a response signed with the second certificate of a rollover", async () => {
        const rollover = new TestIdp(idp.entityId, idp.ssoUrl, [signingKey("idp-1"), signingKey("idp-2")]);
        const conn = sp.connect(rollover);
        accepted(await attempt({ key: signingKey("idp-2") }, conn, rollover));
        accepted(await attempt({ key: signingKey("idp-1") }, conn, rollover));
      });

      it("accepts an assertion up to the clock skew (120 s) past its NotOnOrAfter", async () => {
        accepted(await attempt({ notOnOrAfter: -60 }));
        refused(await attempt({ notOnOrAfter: -180 }), "saml_expired");
      });

      it("reads the whole NameID when a comment was injected into it after signing", async () => {
        const profile = accepted(await attempt({
          nameId: "user@example.com.evil.com",
          tamper: (xml) => xml.replace("user@example.com.evil.com", "user@example.com<!---->.evil.com"),
        }));
        assert.equal(profile.subject, "user@example.com.evil.com");
      });
    });

    describe("signatures", () => {
      it("refuses a response with no signature at all", async () => {
        refused(await attempt({ signAssertion: false }), "saml_unsigned");
      });

      it("refuses a signature by a key the connection does not trust", async () => {
        refused(await attempt({ key: signingKey("attacker"), keyInfo: false }), "saml_signature");
      });

      it("refuses an attacker's signature that carries the attacker's certificate in KeyInfo", async () => {
        refused(await attempt({ key: signingKey("attacker"), keyInfo: true }), "saml_signature");
      });

      it("refuses an assertion changed after signing", async () => {
        refused(await attempt({
          attributes: { groups: "staff" }, tamper: (xml) => xml.replace(">staff<", ">admins<"),
        }), "saml_signature");
      });

      it("refuses signature wrapping: a second, unsigned assertion beside the signed one", async () => {
        refused(await attempt({
          tamper: (xml) => xml.replace("<saml:Assertion ", evilAssertion(idp.entityId) + "<saml:Assertion "),
        }), "saml_malformed");
      });

      it("refuses signature wrapping: the signed assertion hidden in Extensions, an evil one in its place", async () => {
        refused(await attempt({
          tamper: (xml) => {
            const signed = /<saml:Assertion [\s\S]*<\/saml:Assertion>/.exec(xml)![0];
            return xml.replace(signed, `<samlp:Extensions>${signed}</samlp:Extensions>${evilAssertion(idp.entityId)}`);
          },
        }), "saml_malformed");
      });

      it("refuses rsa-sha1 signatures and sha1 digests", async () => {
        refused(await attempt({ algorithm: "sha1" }), "saml_weak_algorithm");
      });

      it("refuses a document type declaration (XXE, entity expansion) before parsing it", async () => {
        refused(await attempt({
          nameId: "victim",
          tamper: (xml) => `<!DOCTYPE samlp:Response [<!ENTITY who "admin">]>${xml.replace(">victim<", ">&who;<")}`,
        }), "saml_dtd");
      });

      it("refuses SHA-1 in a Response signature too", async () => {
        refused(await attempt({ signAssertion: false, signResponse: true, algorithm: "sha1" }), "saml_weak_algorithm");
      });

      it("accepts SHA-1 where the connection allows it, and says it is weak", async () => {
        const weak = sp.connect(idp, { allowSha1: true });
        const profile = accepted(await attempt({ algorithm: "sha1" }, weak));
        assert.match((profile.warnings as string[])[0], /SHA-1, which is weak/);
        assert.deepEqual(accepted(await attempt({}, weak)).warnings, [], "a SHA-256 response to the same connection is not flagged");
      });
    });

    describe("signature placement: one valid signature covering the assertion, and none that fails", () => {
      /** The signature elements of a signed document, first the Response's (it follows the Response Issuer). */
      const signatures = (xml: string) => [...xml.matchAll(/<ds:Signature[\s\S]*?<\/ds:Signature>/g)].map((m) => m[0]);
      const afterIssuer = (xml: string, element: "Response" | "Assertion", insert: string) =>
        xml.replace(new RegExp(`(<(?:samlp|saml):${element} [\\s\\S]*?</saml:Issuer>)`), `$1${insert}`);

      it("accepts a signature on the Assertion (Entra, AD FS), on the Response (Keycloak), or on both (Okta)", async () => {
        const signedParts = async (options: Partial<ResponseOptions>) => (accepted(await attempt(options)).raw as Record<string, unknown>).signed;
        assert.equal(await signedParts({}), "Assertion");
        assert.equal(await signedParts({ signResponse: true, signAssertion: false }), "Response");
        assert.equal(await signedParts({ signResponse: true }), "Response and Assertion");
      });

      it("refuses an attacker's Response signature around a validly signed assertion, with or without KeyInfo", async () => {
        refused(await attempt({ signResponse: true, responseKey: signingKey("attacker") }), "saml_signature");
        refused(await attempt({ signResponse: true, responseKey: signingKey("attacker"), keyInfo: false }), "saml_signature");
      });

      it("refuses an assertion signed by a foreign key inside a Response the IdP signed", async () => {
        refused(await attempt({ signResponse: true, key: signingKey("attacker"), responseKey: idp.keys[0] }), "saml_signature");
      });

      it("refuses a Response changed after signing even though its assertion's own signature holds", async () => {
        refused(await attempt({
          signResponse: true, tamper: (xml) => xml.replace(/(<samlp:Response [^>]*?IssueInstant=")[^"]*/, "$12001-01-01T00:00:00Z"),
        }), "saml_signature");
      });

      it("refuses a moved signature: the Assertion's signature put on the Response", async () => {
        refused(await attempt({
          tamper: (xml) => {
            const [signature] = signatures(xml);
            return afterIssuer(xml.replace(signature, ""), "Response", signature);
          },
        }), "saml_signature");
      });

      it("refuses a moved signature: the Response's signature put into the Assertion", async () => {
        refused(await attempt({
          signResponse: true, signAssertion: false,
          tamper: (xml) => {
            const [signature] = signatures(xml);
            return afterIssuer(xml.replace(signature, ""), "Assertion", signature);
          },
        }), "saml_signature");
      });

      it("refuses signature wrapping around a signed Response: a second, unsigned assertion", async () => {
        refused(await attempt({
          signResponse: true, signAssertion: false,
          tamper: (xml) => xml.replace("<saml:Assertion ", evilAssertion(idp.entityId) + "<saml:Assertion "),
        }), "saml_malformed");
      });

      it("refuses a signature anywhere but on the Response or its Assertion", async () => {
        refused(await attempt({
          tamper: (xml) => afterIssuer(xml, "Response", `<samlp:Extensions>${signatures(xml)[0]}</samlp:Extensions>`),
        }), "saml_malformed");
      });

      describe("requiredSignature, the stricter opt-ins", () => {
        it("response: refuses a response whose assertion alone is signed", async () => {
          const strict = sp.connect(idp, { requiredSignature: "response" });
          refused(await attempt({}, strict), "saml_unsigned");
          accepted(await attempt({ signResponse: true, signAssertion: false }, strict));
          accepted(await attempt({ signResponse: true }, strict));
        });

        it("assertion: refuses a response whose Response alone is signed", async () => {
          const strict = sp.connect(idp, { requiredSignature: "assertion" });
          refused(await attempt({ signResponse: true, signAssertion: false }, strict), "saml_unsigned");
          accepted(await attempt({}, strict));
        });

        it("both: refuses either signature alone", async () => {
          const strict = sp.connect(idp, { requiredSignature: "both" });
          refused(await attempt({}, strict), "saml_unsigned");
          refused(await attempt({ signResponse: true, signAssertion: false }, strict), "saml_unsigned");
          accepted(await attempt({ signResponse: true }, strict));
        });
      });
    });

    describe("conditions and recipients", () => {
      it("refuses an expired assertion, or one whose Conditions alone have expired", async () => {
        refused(await attempt({ notOnOrAfter: -600 }), "saml_expired");
        const past = new Date(Date.now() - 600_000).toISOString();
        refused(await attempt({ editAssertion: (xml) => xml.replace(/(<saml:Conditions [^>]*NotOnOrAfter=")[^"]*/, `$1${past}`) }), "saml_expired");
      });

      it("refuses an assertion that is not valid yet", async () => {
        refused(await attempt({ notBefore: 600 }), "saml_not_yet_valid");
      });

      it("refuses an assertion for another audience", async () => {
        refused(await attempt({ audience: "https://other-sp.example.test/metadata" }), "saml_audience");
      });

      it("refuses a response from another issuer", async () => {
        refused(await attempt({ issuer: "https://evil-idp.example.test" }), "saml_issuer");
      });

      it("refuses a signed assertion from another issuer inside a response that names the right one", async () => {
        refused(await attempt({ issuer: "https://evil-idp.example.test", responseIssuer: idp.entityId }), "saml_issuer");
      });

      it("refuses an assertion whose bearer confirmation names another recipient", async () => {
        refused(await attempt({ recipient: "https://other-sp.example.test/acs" }), "saml_recipient");
      });

      it("refuses a response addressed to another Destination, and accepts one with none", async () => {
        refused(await attempt({ destination: "https://other-sp.example.test/acs" }), "saml_destination");
        accepted(await attempt({ destination: null }));
      });

      it("refuses an assertion without NotOnOrAfter on its bearer confirmation (it could be replayed forever)", async () => {
        refused(await attempt({ editAssertion: (xml) => xml.replace(/(<saml:SubjectConfirmationData[^>]*?) NotOnOrAfter="[^"]*"/, "$1") }), "saml_malformed");
      });

      it("refuses an assertion with two Conditions (node-saml's refusal, mapped)", async () => {
        refused(await attempt({ editAssertion: (xml) => xml.replace("</saml:Conditions>", "</saml:Conditions><saml:Conditions/>") }), "saml_malformed");
      });

      it("refuses an error status from the IdP (user not assigned to the app), naming it in the log", async () => {
        const outcome = await attempt({ status: "urn:oasis:names:tc:SAML:2.0:status:Requester", signAssertion: false });
        refused(outcome, "saml_status");
        assert.equal(outcome.body.detail?.status, "urn:oasis:names:tc:SAML:2.0:status:Requester");
        assert.equal(outcome.body.detail?.connectionId, connection.id);
      });

      it("refuses an encrypted assertion whose encryption method it cannot name", async () => {
        refused(await attempt({
          tamper: (xml) => xml.replace(/<saml:Assertion [\s\S]*<\/saml:Assertion>/, "<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\"/></saml:EncryptedAssertion>"),
        }), "saml_encryption_algorithm");
      });

      it("refuses what is not a SAML response", async () => {
        const browser = new CookieJarClient();
        const request = await start(browser);
        refused(await deliver(browser, "not base64 at all!", request.relayState), "saml_malformed");
        refused(await deliver(browser, Buffer.from("<html><body>hello</body></html>").toString("base64"), request.relayState), "saml_malformed");
        refused(await deliver(browser, Buffer.from("<samlp:Response").toString("base64"), request.relayState), "saml_malformed");
        const noForm = await browser.crossSitePost(sp.urls(connection).acs, { RelayState: "x" });
        refused({ status: noForm.status, body: await noForm.json() }, "saml_malformed");
      });

      it("answers 413 to an ACS post over the size limit", async () => {
        const res = await new CookieJarClient().crossSitePost(sp.urls(connection).acs, { SAMLResponse: "A".repeat(300 * 1024) });
        assert.equal(res.status, 413);
      });
    });

    describe("the browser, the request and the connection a response belongs to", () => {
      it("refuses a response posted with a RelayState this browser never started (another browser's response)", async () => {
        const victim = new CookieJarClient();
        const request = await start(victim);
        const response = idp.response(answer(connection, request.id));
        refused(await deliver(new CookieJarClient(), response, request.relayState), "saml_relay_state", 400);
      });

      it("refuses a response to another browser's AuthnRequest, even under this browser's own RelayState (login CSRF)", async () => {
        const victim = new CookieJarClient();
        const attacker = new CookieJarClient();
        const attackerRequest = await start(attacker);
        const victimRequest = await start(victim);
        const attackersResponse = idp.response(answer(connection, attackerRequest.id));
        refused(await deliver(victim, attackersResponse, victimRequest.relayState), "saml_in_response_to");
      });

      it("refuses a response replayed in the browser that used it", async () => {
        const browser = new CookieJarClient();
        const request = await start(browser);
        const response = idp.response(answer(connection, request.id));
        accepted(await deliver(browser, response, request.relayState));
        refused(await deliver(browser, response, request.relayState), "saml_relay_state", 400);
      });

      it("validates the stashed post, not a SAMLResponse added to the /complete URL", async () => {
        const browser = new CookieJarClient();
        const request = await start(browser);
        const posted = await browser.crossSitePost(sp.urls(connection).acs, { SAMLResponse: idp.response(answer(connection, request.id)), RelayState: request.relayState! });
        const forged = idp.response({ ...answer(connection, request.id), key: signingKey("attacker") });
        const completed = await browser.get(`${posted.headers.get("location")}&SAMLResponse=${encodeURIComponent(forged)}`);
        accepted({ status: completed.status, body: await completed.json() });
      });

      it("refuses a stashed post fetched twice, or from another connection", async () => {
        const browser = new CookieJarClient();
        const request = await start(browser);
        const posted = await browser.crossSitePost(sp.urls(connection).acs, { SAMLResponse: idp.response(answer(connection, request.id)), RelayState: request.relayState! });
        const location = new URL(posted.headers.get("location")!);
        const other = sp.connect(idp);
        const elsewhere = await browser.get(`${sp.urls(other).complete}${location.search}`);
        refused({ status: elsewhere.status, body: await elsewhere.json() }, "saml_post_missing", 400);
        const again = await browser.get(location.toString());
        refused({ status: again.status, body: await again.json() }, "saml_post_missing", 400);
      });

      it("refuses a request id another replica already used (single use through the database)", async () => {
        const browser = new CookieJarClient();
        const request = await start(browser);
        await db.transaction((em) => em.query(`DELETE FROM sso_transactions WHERE "key" = 'saml:request:${connection.id}:${request.id}'`));
        refused(await deliver(browser, idp.response(answer(connection, request.id)), request.relayState), "saml_in_response_to");
      });

      it("refuses a response for org A's connection posted to org B's, which trusts the same IdP", async () => {
        const orgB = sp.connect(idp);
        const browser = new CookieJarClient();
        const forA = await start(browser, connection);
        const forB = await start(browser, orgB);
        const responseForA = idp.response(answer(connection, forA.id));
        refused(await deliver(browser, responseForA, forA.relayState, orgB), "saml_destination");
        // Without a Destination: under A's nonce B finds no login of its own; under B's, the request is A's.
        const undirected = idp.response({ ...answer(connection, forA.id), destination: null });
        refused(await deliver(browser, undirected, forA.relayState, orgB), "saml_relay_state", 400);
        refused(await deliver(browser, undirected, forB.relayState, orgB), "saml_in_response_to");
      });

      it("refuses a signed SubjectConfirmationData InResponseTo that differs from the Response's", async () => {
        const browser = new CookieJarClient();
        const request = await start(browser);
        refused(await deliver(browser, idp.response({ ...answer(connection, request.id), subjectInResponseTo: "_someone-else" }), request.relayState), "saml_in_response_to");
      });
    });

    describe("IdP-initiated logins", () => {
      it("are refused by default", async () => {
        refused(await deliver(new CookieJarClient(), idp.response(answer(connection)), null), "saml_unsolicited");
      });

      describe("when the connection allows them", () => {
        let open: ConnectionRecord;
        before(() => {
          open = sp.connect(idp, { allowIdpInitiated: true });
        });

        it("are accepted and land on the home page, whatever RelayState the IdP sends", async () => {
          accepted(await deliver(new CookieJarClient(), idp.response(answer(open)), "https://evil.example/", open));
          assert.deepEqual(sp.logins.at(-1)?.intent, { returnTo: "/", dryRun: false });
        });

        it("are still replay-protected: the same assertion is refused the second time, in any browser", async () => {
          const response = idp.response(answer(open));
          accepted(await deliver(new CookieJarClient(), response, null, open));
          refused(await deliver(new CookieJarClient(), response, null, open), "saml_replay");
        });

        it("cannot be made from an SP-initiated answer by stripping the unsigned Response InResponseTo", async () => {
          const response = idp.response({ ...answer(open), subjectInResponseTo: "_a-request-of-someone-else" });
          refused(await deliver(new CookieJarClient(), response, null, open), "saml_in_response_to");
        });
      });
    });

    describe("profiles", () => {
      it("maps the Entra preset's namespaced claims, keyed by the object ID, and detects group overage", async () => {
        const entra = sp.connect(idp, {}, "entra");
        const claims = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";
        const profile = accepted(await attempt({
          nameIdFormat: NAMEID.email, nameId: "carol@contoso.example",
          attributes: {
            "http://schemas.microsoft.com/identity/claims/objectidentifier": "8a1f0b3e-0000-4000-8000-000000000001",
            [`${claims}emailaddress`]: "carol@contoso.example",
            [`${claims}givenname`]: "Carol",
            [`${claims}surname`]: "Jones",
            "http://schemas.microsoft.com/identity/claims/displayname": "Carol Jones",
            "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups": ["b5a3c1d2-0000-4000-8000-00000000000a", "c6b4d2e3-0000-4000-8000-00000000000b"],
          },
        }, entra));
        assert.equal(profile.subject, "8a1f0b3e-0000-4000-8000-000000000001");
        assert.equal(profile.email, "carol@contoso.example");
        assert.equal(profile.name, "Carol Jones");
        assert.equal(profile.givenName, "Carol");
        assert.equal(profile.familyName, "Jones");
        assert.deepEqual(profile.groups, ["b5a3c1d2-0000-4000-8000-00000000000a", "c6b4d2e3-0000-4000-8000-00000000000b"]);
        assert.equal(profile.groupsOverage, false);

        const overage = accepted(await attempt({
          attributes: {
            "http://schemas.microsoft.com/identity/claims/objectidentifier": "8a1f0b3e-0000-4000-8000-000000000001",
            "http://schemas.microsoft.com/claims/groups.link": "https://graph.windows.net/tenant/users/8a1f/getMemberObjects",
          },
        }, entra));
        assert.equal(overage.groupsOverage, true);
        assert.deepEqual(overage.groups, []);
      });

      it("takes the user key from the configured attribute when the NameID is transient (Oracle)", async () => {
        const oracle = sp.connect(idp, {}, "oracle");
        const profile = accepted(await attempt({ nameIdFormat: NAMEID.transient, nameId: "_transient-1", attributes: { userKey: "ocid1.user.42", email: "dan@example.com" } }, oracle));
        assert.equal(profile.subject, "ocid1.user.42");
        refused(await attempt({ nameIdFormat: NAMEID.transient, nameId: "_transient-2", attributes: { email: "dan@example.com" } }, oracle), "saml_user_key");
      });

      it("refuses a transient NameID when no user-key attribute is configured", async () => {
        refused(await attempt({ nameIdFormat: NAMEID.transient, nameId: "_transient-3" }), "saml_transient_name_id");
      });

      it("refuses an assertion without a NameID when no user-key attribute is configured", async () => {
        refused(await attempt({ editAssertion: (xml) => xml.replace(/<saml:NameID[^>]*>[^<]*<\/saml:NameID>/, "") }), "saml_name_id");
      });

      it("takes the email from an emailAddress NameID when no email attribute is sent", async () => {
        const profile = accepted(await attempt({ nameIdFormat: NAMEID.email, nameId: "erin@example.com" }));
        assert.equal(profile.email, "erin@example.com");
        assert.equal(profile.subject, "erin@example.com");
        assert.equal((profile.raw as Record<string, unknown>).emailFrom, "NameID");
      });

      it("takes the email from an unspecified (or format-less) NameID only when it holds an address, and prefers the attribute", async () => {
        assert.equal(accepted(await attempt({ nameIdFormat: NAMEID.unspecified, nameId: "fay@example.com" })).email, "fay@example.com");
        assert.equal(accepted(await attempt({ nameIdFormat: null, nameId: "gus@example.com" })).email, "gus@example.com");
        assert.equal(accepted(await attempt({ nameIdFormat: NAMEID.unspecified, nameId: "00u-fay" })).email, null);
        assert.equal(accepted(await attempt({ nameIdFormat: NAMEID.persistent, nameId: "hal@example.com" })).email, null, "a persistent id is no address");
        const both = accepted(await attempt({ nameIdFormat: NAMEID.email, nameId: "ida@old.example", attributes: { email: "ida@example.com" } }));
        assert.equal(both.email, "ida@example.com");
        assert.equal(both.emailVerified, false, "a NameID address is no more verified than an attribute");
      });

      it("keeps every value of repeated Attribute elements (Keycloak's roles), and reads roles as groups", async () => {
        const keycloak = sp.connect(idp, {}, "keycloak");
        const profile = accepted(await attempt({
          nameIdFormat: NAMEID.unspecified, nameId: "kc-user",
          attributes: [["Role", "admin"], ["Role", "eng"], ["member", ["/staff", "/ops"]], ["Role", "eng"], ["Role", "viewer"]],
        }, keycloak));
        assert.deepEqual(profile.groups, ["/staff", "/ops", "admin", "eng", "viewer"]);
        const roles = (profile.attributes as { name: string; values: string[]; usedAs: string[] }[]).find((a) => a.name === "Role");
        assert.deepEqual(roles, { name: "Role", values: ["admin", "eng", "viewer"], usedAs: ["groups (roles)"] });
      });

      it("splits groups on the connection's delimiter (PingFederate's \"red,green,blue\")", async () => {
        const ping = sp.connect(idp, {}, "pingfederate");
        assert.deepEqual(accepted(await attempt({ attributes: { groups: ["red, green,blue", "green"] } }, ping)).groups, ["red", "green", "blue"]);
        assert.deepEqual(accepted(await attempt({ attributes: { groups: "red,green" } })).groups, ["red,green"], "no delimiter: values as sent");
      });

      it("reads an attribute value whole when a comment was injected into it after signing", async () => {
        const profile = accepted(await attempt({
          attributes: { groups: "staff.evil" }, tamper: (xml) => xml.replace(">staff.evil<", ">staff<!---->.evil<"),
        }));
        assert.deepEqual(profile.groups, ["staff.evil"]);
      });

      it("lists every attribute and value received, and what each is used as, for Test connection", async () => {
        const profile = accepted(await attempt({ attributes: [["email", "jo@example.com"], ["groups", ["a", "b"]], ["department", "R&D"], ["groups", "c"]] }));
        assert.deepEqual(profile.attributes, [
          { name: "email", values: ["jo@example.com"], usedAs: ["email"] },
          { name: "groups", values: ["a", "b", "c"], usedAs: ["groups"] },
          { name: "department", values: ["R&D"], usedAs: [] },
        ]);
      });
    });

    describe("SP metadata", () => {
      it("names this connection's entity ID and ACS", async () => {
        const res = await fetch(sp.urls(connection).entityId);
        assert.equal(res.status, 200);
        assert.match(res.headers.get("content-type") ?? "", /xml/);
        const xml = await res.text();
        assert.match(xml, new RegExp(`entityID="${sp.urls(connection).entityId}"`));
        assert.match(xml, new RegExp(`<AssertionConsumerService[^>]*Location="${sp.urls(connection).acs}"`));
        assert.match(xml, new RegExp(`<NameIDFormat>${NAMEID.persistent}</NameIDFormat>`));
      });
    });
  });
}

describe("samlRefusal", () => {
  it("maps a node-saml refusal it does not know to saml_invalid, keeping the message for the log", () => {
    const refusal = samlRefusal(new Error("Some check node-saml adds one day"));
    assert.ok(refusal instanceof SsoError);
    assert.equal(refusal.reason, "saml_invalid");
    assert.equal(refusal.detail?.check, "Some check node-saml adds one day");
  });

  it("passes on what is not a refusal: other error classes (the database, bugs) and SsoErrors", () => {
    const bug = new TypeError("x is undefined");
    assert.equal(samlRefusal(bug), bug);
    const ours = new SsoError("saml_replay", "m");
    assert.equal(samlRefusal(ours), ours);
  });
});

/** An unsigned assertion naming an administrator: what a wrapping attack hopes the SP reads. */
function evilAssertion(issuer: string): string {
  return `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_evil" Version="2.0" IssueInstant="${new Date().toISOString()}">` +
    `<saml:Issuer>${issuer}</saml:Issuer><saml:Subject><saml:NameID>admin</saml:NameID></saml:Subject></saml:Assertion>`;
}
