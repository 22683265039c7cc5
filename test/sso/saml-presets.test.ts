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

  it("expects a signed Response only from IdPs that sign it by default", () => {
    assert.deepEqual(presetNames.filter((n) => samlPreset(n).wantResponseSigned), ["okta", "keycloak"]);
  });

  it("hands out copies", () => {
    samlPreset("entra").attributes.groups = "changed";
    oidcPreset("okta").scopes.push("changed");
    assert.equal(samlPreset("entra").attributes.groups, "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups");
    assert.ok(!oidcPreset("okta").scopes.includes("changed"));
  });
});
