/** What the dialect modules read of a request, and the small helpers they share. */
import type { ScimObject } from "../resource-input.js";

/** The parts of a request that tell which IdP sent it and what it carries; `path` is relative to /scim/v2. */
export interface RequestInfo {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** Records one rewrite, for the debug log line. */
export type Note = (text: string) => void;

export const isObject = (v: unknown): v is ScimObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** The key under which `object` holds `name`, in whatever case it was sent (RFC 7643 §2.1). */
export const keyOf = (object: ScimObject, name: string): string | undefined =>
  Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());

export function field(object: ScimObject, name: string): unknown {
  const key = keyOf(object, name);
  return key === undefined ? undefined : object[key];
}

export function userAgent(req: RequestInfo): string {
  const ua = req.headers["user-agent"];
  return (Array.isArray(ua) ? ua.join(" ") : ua ?? "").trim();
}
