import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { IDP_GUIDES, IdpGuide } from "../../src/web/idp-guides.js";

/**
 * docs/idp-setup.md is the console wizard's guidance (src/web/idp-guides.ts) as a page: this test fails when the two
 * differ. `UPDATE_DOCS=1` rewrites the page from the guides.
 */
const PATH = new URL("../../docs/idp-setup.md", import.meta.url);

function section(g: IdpGuide): string {
  const lines = [`## ${g.label}`, ""];
  if (g.oidc) {
    lines.push("**OpenID Connect**", "",
      `1. Create the app: ${g.oidc.app}.`,
      `2. ${g.oidc.redirectUri}: the connection's redirect URI, \`<BASE_URL>/sso/<connection id>/oidc/callback\`.`,
      `3. Bring back the issuer URL (${g.oidc.issuer}) and the client credentials (${g.oidc.client}).`,
      `4. Groups: ${g.oidc.groups}.`, "");
  }
  if (g.saml) {
    lines.push("**SAML 2.0**", "",
      `1. Create the app: ${g.saml.app}.`,
      `2. ${g.saml.acs}: \`<BASE_URL>/sso/<connection id>/saml/acs\`; ${g.saml.entityId}: \`<BASE_URL>/sso/<connection id>/saml/metadata\`.`,
      `3. Bring back the IdP metadata: ${g.saml.metadata}.`,
      `4. Groups: ${g.saml.groups}.`, "");
  }
  lines.push("**Provisioning (SCIM)**", "", g.scim
    ? `In ${g.scim.app}: ${g.scim.baseUrl} = \`<BASE_URL>/scim/v2\`${g.key === "entra" ? " (Entra: `<BASE_URL>/scim/v2?aadOptscim062020`)" : ""}; ${g.scim.token} = a SCIM token from the console or \`npm run cli -- token create\`.`
    : g.scimNote ?? "No SCIM client.", "");
  return lines.join("\n");
}

const page = () => [
  "# Setting up an identity provider",
  "",
  "What to create at each IdP and which of Rollcall's values go where. The console's connection wizard",
  "(`/console` › SSO connection) shows the same steps with the real values filled in, and a Test connection button.",
  "Generated from `src/web/idp-guides.ts` by `UPDATE_DOCS=1 node --import tsx --test test/docs/idp-setup.test.ts`.",
  "",
  ...IDP_GUIDES.map(section),
].join("\n");

describe("docs/idp-setup.md", () => {
  it("says what the console's wizard says", () => {
    if (process.env.UPDATE_DOCS === "1") writeFileSync(PATH, page());
    assert.equal(readFileSync(PATH, "utf8"), page(), "run with UPDATE_DOCS=1 to rewrite docs/idp-setup.md from src/web/idp-guides.ts");
  });
});
