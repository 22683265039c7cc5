import { NextFunction, Request, Response } from "express";
import { Organization } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { accessOf } from "../identity/access.js";
import { verifySecondFactor } from "../identity/admin-second-factor.js";
import { AdminAccountInfo, getAdminAccount, recordAdminSignIn, verifyAdminPassword } from "../identity/admins.js";
import { authenticateApiToken } from "../identity/api-tokens.js";
import { Actor } from "../identity/records.js";
import { activeSetupLink, redeemSetupLink, SetupCapability, SetupLinkInfo } from "../identity/setup-links.js";
import { recordLoginOutcome } from "../metrics.js";
import { logIn, logOut } from "../web-session.js";
import { ApiProblem } from "./problems.js";
import { id } from "./schemas.js";

/**
 * Who is calling the admin API, resolved once per request into `res.locals.admin`:
 *
 * - a personal API token (`Authorization: Bearer rca_…`): the admin account it belongs to;
 * - the browser session: an admin account that logged in with its password; an SSO user of an organization whose
 *   teams grant the `admin` role; or a setup-link session, which may only do what its link's capabilities allow
 *   (SSO connections, SCIM tokens, domains, group mappings) in its organization.
 *
 * An operator reaches every organization; anyone else only their own, and another organization's data answers 404,
 * exactly as if it did not exist (`organizationFor`).
 */

export interface AdminContext {
  kind: "operator" | "org_admin" | "setup_link";
  /** The admin account, when the caller logged in with one (password or API token). */
  adminId: string | null;
  /** The SSO user, when the caller is an org admin through a team's `admin` role. */
  userId: string | null;
  /** Null for an operator. */
  organizationId: string | null;
  /** What the audit log names as the actor of this caller's changes. */
  actor: Actor;
  /** A setup link's: what it may configure. */
  capabilities?: SetupCapability[];
}

/** The role a team grants to make its SSO members admins of their organization. */
export const ADMIN_ROLE = "admin";

/**
 * What a route lets in. `public`: anyone; `setup`: anyone logged in, setup links included (the caller's own
 * session); a setup capability (`sso`, `scim`, `domains`, `mappings`): operators, org admins and the setup links
 * that carry it; `admin`: operators and org admins; `account`: callers with an admin account (personal API tokens);
 * `operator`: operators only.
 */
export type Access = "public" | "setup" | SetupCapability | "admin" | "account" | "operator";

export const adminOf = (res: Response): AdminContext | null => (res.locals.admin as AdminContext | undefined) ?? null;

export function accountContext(account: AdminAccountInfo): AdminContext {
  return {
    kind: account.organizationId === null ? "operator" : "org_admin", adminId: account.id, userId: null,
    organizationId: account.organizationId, actor: { type: "admin", id: account.id },
  };
}

function bearerToken(req: Request): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(req.get("Authorization") ?? "")?.[1] ?? null;
}

/** The admin a browser session belongs to, if any (also used by the SSO door to allow "test connection"). */
export async function sessionContext(req: Request, res: Response, db: Database): Promise<AdminContext | null> {
  const principal = req.session?.principal;
  if (principal?.type === "admin") {
    const account = await getAdminAccount(db, principal.adminId);
    if (account && !account.disabledAt) return accountContext(account);
  } else if (principal?.type === "user") {
    const access = await accessOf(db, principal.organizationId, principal.userId);
    if (access?.roles.includes(ADMIN_ROLE)) {
      return { kind: "org_admin", adminId: null, userId: principal.userId, organizationId: principal.organizationId, actor: { type: "user", id: principal.userId } };
    }
    // Signed in, but not an admin: a user session of the app, which stays as it is.
    if (access) {
      res.locals.adminRefusal = `Your account has no team with the "${ADMIN_ROLE}" role in ${access.organization.name}, so it cannot use the admin API.`;
      return null;
    }
  } else if (principal?.type === "setup") {
    const link = await activeSetupLink(db, principal.linkId);
    if (link) return setupContext(link);
  } else {
    return null;
  }
  // The account was disabled, the user deactivated or the link revoked since this session began.
  await logOut(req);
  return null;
}

export const setupContext = (link: SetupLinkInfo): AdminContext => ({
  kind: "setup_link", adminId: null, userId: null, organizationId: link.organizationId, actor: { type: "setup_link", id: link.id },
  capabilities: link.capabilities,
});

/** Whether a caller may use a setup capability's pages and routes: every admin may, a setup link if it carries it. */
export const mayUse = (caller: AdminContext, capability: SetupCapability) =>
  caller.kind !== "setup_link" || (caller.capabilities ?? []).includes(capability);

/**
 * The one middleware that resolves the caller; routes then ask `requireAdmin` for the access they need. The caller
 * of a request with an Authorization header is the API token's account and nothing else: a request that sends a bad
 * token is refused, never taken for the browser session it may also carry.
 */
export function resolveAdmin(db: Database) {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.get("Authorization") !== undefined) {
      const presented = bearerToken(req);
      const found = presented ? await authenticateApiToken(db, presented) : null;
      if (!found) throw new ApiProblem("unauthenticated", "The API token is not valid: it is mistyped, revoked, or its account is disabled. Send Authorization: Bearer <personal API token>.");
      res.locals.admin = accountContext(found.admin);
    } else {
      res.locals.admin = await sessionContext(req, res, db);
    }
    next();
  };
}

const ALLOWED: Record<Exclude<Access, "public" | SetupCapability>, AdminContext["kind"][]> = {
  setup: ["operator", "org_admin", "setup_link"],
  admin: ["operator", "org_admin"],
  account: ["operator", "org_admin"],
  operator: ["operator"],
};

/** The caller, if it has the access asked for: 401 when nobody is logged in, 403 when the caller may not do this. */
export function requireAdmin(res: Response, access: Exclude<Access, "public"> = "admin"): AdminContext {
  const caller = adminOf(res);
  if (!caller) {
    throw res.locals.adminRefusal
      ? new ApiProblem("forbidden", res.locals.adminRefusal as string)
      : new ApiProblem("unauthenticated", "Log in (POST /api/v1/auth/login) or send a personal API token (Authorization: Bearer …).");
  }
  const allowed = access in ALLOWED ? ALLOWED[access as keyof typeof ALLOWED].includes(caller.kind) : mayUse(caller, access as SetupCapability);
  if (!allowed) {
    throw new ApiProblem("forbidden", caller.kind === "setup_link"
      ? `This setup link only lets you configure: ${(caller.capabilities ?? []).join(", ")}.`
      : "Only an instance operator may do this.");
  }
  if (access === "account" && !caller.adminId) throw new ApiProblem("forbidden", "Personal API tokens belong to admin accounts; an SSO admin has none.");
  return caller;
}

/** Whether the caller may see an organization: an operator any, everyone else only their own. */
export const mayAccessOrganization = (caller: AdminContext, organizationId: string) =>
  caller.kind === "operator" || caller.organizationId === organizationId;

/**
 * The organization of an organization-scoped route, checked against the caller. Another organization's id answers
 * the same 404 as an id that does not exist, so a caller learns nothing about other tenants.
 */
export async function organizationFor(db: Database, caller: AdminContext, organizationId: string): Promise<Organization> {
  const organization = mayAccessOrganization(caller, organizationId) && id.safeParse(organizationId).success
    ? await db.dataSource.getRepository(Organization).findOneBy({ id: organizationId })
    : null;
  if (!organization) throw new ApiProblem("not_found", `Organization ${organizationId} not found.`);
  return organization;
}

/** Where a password login stands: signed in; the password was right but the account's second factor is still due; refused. */
export type PasswordLogIn = { signedIn: AdminAccountInfo } | { secondFactorDue: AdminAccountInfo } | null;

/**
 * The built-in admin login, for the admin API and the console alike: checks the password (the same work whether or
 * not the email exists), then the second factor if the account has one (`code`: a TOTP or recovery code; left out,
 * the answer says it is due), opens the session, and counts the outcome. Null for a wrong email, password or code, or
 * a disabled account, without saying which.
 */
export async function passwordLogIn(
  req: Request, db: Database, secretKey: Buffer, email: string, password: string, code?: string,
): Promise<PasswordLogIn> {
  const account = await verifyAdminPassword(db, email, password);
  if (!account) {
    recordLoginOutcome("password", "failure", "bad_credentials");
    return null;
  }
  if (!account.totpEnabledAt) return { signedIn: await openAdminSession(req, db, account, "password") };
  if (code === undefined) return { secondFactorDue: account };
  const signedIn = await secondFactorLogIn(req, db, secretKey, account, code);
  return signedIn ? { signedIn } : null;
}

/** The second step of a login whose password was right: opens the session when the code is. */
export async function secondFactorLogIn(req: Request, db: Database, secretKey: Buffer, account: AdminAccountInfo, code: string): Promise<AdminAccountInfo | null> {
  const factor = await verifySecondFactor(db, secretKey, account.id, code);
  if (!factor) {
    recordLoginOutcome("password", "failure", "bad_second_factor");
    return null;
  }
  return openAdminSession(req, db, account, factor);
}

async function openAdminSession(req: Request, db: Database, account: AdminAccountInfo, factor: "password" | "totp" | "recovery_code") {
  const signedIn = await recordAdminSignIn(db, account, factor);
  recordLoginOutcome("password", "success", "ok");
  await logIn(req, db, { type: "admin", adminId: account.id, organizationId: account.organizationId });
  return signedIn;
}

/**
 * Redeems a setup link and turns this browser's session into a setup session of its organization; null (and no
 * session change) when the link is unknown, expired or revoked. The console's `/setup/:token` page uses it too.
 */
export async function openSetupSession(req: Request, db: Database, token: string): Promise<SetupLinkInfo | null> {
  const link = await redeemSetupLink(db, token);
  if (link) await logIn(req, db, { type: "setup", linkId: link.id, organizationId: link.organizationId });
  return link;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Whether a request came from one of our own pages: `Origin` is BASE_URL's, or `Sec-Fetch-Site` says same-origin. */
export function isSameOrigin(req: Request, baseUrl: string): boolean {
  return req.get("Origin") === new URL(baseUrl).origin || (req.get("Origin") === undefined && req.get("Sec-Fetch-Site") === "same-origin");
}

/**
 * Cross-site request forgery: a state-changing request that a browser could send with the session cookie must come
 * from our own origin. Requests with an Authorization header are exempt: a browser never adds one cross-site on its
 * own, and such a request is authenticated by its token alone (see resolveAdmin).
 */
export function refuseCrossSite(baseUrl: string) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method) || req.get("Authorization") !== undefined || isSameOrigin(req, baseUrl)) return next();
    throw new ApiProblem("cross_site", `A request authenticated by the session cookie must come from ${new URL(baseUrl).origin} (Origin header); use a personal API token for scripts.`);
  };
}
