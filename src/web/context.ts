import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Logger } from "pino";
import { Organization } from "../../entities/index.js";
import type { Database } from "../db/database.js";
import { IdentityError } from "../identity/errors.js";
import { AdminContext, isSameOrigin, mayUse } from "../admin/auth.js";
import type { SetupCapability } from "../identity/setup-links.js";
import type { DnsOptions } from "../identity/dns-txt.js";
import type { Brand } from "../config.js";

/** What the console's pages need from the app. */
export interface WebDeps {
  db: Database;
  /** Public origin (no trailing slash): the URLs shown to paste into an IdP and the origin POSTs must come from. */
  baseUrl: string;
  logger: Logger;
  secretKey: Buffer;
  /** Lets a connection point at an http:// or loopback IdP (tests, local development). */
  allowInsecureIdp?: boolean;
  /** DNS_SERVERS and DNS_TIMEOUT_MS: where domain verification looks up its TXT records; the system's when left out. */
  dns?: DnsOptions;
  /** The vendor's brand on the setup portal; Rollcall's when left out. */
  brand?: Brand;
}

/**
 * Who is looking at the console: the admin API's caller (src/admin/auth.ts), resolved from the session. An operator
 * sees every organization; an org admin (an admin account, or an SSO user whose team grants the admin role) only its
 * own; a setup link only its organization's pages that its capabilities open (SETUP_SECTIONS).
 */
export type Viewer = AdminContext;

/** The console's page areas, one module each. */
export type Section = "overview" | "connections" | "domains" | "teams" | "users" | "groups" | "tokens" | "audit" | "webhooks" | "setup-links";

/** Where a setup link lands its holder: the setup portal (setup-portal.ts). */
export const PORTAL_PATH = "/setup";

/** The only areas a setup-link session may open, each with the capability it needs. */
export const SETUP_SECTIONS: Partial<Record<Section, SetupCapability>> = { connections: "sso", domains: "domains", tokens: "scim", teams: "mappings" };

/** Whether the viewer may open a console area: an admin every one, a setup link those its capabilities open. */
export function mayOpen(viewer: Viewer, section: Section): boolean {
  if (viewer.kind !== "setup_link") return true;
  const needs = SETUP_SECTIONS[section];
  return needs !== undefined && mayUse(viewer, needs);
}

/** A refusal or miss the console shows as a page with this status. */
export class WebError extends Error {
  constructor(readonly status: 400 | 403 | 404 | 409, message: string) {
    super(message);
    this.name = "WebError";
  }
}

export const viewerOf = (res: Response): Viewer => res.locals.admin as Viewer;
export const orgOf = (res: Response): Organization => res.locals.organization as Organization;

/** `/console/orgs/<id>/<rest>`: every organization-scoped page lives under its organization's id. */
export const orgPath = (organizationId: string, ...rest: string[]) =>
  ["/console/orgs", encodeURIComponent(organizationId), ...rest.map(encodeURIComponent)].join("/");

/** A form field as one string (a repeated field keeps its last value). */
export function one(value: unknown): string {
  if (Array.isArray(value)) return one(value.at(-1));
  return typeof value === "string" ? value : "";
}

/** A form field as a list of strings (a field that may repeat: one row of a table per value). */
export function many(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(one);
  return typeof value === "string" ? [value] : [];
}

/**
 * Cross-site request forgery: a POST authenticated by the session cookie must come from one of our own pages, by the
 * admin API's rule (`Origin` is BASE_URL's, or `Sec-Fetch-Site: same-origin` without one); a request with neither is
 * refused too. Unlike the API, a bearer token exempts nothing: the console's forms never send one.
 */
export function sameOriginPosts(baseUrl: string): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (req.method === "GET" || req.method === "HEAD" || isSameOrigin(req, baseUrl)) return next();
    next(new WebError(403, "This form was not sent from one of this server's pages, so it was refused. Reload the page and try again."));
  };
}

/**
 * Runs a form's change: on success it redirects (303) to `then`; when the identity core refuses the input it
 * renders the form again with the reason, so nothing the admin typed is lost.
 */
export async function submit(
  res: Response, change: () => Promise<unknown>, then: string, again: (error: string, status: number) => Promise<void>,
): Promise<void> {
  try {
    await change();
  } catch (err) {
    const refused = refusal(err);
    if (!refused) throw err;
    await again(refused.message, refused.status);
    return;
  }
  res.redirect(303, then);
}

/** An error the admin can fix by changing the form (as opposed to a bug or an outage). */
export function refusal(err: unknown): { status: number; message: string } | null {
  if (err instanceof IdentityError && err.reason !== "notFound") return { status: err.reason === "invalid" ? 400 : 409, message: err.message };
  if (err instanceof WebError && (err.status === 400 || err.status === 409)) return { status: err.status, message: err.message };
  return null;
}
