import { Request, Response, Router } from "express";
import { listDeliveries, listWebhookEndpoints, resendDelivery, updateWebhookEndpoint } from "../identity/webhooks.js";
import { orgOf, orgPath, submit, viewerOf, WebDeps } from "./context.js";
import { badge, html, postButton } from "./html.js";
import { errorBox, sendPage, when } from "./layout.js";

/**
 * The organization's webhook endpoints, each with its latest deliveries (status, attempts, the receiver's answer) and
 * a resend button; a disabled endpoint says why and can be turned back on. Endpoints are created with the admin API
 * or the CLI, which show the signing secret once (docs/events.md).
 */

const RECENT = 10;

export function webhooksRouter(deps: WebDeps): Router {
  const router = Router({ mergeParams: true });
  const here = (res: Response) => orgPath(orgOf(res).id, "webhooks");

  async function show(req: Request, res: Response, extra: { error?: string; status?: number } = {}) {
    const organizationId = orgOf(res).id;
    const endpoints = await listWebhookEndpoints(deps.db, organizationId);
    const recent = await Promise.all(endpoints.map((e) => listDeliveries(deps.db, organizationId, e.id, { limit: RECENT })));
    const base = here(res);
    sendPage(req, res, {
      section: "webhooks", title: "Webhooks", status: extra.status,
      body: html`<h1>Webhooks</h1>
<p>Lifecycle events (users provisioned, deactivated, moved between teams…) are POSTed to these endpoints, signed per
Standard Webhooks. Create one with <code>POST /api/v1/organizations/${organizationId}/webhooks</code> or
<code>npm run cli -- webhook create &lt;url&gt; --org ${orgOf(res).slug}</code>.</p>${errorBox(extra.error)}
${endpoints.length ? endpoints.map((e, i) => html`<h2><code>${e.url}</code> ${e.enabled ? badge("enabled", "on") : badge("disabled", "off")}</h2>
<p class="muted">${e.eventTypes.length ? e.eventTypes.join(", ") : "every event type"}${e.description ? html` · ${e.description}` : ""}</p>
${e.enabled ? "" : html`<p>${e.disabledReason ?? ""} ${postButton(`${base}/${e.id}/enable`, "Enable")}</p>`}
${recent[i].length ? html`<table><tr><th>Event</th><th>Created</th><th>Status</th><th>Attempts</th><th>Last answer</th><th>Next attempt</th><th></th></tr>
${recent[i].map((d) => html`<tr><td><code>${d.eventType ?? d.eventId}</code></td><td>${when(d.createdAt)}</td>
<td>${badge(d.status, d.status === "delivered" ? "on" : d.status === "failed" ? "off" : "")}</td><td>${d.attempts}</td>
<td>${d.responseStatus ?? ""} ${d.lastError ? html`<span class="muted">${d.lastError}</span>` : ""}</td><td>${when(d.nextAttemptAt)}</td>
<td>${postButton(`${base}/${e.id}/deliveries/${d.id}/resend`, "Resend")}</td></tr>`)}</table>` : html`<p>No deliveries yet.</p>`}`)
    : html`<p>No webhook endpoint yet.</p>`}`,
    });
  }

  router.get("/", (req, res) => show(req, res));
  router.post("/:endpointId/deliveries/:deliveryId/resend", (req, res) => submit(res,
    () => resendDelivery(deps.db, orgOf(res).id, req.params.endpointId, Number(req.params.deliveryId), viewerOf(res).actor),
    `${here(res)}?notice=delivery-resent`, (error, status) => show(req, res, { error, status })));
  router.post("/:endpointId/enable", (req, res) => submit(res,
    () => updateWebhookEndpoint(deps.db, orgOf(res).id, req.params.endpointId, { enabled: true }, viewerOf(res).actor, { allowPrivateUrls: deps.allowInsecureIdp ?? false }),
    `${here(res)}?notice=webhook-enabled`, (error, status) => show(req, res, { error, status })));
  return router;
}
