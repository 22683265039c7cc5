import { z } from "zod";
import { searchGroups } from "../../identity/directory.js";
import { notFound } from "../../identity/errors.js";
import { getGroup } from "../../identity/groups.js";
import { at, ids, pageOf, paging } from "../schemas.js";
import { AdminDeps, orgRoute, Route } from "../routing.js";

/** The groups the IdP pushed over SCIM, read-only: the IdP owns them. */

const groupSchema = z.object({
  id: z.string(), displayName: z.string(), externalId: z.string().nullable(), createdAt: at, updatedAt: at,
}).meta({ id: "Group" });

const TAG = "Groups";

export function groupRoutes(deps: AdminDeps): Route[] {
  const { db } = deps;
  return [
    orgRoute("admin", {
      method: "get", path: "/groups", tag: TAG, summary: "Groups in displayName order, with their member counts",
      query: z.object({ search: z.string().trim().min(1).max(512).optional().meta({ description: "Part of the displayName" }), ...paging }),
      response: pageOf(groupSchema.extend({ memberCount: z.number().int() })),
      async handle({ query, caller }) {
        const { offset, limit, search } = query;
        const { total, groups } = await searchGroups(db, caller.organizationId, { search }, { offset, limit });
        return { items: groups, total, offset, limit };
      },
    }, db),
    orgRoute("admin", {
      method: "get", path: "/groups/:groupId", tag: TAG, summary: "A group and its members", params: ids("groupId"),
      response: groupSchema.extend({ members: z.array(z.object({ userId: z.string(), userName: z.string() })) }),
      async handle({ params, caller }) {
        const group = await getGroup(db, caller.organizationId, params.groupId, { withMembers: true });
        if (!group) throw notFound("Group", params.groupId);
        return { ...group, members: group.members ?? [] };
      },
    }, db),
  ];
}
