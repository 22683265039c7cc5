import { Request, Response, Router } from "express";
import { groupColumns } from "../../identity/attribute-columns.js";
import { createGroup, deleteGroup, getGroup, listGroups, updateGroup } from "../../identity/groups.js";
import { GroupRecord } from "../../identity/records.js";
import { callerOf, resourceUrl, ScimDeps } from "../context.js";
import { invalidValue, ScimError } from "../errors.js";
import { etagOf, expectedVersion, notModified } from "../etag.js";
import { groupChangeOf } from "../group-patch.js";
import { listResponse, projectionOf, readListRequest } from "../list-request.js";
import { readPatchRequest } from "../patch.js";
import { project, Projection, shows } from "../projection.js";
import { sendResource } from "../respond.js";
import { readResource, ScimObject } from "../resource-input.js";
import { GROUP_URN, groupType } from "../schemas.js";

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

export function groupsRouter(deps: ScimDeps): Router {
  const router = Router();
  const { db } = deps;
  /** Members are loaded only when the response shows them: renaming a 100,000-member group reads none. */
  const withMembers = (projection: Projection) => ({ withMembers: shows(groupType, projection, "members") });

  async function search(res: Response, params: Record<string, unknown>) {
    const { query, startIndex, projection } = readListRequest(params, groupType, groupColumns, db);
    const { total, groups } = await listGroups(db, callerOf(res).organizationId, query, withMembers(projection));
    res.json(listResponse(total, startIndex, groups.map((g) => project(groupType, toScimGroup(g, deps), projection))));
  }

  router.get("/", (req, res) => search(res, req.query as Record<string, unknown>));
  router.post("/.search", (req, res) => search(res, req.body ?? {}));

  router.post("/", async (req, res) => {
    const { organizationId, actor } = callerOf(res);
    const { group } = await createGroup(db, organizationId, groupInputOf(readResource(groupType, req.body)), actor);
    sendResource(res, 201, groupType, toScimGroup(group, deps));
  });

  router.get("/:id", async (req: Request<{ id: string }>, res) => {
    const projection = projectionOf(req);
    const group = await getGroup(db, callerOf(res).organizationId, req.params.id, withMembers(projection));
    if (!group) throw new ScimError(404, null, `Group ${req.params.id} not found`);
    if (notModified(req, res, group.version)) return;
    sendResource(res, 200, groupType, toScimGroup(group, deps), projection);
  });

  router.put("/:id", async (req: Request<{ id: string }>, res) => {
    const { organizationId, actor } = callerOf(res);
    const input = groupInputOf(readResource(groupType, req.body));
    const projection = projectionOf(req);
    const { group } = await updateGroup(db, organizationId, req.params.id,
      { displayName: input.displayName, externalId: input.externalId, members: [{ op: "set", userIds: input.memberIds }] },
      actor, { expectedVersion: expectedVersion(req), ...withMembers(projection) });
    sendResource(res, 200, groupType, toScimGroup(group, deps), projection);
  });

  // 204 without a body, as RFC 7644 §3.5.2 allows and Entra expects: echoing a large member list helps no one.
  // A client that names attributes gets them (200), as §3.5.2 requires.
  router.patch("/:id", async (req: Request<{ id: string }>, res) => {
    const { organizationId, actor } = callerOf(res);
    const change = groupChangeOf(req.params.id, readPatchRequest(req.body));
    const projection = projectionOf(req);
    const asked = Boolean(projection.attributes?.length || projection.excludedAttributes?.length);
    const { group } = await updateGroup(db, organizationId, req.params.id, change, actor,
      { expectedVersion: expectedVersion(req), withMembers: asked && shows(groupType, projection, "members") });
    if (asked) sendResource(res, 200, groupType, toScimGroup(group, deps), projection);
    else res.status(204).set("ETag", etagOf(group.version)).end();
  });

  router.delete("/:id", async (req: Request<{ id: string }>, res) => {
    const { organizationId, actor } = callerOf(res);
    await deleteGroup(db, organizationId, req.params.id, actor, { expectedVersion: expectedVersion(req) });
    res.status(204).end();
  });

  return router;
}
