import { z } from "zod";
import { listAuditEvents } from "../../identity/audit.js";
import { at, paging } from "../schemas.js";
import { AdminDeps, orgRoute, Route } from "../routing.js";

/** The organization's audit log, oldest first. */

const eventSchema = z.object({
  id: z.number().int(), at, actorType: z.string(), actorId: z.string().nullable(), action: z.string(), targetType: z.string(),
  targetId: z.string().nullable(), summary: z.record(z.string(), z.unknown()),
}).meta({ id: "AuditEvent" });

const TAG = "Audit events";
const word = z.string().trim().min(1).max(64);

export function auditEventRoutes(deps: AdminDeps): Route[] {
  const { db } = deps;
  return [
    orgRoute("admin", {
      method: "get", path: "/audit-events", tag: TAG,
      summary: "Audit events, oldest first; the log is not counted, so a page says where the next one starts (nextOffset)",
      query: z.object({
        userId: word.optional().meta({ description: "Events about this user (targetType user)" }),
        targetType: word.optional(), targetId: word.optional(), actorType: word.optional(), actorId: word.optional(),
        action: word.optional().meta({ description: "e.g. user.deactivated" }),
        since: z.iso.datetime().optional().meta({ description: "From this time (inclusive)" }),
        until: z.iso.datetime().optional().meta({ description: "Until this time (exclusive)" }),
        ...paging,
      }),
      response: z.object({ items: z.array(eventSchema), offset: z.number().int(), limit: z.number().int(), nextOffset: z.number().int().nullable() }),
      async handle({ query, caller }) {
        const { userId, offset, limit, since, until, ...filter } = query;
        const byUser = userId ? { targetType: "user", targetId: userId } : {};
        // One row more than the page, to tell whether another page follows. Times are compared as stored (UTC, ms).
        const rows = await listAuditEvents(db.dataSource.manager, caller.organizationId, {
          ...filter, ...byUser, since: since && new Date(since).toISOString(), until: until && new Date(until).toISOString(), offset, limit: limit + 1,
        });
        return { items: rows.slice(0, limit), offset, limit, nextOffset: rows.length > limit ? offset + limit : null };
      },
    }, db),
  ];
}
