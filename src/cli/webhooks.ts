import { Command } from "commander";
import { listEventsAfter } from "../identity/events/outbox.js";
import {
  createWebhookEndpoint, deleteWebhookEndpoint, listDeliveries, listWebhookEndpoints, resendDelivery, updateWebhookEndpoint,
} from "../identity/webhooks.js";
import { actor, list, organizationId, print, say, withDatabase } from "./context.js";
import { Database } from "../db/database.js";

/** `--org <slug>` names an organization's endpoints; without it, the instance-wide ones (every organization's events). */
const scopeOf = (db: Database, org?: string) => (org ? organizationId(db, org) : Promise.resolve(null));
const ORG = "organization (omit for instance-wide endpoints, which receive every organization's events)";

export function webhookCommands(program: Command) {
  const webhook = program.command("webhook").description("webhook endpoints and their deliveries");
  webhook.command("create <url>").option("--org <slug>", ORG).option("--types <list>", "event types, comma-separated (default: all)")
    .option("--description <text>", "what the endpoint is")
    .description("create an endpoint; its signing secret is printed once")
    .action((url: string, opts: { org?: string; types?: string; description?: string }) => withDatabase(async (db, config) => {
      const { endpoint, secret } = await createWebhookEndpoint(db, config.secretKey, await scopeOf(db, opts.org),
        { url, eventTypes: opts.types ? list(opts.types) : [], description: opts.description ?? null }, actor, { allowPrivateUrls: config.allowInsecureIdp });
      say(`endpoint id: ${endpoint.id}\nsigning secret (shown once): ${secret}`);
    }));
  webhook.command("list").option("--org <slug>", ORG).description("list endpoints")
    .action((opts: { org?: string }) => withDatabase(async (db) =>
      print((await listWebhookEndpoints(db, await scopeOf(db, opts.org))).map((e) => ({ ...e, eventTypes: e.eventTypes.join(",") || "(all)" })))));
  for (const [name, enabled] of [["enable", true], ["disable", false]] as const) {
    webhook.command(`${name} <endpointId>`).option("--org <slug>", ORG).description(`${name} an endpoint`)
      .action((id: string, opts: { org?: string }) => withDatabase(async (db, config) => {
        await updateWebhookEndpoint(db, await scopeOf(db, opts.org), id, { enabled }, actor, { allowPrivateUrls: config.allowInsecureIdp });
        say(`${name}d ${id}`);
      }));
  }
  webhook.command("delete <endpointId>").option("--org <slug>", ORG).description("delete an endpoint and its delivery log")
    .action((id: string, opts: { org?: string }) => withDatabase(async (db) => {
      await deleteWebhookEndpoint(db, await scopeOf(db, opts.org), id, actor);
      say(`deleted ${id}`);
    }));
  webhook.command("deliveries <endpointId>").option("--org <slug>", ORG).option("--status <status>", "pending, delivered or failed")
    .description("the endpoint's latest deliveries")
    .action((id: string, opts: { org?: string; status?: string }) => withDatabase(async (db) =>
      print(await listDeliveries(db, await scopeOf(db, opts.org), id, { status: opts.status, limit: 50 }))));
  webhook.command("resend <endpointId> <deliveryId>").option("--org <slug>", ORG).description("send a delivery's event again")
    .action((id: string, deliveryId: string, opts: { org?: string }) => withDatabase(async (db) => {
      const delivery = await resendDelivery(db, await scopeOf(db, opts.org), id, Number(deliveryId), actor);
      say(`queued delivery ${delivery.id}`);
    }));

  program.command("events").requiredOption("--org <slug>", "organization").option("--after <cursor>", "after this event's cursor")
    .option("--types <list>", "event types, comma-separated").option("--limit <n>", "at most this many", "50")
    .description("lifecycle events, oldest first, with the cursor to continue from")
    .action((opts: { org: string; after?: string; types?: string; limit: string }) => withDatabase(async (db) => {
      const events = await listEventsAfter(db.dataSource.manager, { organizationId: await organizationId(db, opts.org) }, opts.after ?? null,
        opts.types ? list(opts.types) : [], Number(opts.limit));
      print(events.map(({ data, subjectId: _s, organizationId: _o, ...e }) => ({ ...e, actor: `${e.actor.type}:${e.actor.id ?? ""}`, id: data.id ?? "" })));
    }));
}
