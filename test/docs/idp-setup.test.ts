import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { IDP_GUIDES, IdpGuide } from "../../src/web/idp-guides.js";

/**
 * docs/idp-setup.md is the console wizard's guidance (src/web/idp-guides.ts) as a page: this test fails when the two
 * differ. `UPDATE_DOCS=1` rewrites the page from the guides.
 */
const PATH = "docs/idp-setup.md";

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

/** Before any IdP: the domain, which routes `/login` and bounds whom the IdPs may sign in (src/identity/domains.ts). */
const DOMAIN_STEPS = [
  "## First: verify your domain",
  "",
  "People who type their email at `<BASE_URL>/login` are sent to your organization's SSO only once its domain is",
  "verified, and once one is verified your IdPs may link accounts by email and create accounts only for addresses in",
  "your verified domains (or their subdomains).",
  "",
  "1. Add the domain: console › Domains › Add domain, `POST /api/v1/organizations/<org>/domains {\"name\": \"acme.com\"}`,",
  "   or `npm run cli -- domain claim acme.com --org <slug>`.",
  "2. Publish the TXT record it shows at your DNS provider: name `_rollcall-challenge.acme.com`, value",
  "   `rollcall-<token>` (other TXT values on that name do no harm).",
  "3. Press Verify (`POST …/domains/<id>/verify`, `npm run cli -- domain verify acme.com --org <slug>`). Until the",
  "   record is visible the page says what the lookup found; Rollcall also checks daily, and verifies it then.",
  "4. Leave the record in place: the daily check withdraws a DNS verification whose record has gone.",
  "",
  "A domain is verified by one organization only. An operator who checked ownership another way can mark it",
  "verified by hand (console button, `POST …/domains/<id>/mark-verified`, `npm run cli -- domain mark-verified`); that",
  "is audited and the daily check leaves it alone.",
  "",
  "With several connections (employees' and partners' IdPs, or the old and the new one during a move), send each",
  "domain to its connection (console › Domains, `PUT …/domains/<id>/connection`, `npm run cli -- domain route`) and",
  "mark one connection the default for the others. A connection for people outside your domains (partners,",
  "contractors) needs \"People outside the verified domains: admitted\" (`allowOtherDomains`).",
];

/** For the customer's IT admin who got a setup link instead of an account (src/web/setup-portal.ts). */
const SETUP_LINK = [
  "## Were you sent a setup link?",
  "",
  "Your vendor can send you (the customer's IT administrator) a setup link instead of an account. Opening it shows a",
  "welcome page for your organization and walks you through the steps the link allows, in this order: verify your",
  "domain, connect your identity provider (the sections below), test a sign-in, map your IdP's groups to teams, and",
  "SCIM provisioning. Each step opens the page that does it; **Setup guide** in the top bar brings you back. When you",
  "are done, press **Finish** on the last page: your vendor's admins are told, and the link stops working (ask for a new",
  "one if you need to change something later). A link also stops working when it expires (one day unless your vendor",
  "chose otherwise) or is revoked.",
];

const page = () => [
  "# Setting up an identity provider",
  "",
  "What to create at each IdP and which of Rollcall's values go where. The console's connection wizard",
  "(`/console` › SSO connection) shows the same steps with the real values filled in, and a Test connection button.",
  "Generated from `src/web/idp-guides.ts` by `UPDATE_DOCS=1 node --import tsx --test test/docs/idp-setup.test.ts`.",
  "",
  ...SETUP_LINK,
  "",
  ...DOMAIN_STEPS,
  "",
  ...IDP_GUIDES.map(section),
].join("\n");

describe("docs/idp-setup.md", () => {
  it("says what the console's wizard says", () => {
    if (process.env.UPDATE_DOCS === "1") writeFileSync(PATH, page());
    assert.equal(readFileSync(PATH, "utf8"), page(), "run with UPDATE_DOCS=1 to rewrite docs/idp-setup.md from src/web/idp-guides.ts");
  });
});
