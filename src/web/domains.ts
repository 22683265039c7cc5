import { Request, Response, Router } from "express";
import { listConnections } from "../identity/connections.js";
import { SYSTEM_DNS } from "../identity/dns-txt.js";
import {
  checkDomain, claimDomain, deleteDomain, DomainRecord, listDomains, markDomainVerified, setDomainConnection,
} from "../identity/domains.js";
import { one, orgOf, orgPath, submit, viewerOf, WebDeps, WebError } from "./context.js";
import { badge, copyable, field, html, postButton, select } from "./html.js";
import { errorBox, sendPage, when } from "./layout.js";

/**
 * Domains: claim one, publish its TXT record, verify. Verified domains send people who type their email at `/login`
 * to this organization's connection, and bound whom its IdPs may sign in. Operators may mark one verified by hand.
 */

export function domainsRouter(deps: WebDeps): Router {
  const router = Router({ mergeParams: true });
  const dns = deps.dns ?? SYSTEM_DNS;
  const here = (res: Response) => orgPath(orgOf(res).id, "domains");

  async function show(req: Request, res: Response, extra: { error?: string; status?: number } = {}) {
    const organizationId = orgOf(res).id;
    const [domains, connections] = await Promise.all([listDomains(deps.db, organizationId), listConnections(deps.db, deps.secretKey, organizationId)]);
    const base = here(res);
    const operator = viewerOf(res).kind === "operator";
    const state = (d: DomainRecord) => d.verified
      ? html`${badge("verified", "on")} <span class="muted">${d.verifiedBy === "operator" ? "by an operator" : "by DNS"}, ${when(d.verifiedAt!)}</span>`
      : html`${badge("not verified", "off")}${d.checkError ? html`<br><span class="muted">${d.checkError}</span>` : ""}`;
    const routing = (d: DomainRecord) => html`<form class="inline" method="post" action="${base}/${d.id}/connection">
${select(`Connection for ${d.name}`, `connectionId-${d.id}`, [["", "The default connection"], ...connections.map((c): [string, string] => [c.id, c.name])], d.connectionId ?? "")}
<button type="submit" class="secondary">Save</button></form>`;
    sendPage(req, res, {
      section: "domains", title: "Domains", status: extra.status,
      body: html`<h1>Domains</h1>
<p>People who type their email at <code>${deps.baseUrl}/login</code> are sent to this organization's single sign-on when its domain is verified here.
Once a domain is verified, an identity provider of this organization may link accounts by email and create accounts only for addresses in its verified domains
(a connection can be allowed to admit other domains, for partners).</p>${errorBox(extra.error)}
${domains.length ? domains.map((d) => html`<section class="domain" id="domain-${d.name}"><h2>${d.name} ${state(d)}</h2>
${d.verified ? "" : html`<p>Publish this TXT record at your DNS provider, then press Verify (it is also checked daily):</p>`}
<table>${copyable("Record name", d.challengeName, `challenge-name-${d.id}`)}<tr><th>Type</th><td><code>TXT</code></td></tr>${copyable("Value", d.token, `challenge-token-${d.id}`)}</table>
<p>${postButton(`${base}/${d.id}/verify`, d.verified ? "Check again" : "Verify")}
${operator && !d.verified ? postButton(`${base}/${d.id}/mark-verified`, "Mark verified (operator)", { className: "secondary" }) : ""}
${postButton(`${base}/${d.id}/delete`, "Remove", { className: "danger" })}</p>
${connections.length > 1 ? routing(d) : ""}</section>`) : html`<p>No domain yet.</p>`}
<h2>Add a domain</h2><form method="post" action="${base}"><div class="row"><div>${field("Domain", "name", "", { attrs: 'required maxlength="253" placeholder="example.com"' })}</div>
<button type="submit">Add domain</button></div></form>`,
    });
  }

  const again = (req: Request, res: Response) => (error: string, status: number) => show(req, res, { error, status });

  router.get("/", (req, res) => show(req, res));

  router.post("/", (req, res) => submit(res,
    () => claimDomain(deps.db, orgOf(res).id, one(req.body.name), viewerOf(res).actor), `${here(res)}?notice=domain-claimed`, again(req, res)));

  router.post("/:domainId/verify", (req, res) => submit(res,
    () => checkDomain(deps.db, orgOf(res).id, req.params.domainId, dns, viewerOf(res).actor), `${here(res)}?notice=domain-checked`, again(req, res)));

  router.post("/:domainId/mark-verified", (req, res) => {
    if (viewerOf(res).kind !== "operator") throw new WebError(403, "Only an instance operator may mark a domain verified without DNS.");
    return submit(res, () => markDomainVerified(deps.db, orgOf(res).id, req.params.domainId, viewerOf(res).actor), `${here(res)}?notice=domain-checked`, again(req, res));
  });

  router.post("/:domainId/connection", (req, res) => submit(res,
    () => setDomainConnection(deps.db, orgOf(res).id, req.params.domainId, one(req.body[`connectionId-${req.params.domainId}`]) || null, viewerOf(res).actor),
    `${here(res)}?notice=domain-routed`, again(req, res)));

  router.post("/:domainId/delete", (req, res) => submit(res,
    () => deleteDomain(deps.db, orgOf(res).id, req.params.domainId, viewerOf(res).actor), `${here(res)}?notice=domain-deleted`, again(req, res)));

  return router;
}
