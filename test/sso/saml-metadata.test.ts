import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { once } from "node:events";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { SamlSettings } from "../../src/identity/connections.js";
import { samlPreset } from "../../src/sso/presets.js";
import { fetchIdpMetadata, parseIdpMetadata, refreshedMetadata, SamlMetadataError } from "../../src/sso/saml/metadata.js";
import { signingKey, TestIdp } from "../support/saml-idp.js";

/** Reading IdP metadata (test IdP, Okta- and Entra-shaped documents, broken ones) and fetching it from a URL. */

const cert1 = signingKey("idp-1").certBody;
const cert2 = signingKey("idp-2").certBody;
const other = signingKey("attacker").certBody;

const fixture = (name: string) => readFileSync(`test/sso/testdata/${name}`, "utf8")
  .replaceAll("{{CERT1}}", cert1).replaceAll("{{CERT2}}", cert2).replaceAll("{{OTHER}}", other);

const MD = 'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"';
const PROTOCOL = 'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"';
const keyDescriptor = (cert: string, use?: string) =>
  `<md:KeyDescriptor${use ? ` use="${use}"` : ""}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
const sso = (binding: string, location: string) =>
  `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${location}"/>`;
/** An IdP's metadata from parts of its IDPSSODescriptor. */
const idpMetadata = (inner: string, entityId = "https://idp.example.test") =>
  `<md:EntityDescriptor ${MD} entityID="${entityId}"><md:IDPSSODescriptor ${PROTOCOL}>${inner}</md:IDPSSODescriptor></md:EntityDescriptor>`;

function refusedMetadata(xml: string, message: RegExp) {
  assert.throws(() => parseIdpMetadata(xml), (err: unknown) => {
    assert.ok(err instanceof SamlMetadataError, String(err));
    assert.match(err.message, message);
    return true;
  });
}

describe("parseIdpMetadata", () => {
  it("reads the test IdP's metadata: entity ID, SSO URL, both certificates, NameID formats", () => {
    const idp = new TestIdp("https://idp.example.test/meta", "https://idp.example.test/sso", [signingKey("idp-1"), signingKey("idp-2")]);
    assert.deepEqual(parseIdpMetadata(idp.metadata()), {
      entityId: "https://idp.example.test/meta",
      ssoUrl: "https://idp.example.test/sso",
      ssoBinding: "HTTP-Redirect",
      wantsSignedRequests: false,
      certificates: [cert1, cert2],
      nameIdFormats: ["urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"],
      slo: null,
    });
  });

  it("reads Okta's shape, preferring the HTTP-Redirect SSO URL over the POST one listed first", () => {
    const metadata = parseIdpMetadata(fixture("okta-metadata.xml"));
    assert.equal(metadata.entityId, "http://www.okta.com/exk1rollcall0test0h7");
    assert.equal(metadata.ssoUrl, "https://rollcall-test.okta.com/app/rollcall-test_rollcall_1/exk1rollcall0test0h7/sso/saml?binding=redirect");
    assert.deepEqual(metadata.certificates, [cert1]);
  });

  it("reads Entra's shape: default namespace, both rollover certificates, and not the document signature's certificate", () => {
    const metadata = parseIdpMetadata(fixture("entra-metadata.xml"));
    assert.equal(metadata.entityId, "https://sts.windows.net/0d1f2e3c-0000-4000-8000-00000000e17a/");
    assert.equal(metadata.ssoUrl, "https://login.microsoftonline.com/0d1f2e3c-0000-4000-8000-00000000e17a/saml2");
    assert.deepEqual(metadata.certificates, [cert1, cert2]);
    assert.deepEqual(metadata.nameIdFormats, []);
    // Entra's SLO is Redirect only, at its SSO URL.
    assert.deepEqual(metadata.slo, { url: metadata.ssoUrl, responseUrl: metadata.ssoUrl, binding: "HTTP-Redirect" });
  });

  it("reads the SingleLogoutService: Redirect preferred, else POST, with its ResponseLocation; none is no Single Logout", () => {
    const sso = '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/sso"/>';
    const slo = (binding: string, location: string, response = "") =>
      `<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${location}"${response ? ` ResponseLocation="${response}"` : ""}/>`;
    const withSlo = (services: string) => new TestIdp().metadata().replace(/<md:SingleSignOnService[^>]*\/>\s*/g, "").replace("</md:IDPSSODescriptor>", `${sso}${services}</md:IDPSSODescriptor>`);
    assert.deepEqual(parseIdpMetadata(withSlo(slo("HTTP-POST", "https://idp.example.test/slo/post") + slo("HTTP-Redirect", "https://idp.example.test/slo", "https://idp.example.test/slo/done"))).slo,
      { url: "https://idp.example.test/slo", responseUrl: "https://idp.example.test/slo/done", binding: "HTTP-Redirect" });
    assert.deepEqual(parseIdpMetadata(withSlo(slo("HTTP-POST", "https://idp.example.test/slo/post") + slo("urn:oasis:names:tc:SAML:2.0:bindings:SOAP", "https://idp.example.test/soap"))).slo,
      { url: "https://idp.example.test/slo/post", responseUrl: "https://idp.example.test/slo/post", binding: "HTTP-POST" });
    assert.equal(parseIdpMetadata(withSlo(slo("SOAP", "https://idp.example.test/soap"))).slo, null);
    assert.throws(() => parseIdpMetadata(withSlo(slo("HTTP-Redirect", "javascript:alert(1)"))), /SingleLogoutService Location "javascript:alert\(1\)" is not an http\(s\) URL/);
  });

  it("takes keys without `use`, and skips encryption keys", () => {
    const metadata = parseIdpMetadata(idpMetadata(keyDescriptor(other, "encryption") + keyDescriptor(cert1) + sso("HTTP-Redirect", "https://idp.example.test/sso")));
    assert.deepEqual(metadata.certificates, [cert1]);
  });

  it("takes an IdP that offers AuthnRequests only by HTTP-POST (JumpCloud, older OneLogin), and whether it wants them signed", () => {
    const metadata = parseIdpMetadata(idpMetadata(keyDescriptor(cert1) + sso("HTTP-POST", "https://idp.example.test/post"))
      .replace("<md:IDPSSODescriptor ", '<md:IDPSSODescriptor WantAuthnRequestsSigned="true" '));
    assert.equal(metadata.ssoUrl, "https://idp.example.test/post");
    assert.equal(metadata.ssoBinding, "HTTP-POST");
    assert.equal(metadata.wantsSignedRequests, true);
  });

  it("refuses an IdP that offers single sign-on with neither browser binding, naming what it found", () => {
    refusedMetadata(idpMetadata(keyDescriptor(cert1) + sso("HTTP-Artifact", "https://idp.example.test/artifact")), /no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding.*found: urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact/);
  });

  it("takes the one IdP out of an EntitiesDescriptor, and refuses an aggregate of several", () => {
    const entity = (id: string) => idpMetadata(keyDescriptor(cert1) + sso("HTTP-Redirect", "https://idp.example.test/sso"), id).replace(` ${MD}`, "");
    const aggregate = (...ids: string[]) => `<md:EntitiesDescriptor ${MD}>${ids.map(entity).join("")}</md:EntitiesDescriptor>`;
    assert.equal(parseIdpMetadata(aggregate("https://one.example.test")).entityId, "https://one.example.test");
    refusedMetadata(aggregate("https://one.example.test", "https://two.example.test"), /describes 2 identity providers/);
  });

  it("says what is wrong with broken metadata", () => {
    const ok = keyDescriptor(cert1) + sso("HTTP-Redirect", "https://idp.example.test/sso");
    refusedMetadata("<md:EntityDescriptor", /not well-formed XML/);
    refusedMetadata(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${idpMetadata(ok)}`, /DOCTYPE/);
    refusedMetadata("<html><body>Sign in</body></html>", /root element is <html>/);
    refusedMetadata(idpMetadata(ok, ""), /no entityID/);
    refusedMetadata(`<md:EntityDescriptor ${MD} entityID="https://sp.example.test"><md:SPSSODescriptor ${PROTOCOL}/></md:EntityDescriptor>`, /service-provider metadata/);
    refusedMetadata(idpMetadata(ok).replace(PROTOCOL, 'protocolSupportEnumeration="urn:oasis:names:tc:SAML:1.1:protocol"'), /does not support SAML 2.0/);
    refusedMetadata(idpMetadata(keyDescriptor(cert1) + sso("SOAP", "https://idp.example.test/soap")), /no SingleSignOnService .* \(found: urn:oasis:names:tc:SAML:2.0:bindings:SOAP\)/);
    refusedMetadata(idpMetadata(keyDescriptor(cert1) + sso("HTTP-Redirect", "javascript:alert(1)")), /not an http\(s\) URL/);
    refusedMetadata(idpMetadata(keyDescriptor(cert1, "encryption") + sso("HTTP-Redirect", "https://idp.example.test/sso")), /no signing certificate/);
    refusedMetadata(idpMetadata(keyDescriptor("bm90IGEgY2VydGlmaWNhdGU=") + sso("HTTP-Redirect", "https://idp.example.test/sso")), /certificate 1 .* not a valid/);
  });
});

describe("fetchIdpMetadata", () => {
  let server: Server;
  let base: string;
  const xml = new TestIdp().metadata();

  before(async () => {
    server = createServer((req, res) => {
      switch (req.url) {
        case "/metadata": return void res.writeHead(200, { "content-type": "application/xml" }).end(xml);
        case "/moved": return void res.writeHead(302, { location: "/metadata" }).end();
        case "/loop": return void res.writeHead(302, { location: "/loop" }).end();
        case "/huge": return void res.writeHead(200).end("<x>" + "a".repeat(1024 * 1024) + "</x>");
        case "/slow": return; // never answers
        default: return void res.writeHead(404).end();
      }
    }).listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const insecure = { allowInsecureIdp: true };

  async function refusedFetch(url: string, options: Parameters<typeof fetchIdpMetadata>[1], message: RegExp) {
    await assert.rejects(fetchIdpMetadata(url, options), (err: unknown) => {
      assert.ok(err instanceof SamlMetadataError, String(err));
      assert.match(err.message, message);
      return true;
    });
  }

  it("fetches and parses metadata, following a redirect", async () => {
    for (const path of ["/metadata", "/moved"]) {
      const fetched = await fetchIdpMetadata(`${base}${path}`, insecure);
      assert.equal(fetched.xml, xml);
      assert.equal(fetched.metadata.entityId, new TestIdp().entityId);
    }
  });

  it("refuses http and internal addresses unless insecure IdPs are allowed", async () => {
    await refusedFetch(`${base}/metadata`, { allowInsecureIdp: false }, /must use https/);
    await refusedFetch(`https://127.0.0.1:${new URL(base).port}/metadata`, { allowInsecureIdp: false }, /private or loopback/);
    await refusedFetch("https://localhost/metadata", { allowInsecureIdp: false }, /private or loopback/);
    await refusedFetch("https://[::1]/metadata", { allowInsecureIdp: false }, /private or loopback/);
    await refusedFetch("https://[::ffff:10.0.0.1]/metadata", { allowInsecureIdp: false }, /private or loopback/);
    await refusedFetch("https://169.254.169.254/latest/meta-data", { allowInsecureIdp: false }, /private or loopback/);
    await refusedFetch("file:///etc/passwd", insecure, /must use https/);
  });

  it("gives up on errors, endless redirects, oversized bodies and silence", async () => {
    await refusedFetch(`${base}/missing`, insecure, /HTTP 404/);
    await refusedFetch(`${base}/loop`, insecure, /HTTP 302/);
    await refusedFetch(`${base}/huge`, insecure, /larger than 1048576 bytes/);
    await refusedFetch(`${base}/slow`, { ...insecure, timeoutMs: 200 }, /did not answer in time/);
  });

  describe("refreshedMetadata", () => {
    const settings = (over: Partial<SamlSettings>): SamlSettings => ({
      idpMetadataUrl: `${base}/metadata`, idpMetadataXml: null, idpEntityId: "old", idpSsoUrl: "https://old.example.test",
      idpCertificates: [other], metadataFetchedAt: null, allowIdpInitiated: false,
      ...samlPreset("generic"),
      ...over,
    });
    const now = new Date("2030-01-02T00:00:00.000Z");

    it("fetches metadata older than a day, never fetched, and nothing else", async () => {
      assert.equal(await refreshedMetadata(settings({ idpMetadataUrl: null }), { ...insecure, now }), null);
      assert.equal(await refreshedMetadata(settings({ metadataFetchedAt: "2030-01-01T12:00:00.000Z" }), { ...insecure, now }), null);
      for (const fetchedAt of [null, "2029-12-31T23:00:00.000Z"]) {
        assert.deepEqual(await refreshedMetadata(settings({ metadataFetchedAt: fetchedAt }), { ...insecure, now }), {
          idpEntityId: new TestIdp().entityId, idpSsoUrl: new TestIdp().ssoUrl, idpSsoBinding: "HTTP-Redirect", idpWantsSignedRequests: false,
          idpCertificates: [cert1], metadataFetchedAt: now.toISOString(), idpSlo: null,
        });
      }
    });
  });
});
