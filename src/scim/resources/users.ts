import { Response, Router } from "express";
import { userColumns } from "../../identity/attribute-columns.js";
import { Address, MultiValue, multiValuedUserAttributes, UserInput, UserRecord } from "../../identity/records.js";
import { createUser, deleteUser, getUser, listUsers, updateUser } from "../../identity/users.js";
import { callerOf, resourceUrl, ScimDeps } from "../context.js";
import { ScimError } from "../errors.js";
import { etagOf, notModified } from "../etag.js";
import { projectionOf, readListRequest } from "../list-request.js";
import { applyPatch, readPatchRequest } from "../patch.js";
import { project } from "../projection.js";
import { sendResource } from "../respond.js";
import { readResource, ScimObject } from "../resource-input.js";
import { ENTERPRISE_URN, USER_URN, userType } from "../schemas.js";
import { ResourceWrites, writeRoutes, Written } from "./writes.js";

/** Drops empty values so that output carries only what is set (RFC 7643 §2.5: unassigned = absent). */
function present(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) =>
    v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0) && !(typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0)));
}

export function toScimUser(user: UserRecord, deps: ScimDeps): ScimObject {
  const { managerId, ...enterprise } = user.enterprise;
  const extension = present({ ...enterprise, manager: managerId ? { value: managerId, $ref: resourceUrl(deps, "/Users", managerId) } : undefined });
  const location = resourceUrl(deps, "/Users", user.id);
  return present({
    schemas: Object.keys(extension).length ? [USER_URN, ENTERPRISE_URN] : [USER_URN],
    id: user.id,
    externalId: user.externalId,
    userName: user.userName,
    name: user.name,
    displayName: user.displayName,
    nickName: user.nickName,
    profileUrl: user.profileUrl,
    title: user.title,
    userType: user.userType,
    preferredLanguage: user.preferredLanguage,
    locale: user.locale,
    timezone: user.timezone,
    active: user.active,
    ...Object.fromEntries(multiValuedUserAttributes.map((a) => [a, user[a]])),
    addresses: user.addresses,
    groups: user.groups.map((g) => ({ value: g.id, $ref: resourceUrl(deps, "/Groups", g.id), display: g.displayName, type: "direct" })),
    [ENTERPRISE_URN]: extension,
    meta: { resourceType: "User", created: user.createdAt, lastModified: user.updatedAt, location, version: etagOf(user.version) },
  });
}

const str = (v: unknown) => (typeof v === "string" ? v : null);

/** Canonical SCIM JSON (see readResource) → the identity core's input. */
export function userInputOf(body: ScimObject): UserInput {
  const ext = (body[ENTERPRISE_URN] ?? {}) as ScimObject;
  const manager = ext.manager as ScimObject | undefined;
  return {
    userName: str(body.userName) ?? "",
    externalId: str(body.externalId),
    active: typeof body.active === "boolean" ? body.active : undefined,
    displayName: str(body.displayName),
    name: (body.name as UserInput["name"]) ?? null,
    nickName: str(body.nickName),
    profileUrl: str(body.profileUrl),
    title: str(body.title),
    userType: str(body.userType),
    preferredLanguage: str(body.preferredLanguage),
    locale: str(body.locale),
    timezone: str(body.timezone),
    password: str(body.password),
    ...Object.fromEntries(multiValuedUserAttributes.map((a) => [a, (body[a] as MultiValue[] | undefined) ?? []])),
    addresses: (body.addresses as Address[] | undefined) ?? [],
    enterprise: {
      employeeNumber: str(ext.employeeNumber), costCenter: str(ext.costCenter), organization: str(ext.organization),
      division: str(ext.division), department: str(ext.department), managerId: str(manager?.value),
    },
  };
}

/** The writes behind POST, PUT, PATCH and DELETE on /Users, shared with /Bulk. */
export function userWrites(deps: ScimDeps): ResourceWrites {
  const { db } = deps;
  const rendered = (status: 200 | 201, user: UserRecord): Written => ({ status, resource: toScimUser(user, deps) });
  return {
    type: userType,
    async create({ organizationId, actor }, body) {
      return rendered(201, await createUser(db, organizationId, userInputOf(readResource(userType, body)), actor, "scim"));
    },
    async replace({ organizationId, actor }, id, body, { expectedVersion }) {
      const input = userInputOf(readResource(userType, body));
      return rendered(200, await updateUser(db, organizationId, id, (current) => ({ ...input, active: input.active ?? current.active }),
        actor, { expectedVersion }));
    },
    async patch({ organizationId, actor }, id, body, { expectedVersion }) {
      const operations = readPatchRequest(body);
      return rendered(200, await updateUser(db, organizationId, id,
        (current) => userInputOf(readResource(userType, applyPatch(userType, toScimUser(current, deps), operations))),
        actor, { expectedVersion }));
    },
    async remove({ organizationId, actor }, id, { expectedVersion }) {
      await deleteUser(db, organizationId, id, actor, { expectedVersion });
      return { status: 204 };
    },
  };
}

export function usersRouter(deps: ScimDeps): Router {
  const router = Router();
  const { db } = deps;

  async function search(res: Response, params: Record<string, unknown>) {
    const { organizationId } = callerOf(res);
    const request = readListRequest(params, userType, userColumns, deps, organizationId);
    const { users, ...page } = await listUsers(db, organizationId, request.query);
    res.json(request.response(page, users.map((u) => project(userType, toScimUser(u, deps), request.projection))));
  }

  router.get("/", (req, res) => search(res, req.query as Record<string, unknown>));
  router.post("/.search", (req, res) => search(res, req.body ?? {}));

  writeRoutes(router, userWrites(deps));

  router.get("/:id", async (req, res) => {
    const user = await getUser(db, callerOf(res).organizationId, req.params.id);
    if (!user) throw new ScimError(404, null, `User ${req.params.id} not found`);
    if (notModified(req, res, user.version)) return;
    sendResource(res, 200, userType, toScimUser(user, deps), projectionOf(req));
  });

  return router;
}
