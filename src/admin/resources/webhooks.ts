import { z } from "zod";
import { eventTypes } from "../../identity/events/catalog.js";
import {
  createWebhookEndpoint, deleteWebhookEndpoint, getWebhookEndpoint, listDeliveries, listWebhookEndpoints, resendDelivery,
  updateWebhookEndpoint, WebhookEndpointInput,
} from "../../identity/webhooks.js";
import { at, id, ids, listOf } from "../schemas.js";
import { AdminDeps, orgRoute, Route, route } from "../routing.js";

/**
 * Webhook endpoints and their delivery logs: an organization's (org admins and operators), and instance-wide ones
 * that receive every organization's events (operators, under /webhooks). The same routes on both; an endpoint is
 * reached only through its own scope.
 */

const endpointSchema = z.object({
  id: z.string(), organizationId: z.string().nullable(), url: z.string(), description: z.string().nullable(),
  eventTypes: z.array(z.enum(eventTypes)).meta({ description: "The event types sent; empty: all of them" }),
  enabled: z.boolean(), disabledReason: z.string().nullable().meta({ description: "Why it was disabled: by an admin, 410 Gone, or ~3 days of failures" }),
  createdAt: at, updatedAt: at,
}).meta({ id: "WebhookEndpoint" });

const deliverySchema = z.object({
  id: z.number().int(), eventId: z.string(), eventType: z.string().nullable(),
  status: z.enum(["pending", "delivered", "failed"]), attempts: z.number().int(), nextAttemptAt: at.nullable(), lastAttemptAt: at.nullable(),
  responseStatus: z.number().int().nullable().meta({ description: "The receiver's HTTP status at the last attempt" }),
  lastError: z.string().nullable(), createdAt: at,
}).meta({ id: "WebhookDelivery" });

const url = z.string().trim().min(1).max(2048).meta({ description: "https:// on a public address" });
const types = z.array(z.enum(eventTypes)).max(eventTypes.length);
const description = z.string().trim().max(200).nullable();
const TAG = "Webhooks";
const endpointIds = ids("webhookId");

type Define = (spec: Parameters<typeof route>[1]) => Route;

function webhookRoutesIn(deps: AdminDeps, define: Define, scopeName: string): Route[] {
  const { db, secretKey } = deps;
  const options = { allowPrivateUrls: deps.allowInsecureIdp };
  return [
    define({
      method: "get", path: "/webhooks", tag: TAG, summary: `${scopeName} webhook endpoints`, response: listOf(endpointSchema),
      handle: async ({ caller }) => ({ items: await listWebhookEndpoints(db, caller.organizationId) }),
    }),
    define({
      method: "post", path: "/webhooks", tag: TAG, status: 201,
      summary: `Create a ${scopeName.toLowerCase()} webhook endpoint: the answer is the only time its signing secret is shown`,
      body: z.strictObject({ url, description: description.optional(), eventTypes: types.optional() }),
      response: endpointSchema.extend({ secret: z.string().meta({ description: "whsec_…: verify deliveries with it (Standard Webhooks); shown once" }) }),
      async handle({ body, caller }) {
        const { endpoint, secret } = await createWebhookEndpoint(db, secretKey, caller.organizationId, body as WebhookEndpointInput, caller.actor, options);
        return { ...endpoint, secret };
      },
    }),
    define({
      method: "get", path: "/webhooks/:webhookId", tag: TAG, summary: "A webhook endpoint", params: endpointIds, response: endpointSchema,
      handle: ({ params, caller }) => getWebhookEndpoint(db, caller.organizationId, (params as { webhookId: string }).webhookId),
    }),
    define({
      method: "patch", path: "/webhooks/:webhookId", tag: TAG,
      summary: "Change a webhook endpoint; `enabled: true` turns a disabled one back on, and its pending deliveries go out again",
      params: endpointIds,
      body: z.strictObject({ url: url.optional(), description: description.optional(), eventTypes: types.optional(), enabled: z.boolean().optional() }),
      response: endpointSchema,
      handle: ({ params, body, caller }) =>
        updateWebhookEndpoint(db, caller.organizationId, (params as { webhookId: string }).webhookId, body as object, caller.actor, options),
    }),
    define({
      method: "delete", path: "/webhooks/:webhookId", tag: TAG, summary: "Delete a webhook endpoint and its delivery log",
      params: endpointIds, response: null,
      handle: ({ params, caller }) => deleteWebhookEndpoint(db, caller.organizationId, (params as { webhookId: string }).webhookId, caller.actor),
    }),
    define({
      method: "get", path: "/webhooks/:webhookId/deliveries", tag: TAG, summary: "The endpoint's delivery log, newest first",
      params: endpointIds,
      query: z.object({
        status: z.enum(["pending", "delivered", "failed"]).optional(),
        beforeId: z.coerce.number().int().min(1).optional().meta({ description: "Older than this delivery (the last id of the previous page)" }),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
      response: listOf(deliverySchema),
      handle: async ({ params, query, caller }) => ({
        items: await listDeliveries(db, caller.organizationId, (params as { webhookId: string }).webhookId, query as { limit: number }),
      }),
    }),
    define({
      method: "post", path: "/webhooks/:webhookId/deliveries/:deliveryId/resend", tag: TAG, status: 201,
      summary: "Send a delivery's event again, as a new delivery", params: z.object({ webhookId: id, deliveryId: z.coerce.number().int().min(1) }),
      response: deliverySchema,
      handle: ({ params, caller }) => {
        const p = params as { webhookId: string; deliveryId: number };
        return resendDelivery(db, caller.organizationId, p.webhookId, p.deliveryId, caller.actor);
      },
    }),
  ];
}

export function webhookRoutes(deps: AdminDeps): Route[] {
  return [
    ...webhookRoutesIn(deps, (spec) => orgRoute("admin", spec as Parameters<typeof orgRoute>[1], deps.db), "The organization's"),
    ...webhookRoutesIn(deps, (spec) => route("operator", spec), "Instance-wide"),
  ];
}
