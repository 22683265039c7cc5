import { Request, Response, Router } from "express";
import { groupColumns } from "../../identity/attribute-columns.js";
import { createGroup, deleteGroup, getGroup, listGroups, updateGroup } from "../../identity/groups.js";
import { GroupRecord } from "../../identity/records.js";
import { callerOf, resourceUrl, ScimDeps } from "../context.js";
import { invalidValue, ScimError } from "../errors.js";
import { etagOf, notModified } from "../etag.js";
import { groupChangeOf } from "../group-patch.js";
import { projectionOf, readListRequest } from "../list-request.js";
import { readPatchRequest } from "../patch.js";
import { project, Projection, shows } from "../projection.js";
import { sendResource } from "../respond.js";
import { readResource, ScimObject } from "../resource-input.js";
import { GROUP_URN, groupType } from "../schemas.js";
import { ResourceWrites, writeRoutes, Written } from "./writes.js";

export function toScimGroup(group: GroupRecord, deps: ScimDeps): ScimObject {
  return {
    schemas: [GROUP_URN],
    id: group.id,
    ...(group.externalId !== null ? { externalId: group.externalId } : {}),
    displayName: group.displayName,
    ...(group.members?.length
      ? { members: group.members.map((m) => ({ value: m.userId, $ref: resourceUrl(deps, "/Users", m.userId), display: m.userName, type: "User" })) }
      : {}),
    meta: {
      resourceType: "Group", created: group.createdAt, lastModified: group.updatedAt,
      location: resourceUrl(deps, "/Groups", group.id), version: etagOf(group.version),
    },
  };
}

/** Canonical SCIM JSON → what the identity core needs to create or replace a group. */
function groupInputOf(body: ScimObject) {
  const members = (body.members as ScimObject[] | undefined) ?? [];
  const memberIds = members.map((m, i) => {
    if (typeof m.value !== "string" || m.value === "") throw invalidValue(`members[${i}].value must be a user id`);
    return m.value;
  });
  return { displayName: typeof body.displayName === "string" ? body.displayName : "", externalId: (body.externalId as string | undefined) ?? null, memberIds };
}

/** Members are loaded only when the response shows them: renaming a 100,000-member group reads none. */
const withMembers = (projection: Projection) => ({ withMembers: shows(groupType, projection, "members") });

/** The writes behind POST, PUT, PATCH and DELETE on /Groups, shared with /Bulk. */
export function groupWrites(deps: ScimDeps): ResourceWrites {
  const { db } = deps;
  const rendered = (status: 200 | 201, group: GroupRecord): Written => ({ status, resource: toScimGroup(group, deps) });
  return {
    type: groupType,
    async create({ organizationId, actor }, body) {
      const { group } = await createGroup(db, organizationId, groupInputOf(readResource(groupType, body)), actor);
      return rendered(201, group);
    },
    async replace({ organizationId, actor }, id, body, { expectedVersion, projection = {} }) {
      const input = groupInputOf(readResource(groupType, body));
      const { group } = await updateGroup(db, organizationId, id,
        { displayName: input.displayName, externalId: input.externalId, members: [{ op: "set", userIds: input.memberIds }] },
        actor, { expectedVersion, ...withMembers(projection) });
      return rendered(200, group);
    },
    // 204 without a body, as RFC 7644 §3.5.2 allows and Entra expects: echoing a large member list helps no one.
    // A client that names attributes gets them (200), as §3.5.2 requires.
    async patch({ organizationId, actor }, id, body, { expectedVersion, projection = {} }) {
      const change = groupChangeOf(id, readPatchRequest(body));
      const asked = Boolean(projection.attributes?.length || projection.excludedAttributes?.length);
      const { group } = await updateGroup(db, organizationId, id, change, actor,
        { expectedVersion, withMembers: asked && shows(groupType, projection, "members") });
      return asked ? rendered(200, group) : { status: 204, version: etagOf(group.version) };
    },
    async remove({ organizationId, actor }, id, { expectedVersion }) {
      await deleteGroup(db, organizationId, id, actor, { expectedVersion });
      return { status: 204 };
    },
  };
}

export function groupsRouter(deps: ScimDeps): Router {
  const router = Router();
  const { db } = deps;

  async function search(res: Response, params: Record<string, unknown>) {
    const { organizationId } = callerOf(res);
    const request = readListRequest(params, groupType, groupColumns, deps, organizationId);
    const { groups, ...page } = await listGroups(db, organizationId, request.query, withMembers(request.projection));
    res.json(request.response(page, groups.map((g) => project(groupType, toScimGroup(g, deps), request.projection))));
  }

  router.get("/", (req, res) => search(res, req.query as Record<string, unknown>));
  router.post("/.search", (req, res) => search(res, req.body ?? {}));

  writeRoutes(router, groupWrites(deps));

  router.get("/:id", async (req: Request<{ id: string }>, res) => {
    const projection = projectionOf(req);
    const group = await getGroup(db, callerOf(res).organizationId, req.params.id, withMembers(projection));
    if (!group) throw new ScimError(404, null, `Group ${req.params.id} not found`);
    if (notModified(req, res, group.version)) return;
    sendResource(res, 200, groupType, toScimGroup(group, deps), projection);
  });

  return router;
}
