import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { oidcPreset, presetNames, samlPreset } from "../../src/sso/presets.js";

describe("IdP presets", () => {
  it("has SAML and OIDC defaults for every preset, and the generic ones for an unknown name", () => {
    for (const name of presetNames) {
      assert.ok(samlPreset(name).attributes.email, name);
      assert.ok(oidcPreset(name).scopes.includes("openid"), name);
    }
    assert.deepEqual(samlPreset("no-such-idp"), samlPreset("generic"));
    assert.deepEqual(oidcPreset("no-such-idp"), oidcPreset("generic"));
  });

  it("names a user-key attribute wherever the NameID is transient (a connection without one is refused)", () => {
    for (const name of presetNames) {
      const preset = samlPreset(name);
      if (/transient/.test(preset.nameIdFormat)) assert.ok(preset.attributes.userKey, name);
    }
  });

  it("accepts any signature placement and refuses SHA-1 in every preset (stricter or weaker is the admin's choice)", () => {
    for (const name of presetNames) {
      assert.equal(samlPreset(name).requiredSignature, "any", name);
      assert.equal(samlPreset(name).allowSha1, false, name);
    }
  });

  it("names the WS-Federation claim types for AD FS and Auth0, and splits PingFederate's joined groups", () => {
    const ws = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";
    for (const name of ["adfs", "auth0"]) {
      const { attributes } = samlPreset(name);
      assert.deepEqual([attributes.email, attributes.firstName, attributes.lastName], [`${ws}emailaddress`, `${ws}givenname`, `${ws}surname`], name);
    }
    assert.equal(samlPreset("adfs").attributes.groups, "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups");
    assert.equal(samlPreset("adfs").attributes.roles, "http://schemas.microsoft.com/ws/2008/06/identity/claims/role");
    assert.equal(samlPreset("auth0").attributes.groups, "http://schemas.xmlsoap.org/claims/Group");
    assert.equal(samlPreset("pingfederate").groupsDelimiter, ",");
    assert.deepEqual([samlPreset("keycloak").attributes.groups, samlPreset("keycloak").attributes.roles], ["member", "Role"]);
  });

  it("hands out copies", () => {
    samlPreset("entra").attributes.groups = "changed";
    oidcPreset("okta").scopes.push("changed");
    assert.equal(samlPreset("entra").attributes.groups, "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups");
    assert.ok(!oidcPreset("okta").scopes.includes("changed"));
  });
});
