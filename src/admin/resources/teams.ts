import { z } from "zod";
import { notFound } from "../../identity/errors.js";
import { createTeam, deleteTeam, getTeam, listTeams, updateTeam } from "../../identity/teams.js";
import { at, ids, label, listOf } from "../schemas.js";
import { AdminDeps, orgRoute, Route } from "../routing.js";

/** Teams, the app's unit of access, and the roles each grants. Their group mappings are in mappings.ts. */

export const mappingSchema = z.object({
  idpGroup: z.string().meta({ description: "A group's name or id as the IdP sends it (SCIM displayName/externalId, or a groups claim value)" }),
  alias: z.string().nullable().meta({ description: "A readable name for a group sent as an opaque id (Entra object ids)" }),
  connectionId: z.string().nullable().meta({ description: "Only groups received through this connection's logins match; null: any connection's, and SCIM groups" }),
});

export const teamSchema = z.object({
  id: z.string(), name: z.string(), description: z.string().nullable(), roles: z.array(z.string()),
  mappings: z.array(mappingSchema), createdAt: at, updatedAt: at,
}).meta({ id: "Team" });

const teamFields = {
  name: label,
  description: z.string().max(2000).nullable(),
  roles: z.array(z.string().trim().min(1).max(100)).max(100).meta({ description: "Role names the app understands; the role admin makes SSO members admins of the organization" }),
};

const TAG = "Teams";
const one = ids("teamId");

export function teamRoutes(deps: AdminDeps): Route[] {
  const { db } = deps;
  return [
    orgRoute("mappings", {
      method: "get", path: "/teams", tag: TAG, summary: "Teams, with their roles and mapped IdP groups", response: listOf(teamSchema),
      handle: async ({ caller }) => ({ items: await listTeams(db, caller.organizationId) }),
    }, db),
    orgRoute("admin", {
      method: "post", path: "/teams", tag: TAG, summary: "Create a team", status: 201,
      body: z.strictObject({ ...teamFields, description: teamFields.description.optional(), roles: teamFields.roles.default([]) }),
      response: teamSchema,
      handle: ({ body, caller }) => createTeam(db, caller.organizationId, body, caller.actor),
    }, db),
    orgRoute("admin", {
      method: "get", path: "/teams/:teamId", tag: TAG, summary: "One team", params: one, response: teamSchema,
      async handle({ params, caller }) {
        const team = await getTeam(db, caller.organizationId, params.teamId);
        if (!team) throw notFound("Team", params.teamId);
        return team;
      },
    }, db),
    orgRoute("admin", {
      method: "patch", path: "/teams/:teamId", tag: TAG, summary: "Rename a team or change its roles", params: one,
      body: z.strictObject(teamFields).partial(), response: teamSchema,
      handle: ({ params, body, caller }) => updateTeam(db, caller.organizationId, params.teamId, body, caller.actor),
    }, db),
    orgRoute("admin", {
      method: "delete", path: "/teams/:teamId", tag: TAG, summary: "Delete a team, its mappings and memberships", params: one, response: null,
      handle: ({ params, caller }) => deleteTeam(db, caller.organizationId, params.teamId, caller.actor),
    }, db),
  ];
}
