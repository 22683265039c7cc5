import { z } from "zod";
import { eventTypes, isEventType } from "../../identity/events/catalog.js";
import { EventScope, LifecycleEvent, listEventsAfter } from "../../identity/events/outbox.js";
import { at } from "../schemas.js";
import { AdminDeps, orgRoute, Route, route } from "../routing.js";
import { ApiProblem } from "../problems.js";

/**
 * The lifecycle-event feed: what an app syncs from without webhooks, and catches up with after downtime. Ordered
 * and durable (the outbox, identity/events/outbox.ts), paged by cursor, kept EVENT_RETENTION_DAYS.
 */

export const eventSchema = z.object({
  id: z.string().meta({ description: "Unique; also the webhook-id of its webhook deliveries, to deduplicate on" }),
  type: z.enum(eventTypes),
  timestamp: at,
  organizationId: z.string().nullable(),
  actor: z.object({ type: z.string(), id: z.string().nullable() }).meta({ description: "Who made the change: scim_token, admin, user, sso (a login), system" }),
  requestId: z.string().nullable().meta({ description: "The X-Request-Id of the request that made the change" }),
  data: z.record(z.string(), z.unknown()).meta({
    description: "The resource as the admin API shows it after the change (only its id once deleted), and `change`: what changed",
  }),
  cursor: z.string().meta({ description: "Pass as `after` to read the events that follow this one" }),
}).meta({ id: "LifecycleEvent" });

const pageSchema = z.object({
  items: z.array(eventSchema),
  cursor: z.string().nullable().meta({ description: "Where to continue (`after`): the last item's cursor, or the `after` given when there was none" }),
  hasMore: z.boolean(),
}).meta({ id: "EventPage" });

const query = z.object({
  after: z.string().max(40).optional().meta({ description: "The cursor of the last event handled; omitted, from the oldest event kept" }),
  types: z.string().max(2000).optional().meta({ description: `Comma-separated event types (all when omitted): ${eventTypes.join(", ")}` }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const TAG = "Events";

async function page(deps: AdminDeps, scope: EventScope, q: z.output<typeof query>) {
  const types = q.types ? q.types.split(",").map((t) => t.trim()).filter(Boolean) : [];
  const unknown = types.filter((t) => !isEventType(t));
  if (unknown.length) throw new ApiProblem("bad_request", `Unknown event type ${unknown.join(", ")}; known: ${eventTypes.join(", ")}.`);
  const rows: LifecycleEvent[] = await listEventsAfter(deps.db.dataSource.manager, scope, q.after ?? null, types, q.limit + 1);
  const items = rows.slice(0, q.limit);
  return { items, cursor: items.at(-1)?.cursor ?? q.after ?? null, hasMore: rows.length > q.limit };
}

export function eventRoutes(deps: AdminDeps): Route[] {
  const spec = { method: "get", tag: TAG, query, response: pageSchema } as const;
  return [
    orgRoute("admin", {
      ...spec, path: "/events", summary: "The organization's lifecycle events after a cursor, oldest first",
      handle: ({ query: q, caller }) => page(deps, { organizationId: caller.organizationId }, q),
    }, deps.db),
    route("admin", {
      ...spec, path: "/events",
      summary: "Lifecycle events after a cursor, oldest first: the caller's organization's, or for an operator every organization's",
      handle: ({ query: q, caller }) => page(deps, caller.organizationId ? { organizationId: caller.organizationId } : "instance", q),
    }),
  ];
}
