import { Request, Response, Router } from "express";
import { Database } from "../db/database.js";
import { identityOf, UserAccess, UserIdentity } from "../identity/access.js";
import { LOGIN_PATH } from "../identity/connections.js";
import { signedIdentity } from "./op/identity-header.js";
import { SigningKeys } from "./op/keys.js";
import { logOut } from "../web-session.js";

/**
 * Rollcall as an app's login sidecar. `GET /auth/verify` is for reverse proxies (nginx `auth_request`, Traefik
 * ForwardAuth, Envoy ext_authz): 200 with identity headers (and the same identity signed, `X-Rollcall-Identity`),
 * 401 without a session, 403 for a user of another
 * organization than the route's `?org=` — or, with `?login=<loginPath>`, a redirect to that login that comes back to
 * the page asked for (Traefik passes it to the browser) instead of either refusal. `GET /session` answers the same as
 * JSON for the app's front end.
 */
export function forwardAuthRouter(deps: { db: Database; baseUrl: string; signingKeys: SigningKeys }): Router {
  const router = Router();

  router.get("/auth/verify", async (req, res) => {
    const access = await sessionAccess(req, deps.db);
    res.set("Cache-Control", "no-store");
    if (access && routeAdmits(req.query.org, access)) {
      setIdentityHeaders(res, access);
      res.set(IDENTITY_HEADERS.signed, await signedIdentity(deps.signingKeys, deps.baseUrl, access));
      return void res.status(200).end();
    }
    const loginPath = typeof req.query.login === "string" && LOGIN_PATH.test(req.query.login) ? req.query.login : null;
    if (loginPath) {
      const original = req.get("X-Forwarded-Uri") ?? req.get("X-Original-URI") ?? "/";
      return void res.redirect(302, `${deps.baseUrl}/login/${loginPath}?return_to=${encodeURIComponent(original)}`);
    }
    if (access) return void res.status(403).json({ error: "not_this_organization" });
    res.status(401).json({ error: "not_logged_in" });
  });

  router.get("/session", async (req, res) => {
    const access = await sessionAccess(req, deps.db);
    res.set("Cache-Control", "no-store");
    if (!access) return void res.status(401).json({ error: "not_logged_in", login: "GET /login/<your organization's login path>" });
    const { user, organization, teams, roles } = access;
    res.json({ user, organization, teams, roles, expiresAt: req.session.cookie.expires?.toISOString() ?? null });
  });

  return router;
}

const ORGANIZATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether a route that declares `org` (its organization's id or slug) admits this user. A route without `org` admits
 * every organization's users: the response's organization headers say which one matched. Any other value — another
 * organization, one that does not exist, an empty or repeated parameter — refuses, and all of them alike, so that a
 * refusal never tells whether an organization exists. It compares with the session's own organization only (no
 * lookup), an id-shaped value with the id only: an organization whose slug is spelled like another's id never passes
 * that other's route.
 */
function routeAdmits(org: unknown, access: UserAccess): boolean {
  if (org === undefined) return true;
  if (typeof org !== "string") return false;
  return ORGANIZATION_ID.test(org) ? org.toLowerCase() === access.organization.id : org === access.organization.slug;
}

/**
 * The logged-in user of this request's session, if it is still active. A session whose user was deactivated or
 * deleted is normally gone already (deactivation deletes it); finding one anyway ends it here.
 */
export async function sessionAccess(req: Request, db: Database): Promise<UserIdentity | null> {
  const principal = req.session?.principal;
  if (principal?.type !== "user") return null;
  const identity = await identityOf(db, principal.userId);
  if (identity?.organization.id === principal.organizationId) return identity;
  await logOut(req);
  return null;
}

/** Header values are ASCII: anything else, and the list separator, percent-encoded (UTF-8). */
const headerValue = (value: string) => value.replace(/[^\x20-\x7e]|[%,]/gu, (c) => encodeURIComponent(c));

export const IDENTITY_HEADERS = {
  userId: "X-Rollcall-User-Id",
  userName: "X-Rollcall-User",
  email: "X-Rollcall-Email",
  name: "X-Rollcall-Name",
  organization: "X-Rollcall-Organization",
  organizationId: "X-Rollcall-Organization-Id",
  teams: "X-Rollcall-Teams",
  roles: "X-Rollcall-Roles",
  /** The same identity as a JWT signed with the OpenID Provider's keys (src/apps/op/identity-header.ts). */
  signed: "X-Rollcall-Identity",
} as const;

function setIdentityHeaders(res: Response, access: UserAccess) {
  res.set(IDENTITY_HEADERS.userId, access.user.id);
  res.set(IDENTITY_HEADERS.userName, headerValue(access.user.userName));
  res.set(IDENTITY_HEADERS.email, headerValue(access.user.email ?? ""));
  res.set(IDENTITY_HEADERS.name, headerValue(access.user.displayName ?? ""));
  res.set(IDENTITY_HEADERS.organization, headerValue(access.organization.slug));
  res.set(IDENTITY_HEADERS.organizationId, access.organization.id);
  // A team held both from the IdP and by an admin's assignment is listed once.
  res.set(IDENTITY_HEADERS.teams, [...new Set(access.teams.map((t) => headerValue(t.name)))].join(","));
  res.set(IDENTITY_HEADERS.roles, access.roles.map(headerValue).join(","));
}
