import express, { Request, RequestHandler, Response } from "express";

/**
 * Reading JSON request bodies safely, for every door that takes them (SCIM, Bulk, the admin API). Each door mounts
 * its parser only after it has authenticated the caller, so nobody without a credential can make the server read or
 * parse a large body; what a door's own error mapper sees are body-parser's errors, tagged by `type`.
 */

/**
 * Deepest nesting of arrays and objects a body may have. SCIM's deepest real shape (a Bulk operation holding a
 * PATCH of a complex multi-valued attribute) is 7 levels; without a bound, 500,000 nested arrays cost a second of
 * the event loop to parse and overflow the stack of any recursive walk afterwards.
 */
export const MAX_JSON_DEPTH = 32;

export const JSON_TYPES = ["application/json", "application/scim+json", "application/*+json"];

/** A body-parser-style error: the doors map errors by `type`, as they map body-parser's own. */
export class BodyRefused extends Error {
  constructor(readonly type: "entity.too.deep" | "charset.unsupported", readonly status: number, message: string) {
    super(message);
    this.name = "BodyRefused";
  }
}

/**
 * One pass over the raw bytes, before JSON.parse builds anything: brackets outside strings open and close levels.
 * UTF-8 is scanned byte by byte safely, since no byte of a multi-byte character is an ASCII bracket or quote.
 */
function refuseDeepNesting(_req: unknown, _res: unknown, buf: Buffer, encoding: string): void {
  if (!/^utf-?8$/i.test(encoding)) throw new BodyRefused("charset.unsupported", 415, "The request body must be UTF-8 JSON.");
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const byte = buf[i];
    if (inString) {
      if (byte === 0x5c) i++; // a backslash: the next byte is escaped, whatever it is
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw new BodyRefused("entity.too.deep", 400, `The request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`);
      }
    } else if (byte === 0x5d || byte === 0x7d) {
      depth--;
    }
  }
}

/** JSON bodies up to `limit` bytes and MAX_JSON_DEPTH levels, UTF-8 only. */
export function jsonBody(limit: number): RequestHandler {
  return express.json({ limit, type: JSON_TYPES, verify: refuseDeepNesting });
}

/**
 * Whether a request carries a body at all. type-is counts any Content-Length, so `Content-Length: 0` without a
 * Content-Type (Python's requests sends it on every DELETE) would otherwise be a body of no type.
 */
export function carriesBody(req: Request): boolean {
  return req.get("Transfer-Encoding") !== undefined || Number(req.get("Content-Length") ?? 0) > 0;
}

/** The 4xx status of a body-parser failure (too large, unreadable, wrong charset), or null for any other error. */
export function bodyParserStatus(err: unknown): number | null {
  const { type, status } = (err ?? {}) as { type?: unknown; status?: unknown };
  return typeof type === "string" && typeof status === "number" && status >= 400 && status < 500 ? status : null;
}

/**
 * On an answer sent before the body was read (a request refused before authentication), close the connection:
 * otherwise Node reads and discards the rest of the body to keep the connection alive, so whoever sends megabytes
 * without a credential still gets them read.
 */
export function closeIfBodyUnread(req: Request, res: Response): void {
  if (carriesBody(req) && !req.complete) res.set("Connection", "close");
}
