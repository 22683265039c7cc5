import { Request, Response, Router } from "express";
import { Database } from "../db/database.js";
import { accessOf, UserAccess } from "../identity/access.js";
import { logOut } from "../web-session.js";

/**
 * Rollcall as an app's login sidecar. `GET /auth/verify` is for reverse proxies (nginx `auth_request`, Traefik
 * ForwardAuth, Envoy ext_authz): 200 with identity headers, or 401 — or, with `?login=<loginPath>`, a redirect to
 * that login that comes back to the page asked for (Traefik passes it to the browser). `GET /session` answers the
 * same as JSON for the app's front end.
 */
export function sidecarRouter(deps: { db: Database; baseUrl: string }): Router {
  const router = Router();

  router.get("/auth/verify", async (req, res) => {
    const access = await sessionAccess(req, deps.db);
    res.set("Cache-Control", "no-store");
    if (!access) {
      const loginPath = typeof req.query.login === "string" && /^[A-Za-z0-9]{1,64}$/.test(req.query.login) ? req.query.login : null;
      if (!loginPath) return void res.status(401).json({ error: "not_logged_in" });
      const original = req.get("X-Forwarded-Uri") ?? req.get("X-Original-URI") ?? "/";
      return void res.redirect(302, `${deps.baseUrl}/login/${loginPath}?return_to=${encodeURIComponent(original)}`);
    }
    setIdentityHeaders(res, access);
    res.status(200).end();
  });

  router.get("/session", async (req, res) => {
    const access = await sessionAccess(req, deps.db);
    res.set("Cache-Control", "no-store");
    if (!access) return void res.status(401).json({ error: "not_logged_in", login: "GET /login/<your organization's login path>" });
    res.json({ ...access, expiresAt: req.session.cookie.expires?.toISOString() ?? null });
  });

  return router;
}

/**
 * The logged-in user of this request's session, if it is still active. A session whose user was deactivated or
 * deleted is normally gone already (deactivation deletes it); finding one anyway ends it here.
 */
export async function sessionAccess(req: Request, db: Database): Promise<UserAccess | null> {
  const principal = req.session?.principal;
  if (principal?.type !== "user") return null;
  const access = await accessOf(db, principal.organizationId, principal.userId);
  if (!access) await logOut(req);
  return access;
}

/** Header values are ASCII: anything else, and the list separator, percent-encoded (UTF-8). */
const headerValue = (value: string) => value.replace(/[^\x20-\x7e]|[%,]/gu, (c) => encodeURIComponent(c));

export const IDENTITY_HEADERS = {
  userId: "X-Rollcall-User-Id",
  userName: "X-Rollcall-User",
  email: "X-Rollcall-Email",
  name: "X-Rollcall-Name",
  organization: "X-Rollcall-Organization",
  teams: "X-Rollcall-Teams",
  roles: "X-Rollcall-Roles",
} as const;

function setIdentityHeaders(res: Response, access: UserAccess) {
  res.set(IDENTITY_HEADERS.userId, access.user.id);
  res.set(IDENTITY_HEADERS.userName, headerValue(access.user.userName));
  res.set(IDENTITY_HEADERS.email, headerValue(access.user.email ?? ""));
  res.set(IDENTITY_HEADERS.name, headerValue(access.user.displayName ?? ""));
  res.set(IDENTITY_HEADERS.organization, headerValue(access.organization.slug));
  // A team held both from the IdP and by an admin's assignment is listed once.
  res.set(IDENTITY_HEADERS.teams, [...new Set(access.teams.map((t) => headerValue(t.name)))].join(","));
  res.set(IDENTITY_HEADERS.roles, access.roles.map(headerValue).join(","));
}
