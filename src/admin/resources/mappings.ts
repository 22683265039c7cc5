import { z } from "zod";
import { listTeams, replaceTeamMappings } from "../../identity/teams.js";
import { id, ids, listOf } from "../schemas.js";
import { AdminDeps, orgRoute, Route } from "../routing.js";
import { mappingSchema, teamSchema } from "./teams.js";

/** Which IdP groups give which teams: replaced a team at a time (Konnect's team-group-mappings), listed all at once. */

const TAG = "Group mappings";

export function mappingRoutes(deps: AdminDeps): Route[] {
  const { db } = deps;
  return [
    orgRoute("mappings", {
      method: "get", path: "/mappings", tag: TAG, summary: "Every IdP group → team mapping of the organization",
      response: listOf(mappingSchema.extend({ teamId: z.string(), teamName: z.string() })),
      async handle({ caller }) {
        const teams = await listTeams(db, caller.organizationId);
        const items = teams.flatMap((t) => t.mappings.map((m) => ({ ...m, teamId: t.id, teamName: t.name })));
        return { items: items.sort((a, b) => a.idpGroup.localeCompare(b.idpGroup) || a.teamName.localeCompare(b.teamName)) };
      },
    }, db),
    orgRoute("mappings", {
      method: "put", path: "/teams/:teamId/mappings", tag: TAG,
      summary: "Replace the IdP groups mapped to a team (an empty list clears them); members' teams follow at once",
      params: ids("teamId"),
      body: z.array(z.strictObject({ idpGroup: z.string().trim().min(1).max(512), alias: z.string().trim().min(1).max(512).nullable().optional(),
        connectionId: id.nullable().optional().meta({ description: "Limit the mapping to groups received through this connection's logins" }) })).max(1000),
      response: teamSchema,
      handle: ({ params, body, caller }) => replaceTeamMappings(db, caller.organizationId, params.teamId, body, caller.actor),
    }, db),
  ];
}
