import { z } from "zod";

/** Schema pieces every resource uses, so that ids, times, paging and lists look the same across the API. */

/** Ids are UUIDs; anything else names nothing (the route answers 404). */
export const id = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i).meta({ format: "uuid" });

/** The path parameters of a route, all ids. */
export const ids = <K extends string>(...names: K[]) => z.object(Object.fromEntries(names.map((n) => [n, id])) as Record<K, typeof id>);

/** A stored timestamp (ISO-8601, UTC). */
export const at = z.string().meta({ format: "date-time" });

/** A query parameter `true` or `false`. */
export const queryBoolean = z.enum(["true", "false"]).transform((v) => v === "true");

export const MAX_PAGE = 200;

/** `offset` (from 0) and `limit` (1 to 200, 50 by default) of a paged list. */
export const paging = {
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
};

/** A whole list. */
export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

/** One page of a longer list: `total` matches, from `offset`, at most `limit`. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), offset: z.number().int(), limit: z.number().int() });

/** A display name: trimmed, 1 to 200 characters. */
export const label = z.string().trim().min(1).max(200);

/** What is shown of a secret handed out once (SCIM token, API token, setup link): everything but its value. */
export const secretFields = {
  id: z.string(),
  name: z.string(),
  prefix: z.string().meta({ description: "The secret's first characters, to recognise it" }),
  createdAt: at,
  revokedAt: at.nullable(),
};
