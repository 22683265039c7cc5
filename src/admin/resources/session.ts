import { SETUP_CAPABILITIES } from "../../identity/setup-links.js";
import { z } from "zod";
import { Organization } from "../../../entities/index.js";
import { changeAdminPassword, getAdminAccount, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../../identity/admins.js";
import { logOut } from "../../web-session.js";
import { AdminContext, accountContext, passwordLogIn } from "../auth.js";
import { ApiProblem } from "../problems.js";
import { AdminDeps, publicRoute, Route, route } from "../routing.js";

/** Logging in and out with an admin account, and who the caller is. */

export const meSchema = z.object({
  kind: z.enum(["operator", "org_admin", "setup_link"]),
  adminId: z.string().nullable(),
  userId: z.string().nullable(),
  organizationId: z.string().nullable(),
  capabilities: z.array(z.enum(SETUP_CAPABILITIES)).optional().meta({ description: "A setup link's: what it may configure" }),
  organization: z.object({ id: z.string(), slug: z.string(), name: z.string() }).nullable(),
  account: z.object({
    email: z.string(), name: z.string(), lastLoginAt: z.string().nullable(),
    mustChangePassword: z.boolean().meta({ description: "The password was a one-time password: change it (POST /auth/password)" }),
    totpEnabledAt: z.string().nullable().meta({ description: "When two-factor sign-in (TOTP) was turned on; null when it is off" }),
  }).nullable(),
}).meta({ id: "Me" });

/** The caller as `GET /auth/me` shows it (also the answer of a login or a setup-link redemption). */
export async function meOf(deps: AdminDeps, caller: AdminContext): Promise<z.input<typeof meSchema>> {
  const organization = caller.organizationId
    ? await deps.db.dataSource.getRepository(Organization).findOneBy({ id: caller.organizationId })
    : null;
  const account = caller.adminId ? await getAdminAccount(deps.db, caller.adminId) : null;
  return { ...caller, organization, account };
}

const TAG = "Session";
const password = z.string().min(1).max(MAX_PASSWORD_LENGTH);

export function sessionRoutes(deps: AdminDeps): Route[] {
  return [
    publicRoute({
      method: "post", path: "/auth/login", tag: TAG, summary: "Log in with an admin account's email and password (opens a session cookie)",
      body: z.strictObject({
        email: z.string().trim().min(1).max(320), password,
        code: z.string().trim().min(1).max(64).optional().meta({ description: "A TOTP code (or a recovery code), for an account with two-factor sign-in" }),
      }),
      response: meSchema,
      async handle({ body, req }) {
        const outcome = await passwordLogIn(req, deps.db, deps.secretKey, body.email, body.password, body.code);
        // One answer for an unknown email, a wrong password or code and a disabled account: no way to learn which exist.
        if (!outcome) throw new ApiProblem("unauthenticated", "The email, password or code is not right.");
        if ("secondFactorDue" in outcome) throw new ApiProblem("unauthenticated", "This account signs in with a second factor: send its current TOTP code (or a recovery code) as `code`.");
        return meOf(deps, accountContext(outcome.signedIn));
      },
    }),
    publicRoute({
      method: "post", path: "/auth/logout", tag: TAG, summary: "End the browser session", response: null,
      async handle({ req }) {
        if (req.session?.principal) await logOut(req);
      },
    }),
    route("setup", {
      method: "get", path: "/auth/me", tag: TAG, summary: "Who the caller is", response: meSchema,
      handle: ({ caller }) => meOf(deps, caller),
    }),
    route("account", {
      method: "post", path: "/auth/password", tag: TAG, summary: "Change the caller's own password", response: null,
      body: z.strictObject({ currentPassword: password, newPassword: z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH) }),
      async handle({ body, caller }) {
        await changeAdminPassword(deps.db, caller.adminId!, body.currentPassword, body.newPassword, caller.actor);
      },
    }),
  ];
}
