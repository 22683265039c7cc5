import { Request, Response, Router } from "express";
import { z } from "zod";
import {
  ConnectionRecord, ConnectionType, createConnection, deleteConnection, getConnection, listConnections, setConnectionEnabled, updateConnection,
} from "../identity/connections.js";
import { discardNextSpKey, promoteNextSpKey, publishNextSpKey } from "../identity/saml-keys.js";
import { createScimToken } from "../identity/scim-tokens.js";
import {
  connectionChangeFrom, connectionChangeSchema, connectionFormSchema, connectionInputFrom, PublicConnection, publicConnection, testLoginUrl,
} from "../sso/connection-setup.js";
import { one, orgOf, orgPath, refusal, submit, viewerOf, WebDeps, WebError } from "./context.js";
import { badge, copyable, field, html, Html, postButton, select } from "./html.js";
import { guideOf, IDP_GUIDES, IdpGuide } from "./idp-guides.js";
import { errorBox, sendPage } from "./layout.js";
import { newTokenBox, scimBaseUrl } from "./tokens.js";

/**
 * The SSO connection wizard, per identity provider: (1) create the app at the IdP and bring back its issuer and
 * client, or its metadata; (2) save, and Rollcall generates the redirect URI or ACS URL and entity ID to paste into
 * the IdP; (3) provisioning: the SCIM base URL and a token made on the page; (4) test the connection, then enable it.
 * What a form becomes (presets, metadata fetched and parsed) is src/sso/connection-setup.ts's, as for the admin API.
 */

/** A form the wizard re-renders after a refusal: what was typed comes back, secrets excepted. */
type Typed = Record<string, string>;

const FIELD_LABELS: Record<string, string> = {
  name: "Name", loginPath: "Login path", "oidc.issuerUrl": "Issuer URL", "oidc.clientId": "Client ID", "oidc.clientSecret": "Client secret",
  "oidc.scopes": "Scopes", "saml.idpMetadataUrl": "Metadata URL", "saml.idpMetadataXml": "Metadata XML",
};

/** connection-setup's refusals (the schema's, or metadata that cannot be fetched or read) as one sentence per field. */
function zodMessage(err: z.ZodError): string {
  return err.issues.map((i) => {
    const path = i.path.join(".");
    return `${FIELD_LABELS[path] ?? (path || "Form")}: ${i.message}`;
  }).join(" · ");
}

/** Empty form fields are left out, so that the preset or the stored value applies. */
const given = (value: string) => (value.trim() === "" ? undefined : value.trim());
/** A yes/no select; left out of the form, unchanged. */
const yesNo = (value: unknown) => (value === undefined ? undefined : one(value) === "yes");
const scopesOf = (text: string) => given(text)?.split(/[\s,]+/).filter(Boolean);

function claimMappingsOf(body: Record<string, unknown>) {
  const mappings = { name: given(one(body.claimName)), email: given(one(body.claimEmail)), groups: given(one(body.claimGroups)) };
  return Object.values(mappings).some(Boolean) ? mappings : undefined;
}

/** An optional setting's field: emptied, it clears the setting (null); left out of the form, it keeps it. */
const clearable = (value: unknown) => (value === undefined ? undefined : given(one(value)) ?? null);

function samlAttributesOf(body: Record<string, unknown>) {
  const attributes = {
    email: given(one(body.attrEmail)), name: given(one(body.attrName)), firstName: given(one(body.attrFirstName)), lastName: given(one(body.attrLastName)),
    groups: given(one(body.attrGroups)), roles: clearable(body.attrRoles), userKey: clearable(body.attrUserKey),
  };
  return Object.values(attributes).some((v) => v !== undefined) ? attributes : undefined;
}

export function connectionsRouter(deps: WebDeps): Router {
  const router = Router({ mergeParams: true });
  const setup = { allowInsecureIdp: deps.allowInsecureIdp ?? false };
  const base = (res: Response) => orgPath(orgOf(res).id, "connections");

  async function existing(res: Response, id: string): Promise<ConnectionRecord> {
    const connection = await getConnection(deps.db, deps.secretKey, orgOf(res).id, id);
    if (!connection) throw new WebError(404, "There is no such connection in this organization.");
    return connection;
  }

  /** Runs a change that goes through connection-setup: its validation errors are the admin's to fix, like the core's. */
  async function attempt<T>(change: () => Promise<T>): Promise<{ value?: T; error?: { message: string; status: number } }> {
    try {
      return { value: await change() };
    } catch (err) {
      if (err instanceof z.ZodError) return { error: { message: zodMessage(err), status: 400 } };
      const refused = refusal(err);
      if (refused) return { error: refused };
      throw err;
    }
  }

  router.get("/", async (req, res) => {
    const connections = await listConnections(deps.db, deps.secretKey, orgOf(res).id);
    const here = base(res);
    sendPage(req, res, {
      section: "connections", title: "SSO connection",
      body: html`<h1>Single sign-on</h1>
${connections.length ? html`<table><tr><th>Connection</th><th>Identity provider</th><th>Protocol</th><th>Login URL</th><th>State</th></tr>
${connections.map((c) => html`<tr><td><a href="${here}/${c.id}">${c.name}</a></td><td>${guideOf(c.preset, c.type)?.label ?? c.preset}</td><td>${c.type.toUpperCase()}</td>
<td><code>${deps.baseUrl}/login/${c.loginPath}</code></td><td>${c.enabled ? badge("enabled", "on") : badge("disabled", "off")}${c.isDefault ? html` ${badge("default")}` : ""}</td></tr>`)}</table>
<p class="muted">Several connections may be enabled (employees' and partners' IdPs, or the old and the new one during a move) once the
organization has a <a href="${orgPath(orgOf(res).id, "domains")}">verified domain</a>: people are sent to one by their email's domain.
Administrators can always sign in with their password.</p>`
    : html`<p>No SSO connection yet.</p>`}
<h2>Set up a connection</h2><p>Pick your identity provider:</p>
<ul>${IDP_GUIDES.map((g) => html`<li><a href="${here}/new?idp=${g.key}">${g.label}</a> <span class="muted">(${g.protocols.map((p) => p.toUpperCase()).join(" or ")})</span></li>`)}</ul>`,
    });
  });

  function showNew(req: Request, res: Response, typed: Typed = {}, error?: { message: string; status: number }) {
    const guide = guideOf(one(typed.idp || req.query.idp));
    if (!guide) throw new WebError(404, "Pick an identity provider from the list on the SSO connection page.");
    const wanted = one(typed.type || req.query.protocol) as ConnectionType;
    const type = guide.protocols.includes(wanted) ? wanted : guide.protocols[0];
    const here = base(res);
    const steps = type === "oidc" ? guide.oidc! : guide.saml!;
    const organization = orgOf(res);
    sendPage(req, res, {
      section: "connections", title: `New ${guide.label} connection`, status: error?.status,
      body: html`<p><a href="${here}">← SSO connection</a></p><h1>New ${guide.label} connection</h1>
${guide.protocols.length > 1 ? html`<p>Protocol: ${guide.protocols.map((p, i) => html`${i ? " · " : ""}${p === type
    ? html`<strong>${p.toUpperCase()}</strong>` : html`<a href="${here}/new?idp=${guide.key}&amp;protocol=${p}">${p.toUpperCase()}</a>`}`)}</p>` : ""}
<h2>1. In ${guide.label}</h2>
<p>Create the application: <em>${steps.app}</em>.</p>
<p>If ${guide.label} asks for the ${type === "oidc" ? html`<em>${guide.oidc!.redirectUri}</em>` : html`<em>${guide.saml!.acs}</em> or <em>${guide.saml!.entityId}</em>`}
before you can save it, type a placeholder such as <code>https://example.invalid</code>: Rollcall generates the real values when you save here,
and the next page shows them to paste back.</p>
<h2>2. Here</h2>${errorBox(error?.message)}
<form method="post" action="${here}"><input type="hidden" name="idp" value="${guide.key}"><input type="hidden" name="type" value="${type}">
${field("Name", "name", typed.name ?? `${guide.label}`, { attrs: 'required maxlength="200"' })}
${field("Login path", "loginPath", typed.loginPath ?? organization.slug.replace(/[^A-Za-z0-9]/g, ""), {
    attrs: 'required pattern="[A-Za-z0-9]{1,64}"', hint: `Letters and digits; people sign in at ${deps.baseUrl}/login/<login path>. Unique across all organizations.`,
  })}
${type === "oidc" ? oidcFields(guide, typed) : samlFields(guide, typed)}
<p><button type="submit">Save connection</button> <span class="muted">It is saved disabled: test it before you enable it.</span></p></form>`,
    });
  }

  router.get("/new", (req, res) => showNew(req, res));

  router.post("/", async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const guide = guideOf(one(body.idp));
    const type = one(body.type);
    const typed: Typed = Object.fromEntries(Object.entries(body).filter(([k]) => k !== "clientSecret").map(([k, v]) => [k, one(v)]));
    if (!guide) throw new WebError(400, "Pick an identity provider from the list on the SSO connection page.");
    const form = {
      type, name: one(body.name), loginPath: one(body.loginPath).trim(), preset: guide.preset,
      ...(type === "oidc"
        ? { oidc: { issuerUrl: one(body.issuerUrl).trim(), clientId: one(body.clientId).trim(), clientSecret: one(body.clientSecret) } }
        : { saml: { idpMetadataUrl: given(one(body.idpMetadataUrl)), idpMetadataXml: given(one(body.idpMetadataXml)) } }),
    };
    const { value, error } = await attempt(async () => {
      const input = await connectionInputFrom(connectionFormSchema.parse(form), setup);
      return createConnection(deps.db, deps.secretKey, orgOf(res).id, input, viewerOf(res).actor);
    });
    if (error) return showNew(req, res, typed, error);
    res.redirect(303, `${base(res)}/${value!.id}?notice=connection-created`);
  });

  async function showConnection(req: Request, res: Response, options: { error?: { message: string; status: number }; scimToken?: string } = {}) {
    const connection = await existing(res, String(req.params.connectionId));
    const shown = publicConnection(connection, deps.baseUrl);
    const guide = guideOf(connection.preset, connection.type) ?? guideOf(connection.type)!;
    const here = `${base(res)}/${connection.id}`;
    sendPage(req, res, {
      section: "connections", title: connection.name, status: options.error?.status,
      body: html`<p><a href="${base(res)}">← SSO connection</a></p>
<h1>${connection.name} ${connection.enabled ? badge("enabled", "on") : badge("disabled", "off")}${connection.saml?.allowSha1 ? html` ${badge("SHA-1 allowed: weak", "off")}` : ""}</h1>
<p>${guide.label} · ${connection.type.toUpperCase()} · people sign in at <code>${shown.loginUrl}</code> (step 1 has it to copy)</p>${errorBox(options.error?.message)}
<h2>1. Paste these into ${guide.label}</h2>${generatedValues(guide, shown)}
<h2>2. Provisioning (SCIM)</h2>${scimStep(guide, connection, deps.baseUrl, here, options.scimToken)}
<h2>3. Test, then enable</h2>
<p>The test signs in at ${guide.label} and shows what it sent: the claims, the groups, and the teams this user would get. Nothing is saved.</p>
<p><a class="button secondary" id="test-connection" href="${testLoginUrl(connection, deps.baseUrl)}" target="_blank" rel="noopener">Test connection</a>
${connection.enabled
    ? postButton(`${here}/disable`, "Disable", { className: "danger" })
    : postButton(`${here}/enable`, "Enable")}</p>
${shown.saml ? html`<h2>SP certificates</h2>${spCertificates(shown, here)}` : ""}
<h2>Settings</h2>${settingsForm(connection, shown, here)}
<h2>Delete</h2><p>Deleting also forgets which IdP accounts were linked to which users through it; the users stay.</p>
<p>${postButton(`${here}/delete`, "Delete connection", { className: "danger" })}</p>`,
    });
  }

  router.get("/:connectionId", (req, res) => showConnection(req, res));

  router.post("/:connectionId", async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const current = await existing(res, req.params.connectionId);
    const change = {
      name: given(one(body.name)), loginPath: given(one(body.loginPath)),
      isDefault: yesNo(body.isDefault), allowOtherDomains: yesNo(body.allowOtherDomains),
      ...(current.type === "oidc" ? {
        oidc: {
          issuerUrl: given(one(body.issuerUrl)), clientId: given(one(body.clientId)), clientSecret: given(one(body.clientSecret)),
          scopes: scopesOf(one(body.scopes)), claimMappings: claimMappingsOf(body),
        },
      } : {
        saml: {
          // The stored URL is fetched again only when it changed; new XML always replaces the metadata.
          idpMetadataUrl: given(one(body.idpMetadataUrl)) === (current.saml?.idpMetadataUrl ?? undefined) ? undefined : given(one(body.idpMetadataUrl)),
          idpMetadataXml: given(one(body.idpMetadataXml)), attributes: samlAttributesOf(body),
          trustEmail: one(body.trustEmail) === "yes", signAuthnRequests: one(body.signAuthnRequests) === "yes",
          allowSha1: one(body.allowSha1) === "yes",
          requiredSignature: given(one(body.requiredSignature)),
          // Not trimmed (a delimiter may be a space); emptied, groups are taken as sent.
          groupsDelimiter: typeof body.groupsDelimiter === "string" ? body.groupsDelimiter || null : undefined,
        },
      }),
    };
    const { error } = await attempt(async () => {
      const parsed = await connectionChangeFrom(connectionChangeSchema.parse(change), current, setup);
      return updateConnection(deps.db, deps.secretKey, orgOf(res).id, current.id, parsed, viewerOf(res).actor);
    });
    if (error) return showConnection(req, res, { error });
    res.redirect(303, `${base(res)}/${current.id}?notice=connection-saved`);
  });

  for (const [verb, enabled] of [["enable", true], ["disable", false]] as const) {
    router.post(`/:connectionId/${verb}`, (req, res) => submit(res,
      () => setConnectionEnabled(deps.db, deps.secretKey, orgOf(res).id, req.params.connectionId, enabled, viewerOf(res).actor),
      `${base(res)}/${req.params.connectionId}?notice=connection-${verb}d`,
      (message, status) => showConnection(req, res, { error: { message, status } })));
  }

  for (const [path, change, notice] of [
    ["sp-keys/next", publishNextSpKey, "sp-key-published"], ["sp-keys/promote", promoteNextSpKey, "sp-key-promoted"],
    ["sp-keys/discard", discardNextSpKey, "sp-key-discarded"],
  ] as const) {
    router.post(`/:connectionId/${path}`, (req, res) => submit(res,
      () => change(deps.db, deps.secretKey, orgOf(res).id, req.params.connectionId, viewerOf(res).actor),
      `${base(res)}/${req.params.connectionId}?notice=${notice}`, (message, status) => showConnection(req, res, { error: { message, status } })));
  }

  router.post("/:connectionId/delete", (req, res) => submit(res,
    () => deleteConnection(deps.db, orgOf(res).id, req.params.connectionId, viewerOf(res).actor),
    `${base(res)}?notice=connection-deleted`, (message, status) => showConnection(req, res, { error: { message, status } })));

  router.post("/:connectionId/scim-token", async (req, res) => {
    const connection = await existing(res, req.params.connectionId);
    const guide = guideOf(connection.preset, connection.type);
    const { token } = await createScimToken(deps.db, orgOf(res).id, { name: `${guide?.label ?? connection.name} SCIM` }, viewerOf(res).actor);
    // Shown in this response only: the value never travels in a URL and cannot be shown again.
    await showConnection(req, res, { scimToken: token });
  });

  return router;
}

function oidcFields(guide: IdpGuide, typed: Typed): Html {
  const o = guide.oidc!;
  return html`<p class="muted">From ${guide.label}: ${o.client}.</p>
${field("Issuer URL", "issuerUrl", typed.issuerUrl ?? "", { type: "url", attrs: 'required placeholder="https://"', hint: o.issuer })}
${field("Client ID", "clientId", typed.clientId ?? "", { attrs: "required" })}
${field("Client secret", "clientSecret", "", { type: "password", attrs: 'required autocomplete="off"', hint: "Stored encrypted; never shown again." })}`;
}

function samlFields(guide: IdpGuide, typed: Typed): Html {
  return html`<p class="muted">From ${guide.label}: ${guide.saml!.metadata}. Give the URL or the XML, not both.</p>
${field("IdP metadata URL", "idpMetadataUrl", typed.idpMetadataUrl ?? "", { type: "url", attrs: 'placeholder="https://"', hint: "Fetched now and again every day, so certificate rollovers arrive by themselves." })}
<label for="f-idpMetadataXml">…or IdP metadata XML</label><textarea id="f-idpMetadataXml" name="idpMetadataXml">${typed.idpMetadataXml ?? ""}</textarea>`;
}

/** Step 1 of a saved connection: each generated value under the name the IdP gives its field. */
function generatedValues(guide: IdpGuide, shown: PublicConnection): Html {
  if (shown.type === "oidc") {
    const o = guide.oidc!;
    return html`<p class="muted">In <em>${o.app}</em>:</p><table>${copyable(o.redirectUri, shown.callbackUrl, "redirect-uri")}
${copyable("Login URL (initiate login URI, if asked)", shown.loginUrl, "login-url")}</table><p class="muted">Groups: ${o.groups}.</p>`;
  }
  const s = guide.saml!;
  return html`<p class="muted">In <em>${s.app}</em>:</p><table>${copyable(s.acs, shown.callbackUrl, "acs-url")}${copyable(s.entityId, shown.spEntityId!, "sp-entity-id")}
${copyable("Single Logout URL (SLO, if the IdP offers it)", shown.saml!.spSloUrl, "slo-url")}
<tr><th>SP metadata</th><td><a href="${shown.spMetadataUrl!}" download>Download SP metadata</a> <span class="muted">(for IdPs that import it)</span></td></tr></table>
<p class="muted">Groups: ${s.groups}.</p>`;
}

function scimStep(guide: IdpGuide, connection: ConnectionRecord, baseUrl: string, here: string, token: string | undefined): Html {
  const tokens = html`<a href="${orgPath(connection.organizationId, "tokens")}">SCIM tokens</a>`;
  if (!guide.scim) return html`<p>${guide.scimNote ?? ""}</p><p class="muted">Another provisioning client can use the SCIM base URL with a token from ${tokens}.</p>
<table>${copyable("SCIM base URL", scimBaseUrl(baseUrl), "scim-base-url")}</table>`;
  const urlRow = copyable(guide.scim.baseUrl, scimBaseUrl(baseUrl, connection.preset), "scim-base-url");
  return html`<p class="muted">In <em>${guide.scim.app}</em>:</p>
${token ? newTokenBox(token, urlRow, guide.scim.token)
    : html`<table>${urlRow}<tr><th>${guide.scim.token}</th><td>${postButton(`${here}/scim-token`, `Create a SCIM token for ${guide.label}`, { className: "secondary" })}</td></tr></table>`}
<p class="muted">Existing tokens, their last use and revocation: ${tokens}.</p>`;
}

function settingsForm(connection: ConnectionRecord, shown: PublicConnection, here: string): Html {
  return html`<form method="post" action="${here}">
${field("Name", "name", connection.name, { attrs: 'required maxlength="200"' })}
${field("Login path", "loginPath", connection.loginPath, { attrs: 'required pattern="[A-Za-z0-9]{1,64}"' })}
${select("Default connection", "isDefault", [["no", "No"], ["yes", "Yes: people of a verified domain that names no connection sign in here"]], connection.isDefault ? "yes" : "no")}
${select("People outside the verified domains", "allowOtherDomains", [["no", "Refused (the organization's own people only)"],
    ["yes", "Admitted: this IdP may create accounts for other domains (partners); it never links them by email"]], connection.allowOtherDomains ? "yes" : "no")}
${connection.type === "oidc" ? html`${field("Issuer URL", "issuerUrl", shown.oidc!.issuerUrl, { type: "url", attrs: "required" })}
${field("Client ID", "clientId", shown.oidc!.clientId, { attrs: "required" })}
${field("Client secret", "clientSecret", "", { type: "password", attrs: 'autocomplete="off" placeholder="unchanged"', hint: "Leave empty to keep the stored secret." })}
<details><summary>Advanced: scopes and claim names</summary>
${field("Scopes", "scopes", shown.oidc!.scopes.join(" "), { hint: "Space-separated; openid is always requested." })}
${field("Name claim", "claimName", shown.oidc!.claimMappings.name)}${field("Email claim", "claimEmail", shown.oidc!.claimMappings.email)}
${field("Groups claim", "claimGroups", shown.oidc!.claimMappings.groups)}</details>`
    : html`${field("IdP metadata URL", "idpMetadataUrl", shown.saml!.idpMetadataUrl ?? "", { type: "url", hint: "Fetched again when you change it." })}
<label for="f-idpMetadataXml">…or new IdP metadata XML</label><textarea id="f-idpMetadataXml" name="idpMetadataXml" placeholder="Paste to replace the metadata"></textarea>
<p class="muted">IdP entity ID <code>${shown.saml!.idpEntityId}</code>; ${shown.saml!.idpCertificates.length} signing certificate(s)${shown.saml!.idpCertificates.map((c) => html`, valid until ${c.notAfter.slice(0, 10)}`)}.</p>
${select("Sign AuthnRequests", "signAuthnRequests",
    [["no", shown.saml!.idpWantsSignedRequests ? "Yes: the IdP's metadata asks for it" : "Only if the IdP's metadata asks for it"],
      ["yes", "Yes, always (an IdP set to require signed requests)"]], shown.saml!.signAuthnRequests ? "yes" : "no")}
${select("Link existing accounts by the IdP's email", "trustEmail",
    [["no", "No: only by the user key (safe for any IdP)"], ["yes", "Yes: this IdP's users cannot set their own email"]], shown.saml!.trustEmail ? "yes" : "no")}
${select("SHA-1 signatures", "allowSha1", [["no", "Refuse (SHA-1 is weak)"], ["yes", "Allow: weak, only until the IdP signs with RSA-SHA256"]], shown.saml!.allowSha1 ? "yes" : "no")}
<details><summary>Advanced: attribute names, groups, signatures</summary>
${field("Email attribute", "attrEmail", shown.saml!.attributes.email, { hint: "Without it in a response, an address in the NameID is the email." })}
${field("Name attribute", "attrName", shown.saml!.attributes.name)}
${field("First name attribute", "attrFirstName", shown.saml!.attributes.firstName)}${field("Last name attribute", "attrLastName", shown.saml!.attributes.lastName)}
${field("Groups attribute", "attrGroups", shown.saml!.attributes.groups)}
${field("Roles attribute", "attrRoles", shown.saml!.attributes.roles ?? "", { hint: "Optional: its values count as groups too (AD FS, Entra and Keycloak roles)." })}
${field("Groups delimiter", "groupsDelimiter", shown.saml!.groupsDelimiter ?? "", { attrs: 'maxlength="8"', hint: "Split each groups value on this (PingFederate sends red,green,blue); empty: values as sent." })}
${field("User key attribute", "attrUserKey", shown.saml!.attributes.userKey ?? "", { hint: "Takes the user's key from this attribute instead of the NameID (needed with a transient NameID)." })}
${select("Signatures required", "requiredSignature", [
    ["any", "Any: a valid signature on the Response or the Assertion (recommended)"], ["response", "The Response must be signed"],
    ["assertion", "The Assertion must be signed"], ["both", "Both must be signed"]], shown.saml!.requiredSignature)}
<p class="muted">Whatever is chosen, every signature present must verify with the IdP's certificates.</p></details>`}
<p><button type="submit">Save settings</button></p></form>`;
}

/**
 * The SP's certificates with their expiry, and the rotation: publish a next key (the SP metadata then lists both and
 * both decrypt), have the IdP take the new metadata or certificate, then promote it.
 */
function spCertificates(shown: PublicConnection, here: string): Html {
  const certificates = shown.saml!.spCertificates;
  const next = certificates.some((c) => c.state === "next");
  return html`<p class="muted">The IdP encrypts assertions to these and checks our signed requests with them; they are in the
<a href="${shown.spMetadataUrl!}">SP metadata</a>. AuthnRequests are ${shown.saml!.authnRequestsSigned ? "signed" : "not signed"}; sent by ${shown.saml!.idpSsoBinding}.</p>
${certificates.length ? html`<table id="sp-certificates"><tr><th>Key</th><th>Valid until</th><th>Days left</th><th>SHA-256 fingerprint</th></tr>
${certificates.map((c) => html`<tr><td>${c.state === "current" ? badge("current", "on") : badge("next")}</td><td>${c.notAfter.slice(0, 10)}</td>
<td>${c.daysToExpiry < 30 ? html`<strong>${String(c.daysToExpiry)}</strong>` : String(c.daysToExpiry)}</td><td><code>${c.fingerprintSha256}</code></td></tr>`)}</table>`
    : html`<p>This connection has no SP key yet.</p>`}
<p>${next
    ? html`${postButton(`${here}/sp-keys/promote`, "Promote next key")} ${postButton(`${here}/sp-keys/discard`, "Discard next key", { className: "secondary" })}
<span class="muted">Promote once the IdP uses the new certificate: the old key then stops decrypting.</span>`
    : html`${postButton(`${here}/sp-keys/next`, "Publish next key", { className: "secondary" })}
<span class="muted">Rotation without downtime: both keys decrypt until you promote the new one.</span>`}</p>`;
}
