import { Request, Response } from "express";
import { ScimError } from "./errors.js";

/** RFC 7644 §3.14: the resource version is the ETag, weak because the representation varies with projection. */
export const etagOf = (version: number) => `W/"${version}"`;

/**
 * The version an If-Match header demands, undefined when there is none or it is `*` (any existing resource).
 * A value that is not one of our ETags can never match: 412 straight away.
 */
export const expectedVersion = (req: Request): number | undefined => versionOfIfMatch(req.get("If-Match"));

/** An If-Match value (the header, or a Bulk operation's `version`) → the version it demands; see expectedVersion. */
export function versionOfIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === "*") return undefined;
  const match = /^\s*(?:W\/)?"(\d+)"\s*$/.exec(header);
  if (!match) throw new ScimError(412, null, `If-Match ${header} does not match the current version`);
  return Number(match[1]);
}

/** Sends 304 when the client already has this version (If-None-Match); returns whether it did. */
export function notModified(req: Request, res: Response, version: number): boolean {
  const header = req.get("If-None-Match");
  if (!header) return false;
  const tags = header.split(",").map((t) => t.trim());
  if (!tags.includes("*") && !tags.some((t) => t.replace(/^W\//, "") === `"${version}"`)) return false;
  res.status(304).set("ETag", etagOf(version)).end();
  return true;
}
