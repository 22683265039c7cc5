import { Request, Response } from "express";
import { Logger } from "pino";
import { z } from "zod";
import { Database } from "../db/database.js";
import { Access, AdminContext, adminOf, organizationFor, requireAdmin } from "./auth.js";
import { ApiProblem } from "./problems.js";
import type { DnsOptions } from "../identity/dns-txt.js";
import type { SetupCapability } from "../identity/setup-links.js";

/**
 * The admin API as data: each resource module returns its routes, each with the zod schemas of its path, query,
 * body and response. The router mounts them through `run` (authentication, the organization check, validation,
 * response shaping) and the OpenAPI document is generated from the same list, so neither can drift from the other.
 */

export interface AdminDeps {
  db: Database;
  /** Public origin, no trailing slash: URLs handed to admins (login, callback, SCIM base, setup links) and the CSRF check. */
  baseUrl: string;
  logger: Logger;
  secretKey: Buffer;
  /** Lets connections fetch IdP metadata over http:// or from private addresses (tests, local development). */
  allowInsecureIdp: boolean;
  /** DNS_SERVERS and DNS_TIMEOUT_MS: where domain verification looks up its TXT records; the system's when left out. */
  dns?: DnsOptions;
}

export type Method = "get" | "post" | "put" | "patch" | "delete";

/** What a handler receives: the validated input and the caller. */
export interface Call<P, Q, B, C> {
  params: P;
  query: Q;
  body: B;
  caller: C;
  req: Request;
  res: Response;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;
type Result<R> = R extends z.ZodType ? z.input<R> : void;

interface Spec<P, Q, B, R, C> {
  method: Method;
  /** Express path relative to /api/v1 (or to /api/v1/organizations/:orgId for organization routes). */
  path: string;
  summary: string;
  /** Groups the route in the OpenAPI document, by resource. */
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** The schema the answer is shaped by (unknown keys dropped); null answers 204 with no body. */
  response: R;
  /** 200 unless set (201 for creations); 204 when there is no response schema. */
  status?: number;
  handle(call: Call<Parsed<P>, Parsed<Q>, Parsed<B>, C>): Promise<Result<R>>;
}

export interface Route {
  method: Method;
  /** Full path relative to /api/v1, Express syntax. */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  params: z.ZodObject | null;
  query: z.ZodObject | null;
  body: z.ZodType | null;
  response: z.ZodType | null;
  status: number;
  run(req: Request, res: Response): Promise<void>;
}

type Shape = z.ZodObject | undefined;

/** Path parameters that do not parse name nothing that exists: 404, like an id that is not there. */
function parsedParams(schema: z.ZodObject | null, params: unknown) {
  if (!schema) return undefined;
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw new ApiProblem("not_found", "No such resource: an id in the path is not valid.");
  return parsed.data;
}

/** The answer, shaped by its schema; a handler returning something else is a bug (500), not the caller's fault. */
function shaped(schema: z.ZodType, value: unknown): unknown {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`admin API response does not match its schema: ${parsed.error.message}`);
  return parsed.data;
}

function define<C>(
  access: Access, prefix: string, spec: Spec<Shape, Shape, z.ZodType | undefined, z.ZodType | null, C>,
  callerOf: (req: Request, res: Response) => Promise<C>,
): Route {
  const route: Route = {
    method: spec.method, path: prefix + spec.path, summary: spec.summary, tag: spec.tag, access,
    params: spec.params ?? null, query: spec.query ?? null, body: spec.body ?? null, response: spec.response,
    status: spec.response ? spec.status ?? 200 : 204,
    async run(req, res) {
      // In this order: who is calling, whether the organization is theirs, then the input. A request for another
      // organization's data is a 404 whatever its body, and an unauthenticated one learns nothing about either.
      const caller = await callerOf(req, res);
      const params = parsedParams(route.params, req.params);
      const query = route.query?.parse(req.query ?? {});
      const body = route.body?.parse(req.body ?? {});
      const result = await spec.handle({ params, query, body, caller, req, res } as Parameters<typeof spec.handle>[0]);
      res.set("Cache-Control", "no-store");
      if (!route.response) return void res.status(route.status).end();
      res.status(route.status).json(shaped(route.response, result));
    },
  };
  return route;
}

/** A route anyone may call (login, setup-link redemption, the OpenAPI document); the caller may be null. */
export function publicRoute<P extends Shape, Q extends Shape, B extends z.ZodType | undefined, R extends z.ZodType | null>(
  spec: Spec<P, Q, B, R, AdminContext | null>,
): Route {
  return define("public", "", spec as Spec<Shape, Shape, z.ZodType | undefined, z.ZodType | null, AdminContext | null>, async (_req, res) => adminOf(res));
}

/** A route outside any organization (organizations themselves, personal API tokens, the session). */
export function route<P extends Shape, Q extends Shape, B extends z.ZodType | undefined, R extends z.ZodType | null>(
  access: Exclude<Access, "public">, spec: Spec<P, Q, B, R, AdminContext>,
): Route {
  return define(access, "", spec as Spec<Shape, Shape, z.ZodType | undefined, z.ZodType | null, AdminContext>, async (_req, res) => requireAdmin(res, access));
}

/** The caller of an organization route, with the organization it is allowed to act on. */
export type OrganizationCaller = AdminContext & { organizationId: string };

/**
 * A route under /organizations/:orgId. Every one of them passes `organizationFor`, so no handler can forget the
 * check, and handlers read the organization from `caller.organizationId`, never from the request.
 */
export function orgRoute<P extends Shape, Q extends Shape, B extends z.ZodType | undefined, R extends z.ZodType | null>(
  access: SetupCapability | "admin", spec: Spec<P, Q, B, R, OrganizationCaller>, db: Database,
): Route {
  return define(access, "/organizations/:orgId", spec as Spec<Shape, Shape, z.ZodType | undefined, z.ZodType | null, OrganizationCaller>,
    async (req, res) => {
      const caller = requireAdmin(res, access);
      const organization = await organizationFor(db, caller, String(req.params.orgId));
      return { ...caller, organizationId: organization.id };
    });
}
