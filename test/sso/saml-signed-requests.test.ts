import assert from "node:assert/strict";
import { verify } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Database, openDatabase } from "../../src/db/database.js";
import { CookieJarClient, readAuthnRequest, SamlSp, startSamlSp, TestIdp } from "../support/saml-idp.js";

/**
 * AuthnRequests by HTTP-Redirect are signed (bindings §3.4.4.1: the query's SigAlg and Signature, RSA-SHA256 with the
 * current SP key) when the IdP's metadata says WantAuthnRequestsSigned or the admin asks, and only then.
 */
describe("signed AuthnRequests (HTTP-Redirect)", () => {
  let db: Database;
  let sp: SamlSp;
  const idp = new TestIdp();
  before(async () => {
    db = await openDatabase({ url: "sqlite::memory:" });
    sp = await startSamlSp(db);
  });
  after(async () => {
    await sp.close();
    await db.close();
  });

  const redirectOf = async (settings: Parameters<SamlSp["connect"]>[1]) => {
    const connection = sp.connect(idp, settings);
    const res = await new CookieJarClient().get(`${sp.baseUrl}/login/${connection.id}`);
    assert.equal(res.status, 302);
    return res.headers.get("location")!;
  };

  /** Verifies the query signature over the raw, still URL-encoded, parameters in the order the binding fixes. */
  const signatureValid = (location: string) => {
    const query = location.slice(location.indexOf("?") + 1);
    const raw = Object.fromEntries(query.split("&").map((pair) => [pair.split("=")[0], pair]));
    const signed = ["SAMLRequest", "RelayState", "SigAlg"].filter((k) => raw[k]).map((k) => raw[k]).join("&");
    const signature = Buffer.from(decodeURIComponent(raw.Signature.split("=")[1]), "base64");
    return verify("sha256", Buffer.from(signed), sp.spKey.certificate, signature);
  };

  it("signs when the IdP's metadata asks, and when the admin does", async () => {
    for (const settings of [{ idpWantsSignedRequests: true }, { signAuthnRequests: true }]) {
      const location = await redirectOf(settings);
      const url = new URL(location);
      assert.equal(url.searchParams.get("SigAlg"), "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
      assert.ok(signatureValid(location), JSON.stringify(settings));
      assert.match(readAuthnRequest(location).xml, /<samlp:AuthnRequest /);
    }
  });

  it("does not sign otherwise", async () => {
    const url = new URL(await redirectOf({}));
    assert.equal(url.searchParams.get("Signature"), null);
    assert.equal(url.searchParams.get("SigAlg"), null);
  });
});
