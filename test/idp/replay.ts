import assert from "node:assert/strict";
import { pino } from "pino";
import { Harness, Tenant } from "../support/harness.js";

/** Shared by the replayed IdP flows: URNs, an IdP-flavoured client, and the captured "SCIM dialect" log lines. */
export const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const ops = (...operations: unknown[]) => ({ schemas: [PATCH], Operations: operations });
export const filter = (text: string) => `filter=${encodeURIComponent(text)}`;

interface LogLine { msg: string; dialect?: string; notes?: string[]; req?: { method: string; url: string } }

/** A debug-level logger whose lines are kept, to check what the dialect middleware logged for each request. */
export function captureLogs() {
  const lines: LogLine[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return {
    logger,
    /** The dialect line of the latest request to `method url`. */
    dialectOf(method: string, url: string): LogLine {
      const line = [...lines].reverse().find((l) => l.msg === "SCIM dialect" && l.req?.method === method && l.req.url === url);
      assert.ok(line, `no dialect log line for ${method} ${url}`);
      return line;
    },
  };
}

/**
 * Requests as one IdP sends them: its User-Agent on every request (none when `userAgent` is ""), and `query` (Entra's
 * `aadOptscim062020`, carried by the tenant URL) placed before the request's own parameters.
 */
export function idp(h: Harness, userAgent: string, query = "", tenant: Tenant = h.orgA) {
  const url = (path: string) => {
    if (!query) return `/scim/v2${path}`;
    const [base, params] = path.split("?");
    return `/scim/v2${base}?${query}${params ? `&${params}` : ""}`;
  };
  const client = h.as(tenant);
  const ua = <T extends { set(k: string, v: string): T }>(r: T) => r.set("User-Agent", userAgent);
  return {
    url,
    get: (path: string) => ua(client.get(url(path))),
    delete: (path: string) => ua(client.delete(url(path))),
    post: (path: string, body: unknown) => ua(client.post(url(path), body)),
    put: (path: string, body: unknown) => ua(client.put(url(path), body)),
    patch: (path: string, body: unknown) => ua(client.patch(url(path), body)),
  };
}

export const ids = (list: { value: string }[] | undefined) => (list ?? []).map((m) => m.value).sort();
