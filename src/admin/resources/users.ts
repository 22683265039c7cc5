import { z } from "zod";
import { searchUsers, userDetail } from "../../identity/directory.js";
import { notFound } from "../../identity/errors.js";
import { UserRecord } from "../../identity/records.js";
import { setManualTeamMembership } from "../../identity/teams.js";
import { primaryEmail } from "../../identity/user-rows.js";
import { endUserSessions, setUserActiveByAdmin } from "../../identity/users.js";
import { at, ids, pageOf, paging, queryBoolean } from "../schemas.js";
import { AdminDeps, orgRoute, Route } from "../routing.js";

/** The organization's users: found by name, email, state or source; each with its teams, groups and IdP identities. */

const source = z.enum(["scim", "jit", "manual"]).meta({ description: "scim: pushed by the IdP; jit: created at its first SSO login; manual: by an admin" });

const userSummarySchema = z.object({
  id: z.string(), userName: z.string(), displayName: z.string().nullable(), email: z.string().nullable(), active: z.boolean(),
  source, externalId: z.string().nullable(), createdAt: at, updatedAt: at,
}).meta({ id: "UserSummary" });

const userDetailSchema = userSummarySchema.extend({
  name: z.object({ givenName: z.string().nullish(), familyName: z.string().nullish(), formatted: z.string().nullish() }),
  emails: z.array(z.object({ value: z.string().nullish(), type: z.string().nullish(), primary: z.boolean().nullish() })),
  title: z.string().nullable(),
  groups: z.array(z.object({ id: z.string(), displayName: z.string() })),
  teams: z.array(z.object({
    id: z.string(), name: z.string(), roles: z.array(z.string()),
    source: z.enum(["idp", "manual"]).meta({ description: "idp: from the user's IdP groups through a mapping; manual: assigned by an admin" }),
  })),
  identities: z.array(z.object({
    connectionId: z.string(), connectionName: z.string(), connectionType: z.string(), issuer: z.string(), subject: z.string(),
    createdAt: at, lastLoginAt: at,
  })),
}).meta({ id: "UserDetail" });

const summary = (u: UserRecord) => ({ ...u, displayName: u.displayName ?? null, source: u.source as z.infer<typeof source>, email: primaryEmail(u) });

const TAG = "Users";
const membership = ids("userId", "teamId");

export function userRoutes(deps: AdminDeps): Route[] {
  const { db } = deps;
  const manualMembership = (member: boolean) => orgRoute("admin", {
    method: member ? "put" : "delete", path: "/users/:userId/teams/:teamId", tag: TAG,
    summary: member
      ? "Put a user in a team by hand; refused (409) while the organization's teams follow the IdP (teamMappingMode idp)"
      : "Take a user out of a team it was put in by hand; refused (409) in teamMappingMode idp",
    params: membership, response: null,
    handle: ({ params, caller }) => setManualTeamMembership(db, caller.organizationId, params.teamId, params.userId, member, caller.actor),
  }, db);
  return [
    orgRoute("admin", {
      method: "get", path: "/users", tag: TAG, summary: "Users in userName order, filtered and paged",
      query: z.object({
        search: z.string().trim().min(1).max(512).optional().meta({ description: "Part of the userName, displayName or an email" }),
        userName: z.string().max(512).optional(),
        email: z.string().max(512).optional(),
        active: queryBoolean.optional(),
        source: source.optional(),
        ...paging,
      }),
      response: pageOf(userSummarySchema),
      async handle({ query, caller }) {
        const { offset, limit, ...filter } = query;
        const { total, users } = await searchUsers(db, caller.organizationId, filter, { offset, limit });
        return { items: users.map(summary), total, offset, limit };
      },
    }, db),
    orgRoute("admin", {
      method: "get", path: "/users/:userId", tag: TAG, summary: "A user with its teams (and where each comes from), groups and linked IdP identities",
      params: ids("userId"), response: userDetailSchema,
      async handle({ params, caller }) {
        const detail = await userDetail(db, caller.organizationId, params.userId);
        if (!detail) throw notFound("User", params.userId);
        return { ...summary(detail.user), title: detail.user.title ?? null, teams: detail.teams, identities: detail.identities };
      },
    }, db),
    orgRoute("admin", {
      method: "patch", path: "/users/:userId", tag: TAG,
      summary: "Deactivate or reactivate a user the IdP does not manage (jit, manual); refused (409) for a SCIM user",
      params: ids("userId"), body: z.strictObject({ active: z.boolean() }), response: userSummarySchema,
      handle: async ({ params, body, caller }) => summary(await setUserActiveByAdmin(db, caller.organizationId, params.userId, body.active, caller.actor)),
    }, db),
    orgRoute("admin", {
      method: "delete", path: "/users/:userId/sessions", tag: TAG, summary: "Sign a user out of every browser now (the user is not changed)",
      params: ids("userId"), response: z.object({ sessionsEnded: z.number() }),
      handle: async ({ params, caller }) => ({ sessionsEnded: await endUserSessions(db, caller.organizationId, params.userId, caller.actor) }),
    }, db),
    manualMembership(true),
    manualMembership(false),
  ];
}
