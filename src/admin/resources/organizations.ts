import { z } from "zod";
import { Organization } from "../../../entities/index.js";
import {
  createOrganization, deleteOrganization, listOrganizations, renameOrganization, SLUG_PATTERN, SLUG_RULE,
} from "../../identity/organizations.js";
import { ApiProblem } from "../problems.js";
import { setGroupSource, setTeamMappingMode, TeamMappingMode } from "../../identity/teams.js";
import { at, label, listOf } from "../schemas.js";
import { AdminDeps, orgRoute, Route, route } from "../routing.js";

const organizationSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  teamMappingMode: z.enum(["idp", "manual"]).meta({ description: "idp: IdP groups decide teams (through mappings); manual: admins assign them" }),
  groupSource: z.enum(["claims", "scim"]).meta({ description: "claims: a user's groups are its last login's groups claim; scim: its SCIM groups" }),
  createdAt: at,
}).meta({ id: "Organization" });

const TAG = "Organizations";

export function organizationRoutes(deps: AdminDeps): Route[] {
  const view = (o: Organization) => ({ ...o, teamMappingMode: o.teamMappingMode as TeamMappingMode, groupSource: o.groupSource as "claims" | "scim" });
  const organization = async (id: string) => view(await deps.db.dataSource.getRepository(Organization).findOneByOrFail({ id }));
  return [
    route("admin", {
      method: "get", path: "/organizations", tag: TAG, summary: "Organizations the caller administers (all of them for an operator)",
      response: listOf(organizationSchema),
      handle: async ({ caller }) => ({
        items: caller.kind === "operator" ? (await listOrganizations(deps.db)).map(view) : [await organization(caller.organizationId!)],
      }),
    }),
    route("operator", {
      method: "post", path: "/organizations", tag: TAG, summary: "Create an organization (tenant)", status: 201,
      body: z.strictObject({
        slug: z.string().regex(SLUG_PATTERN, SLUG_RULE),
        name: label,
      }),
      response: organizationSchema,
      async handle({ body, caller }) {
        const created = await createOrganization(deps.db, body, caller.actor);
        return organization(created.id);
      },
    }),
    orgRoute("admin", {
      method: "get", path: "", tag: TAG, summary: "One organization", response: organizationSchema,
      handle: ({ caller }) => organization(caller.organizationId),
    }, deps.db),
    orgRoute("admin", {
      method: "patch", path: "", tag: TAG,
      summary: "Set how teams are decided (teamMappingMode) and where groups come from (groupSource); an operator may also rename it (name)",
      body: z.strictObject({ teamMappingMode: z.enum(["idp", "manual"]), groupSource: z.enum(["claims", "scim"]), name: label }).partial(),
      response: organizationSchema,
      async handle({ body, caller }) {
        if (body.name !== undefined) {
          if (caller.kind !== "operator") throw new ApiProblem("forbidden", "Only an instance operator may rename an organization.");
          await renameOrganization(deps.db, caller.organizationId, body.name, caller.actor);
        }
        if (body.teamMappingMode) await setTeamMappingMode(deps.db, caller.organizationId, body.teamMappingMode, caller.actor);
        if (body.groupSource) await setGroupSource(deps.db, caller.organizationId, body.groupSource, caller.actor);
        return organization(caller.organizationId);
      },
    }, deps.db),
    orgRoute("admin", {
      method: "delete", path: "", tag: TAG,
      summary: "Delete an organization and everything in it (operators only); `confirm` must be its slug",
      query: z.object({ confirm: z.string().max(100).meta({ description: "The organization's slug, typed again" }) }),
      response: null,
      async handle({ query, caller }) {
        if (caller.kind !== "operator") throw new ApiProblem("forbidden", "Only an instance operator may delete an organization.");
        await deleteOrganization(deps.db, caller.organizationId, query.confirm, caller.actor);
      },
    }, deps.db),
  ];
}
