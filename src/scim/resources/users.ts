import { Response, Router } from "express";
import { userColumns } from "../../identity/attribute-columns.js";
import { Address, MultiValue, multiValuedUserAttributes, UserInput, UserRecord } from "../../identity/records.js";
import { createUser, deleteUser, getUser, listUsers, updateUser } from "../../identity/users.js";
import { callerOf, resourceUrl, ScimDeps } from "../context.js";
import { ScimError } from "../errors.js";
import { etagOf, expectedVersion, notModified } from "../etag.js";
import { listResponse, projectionOf, readListRequest } from "../list-request.js";
import { applyPatch, readPatchRequest } from "../patch.js";
import { project } from "../projection.js";
import { sendResource } from "../respond.js";
import { readResource, ScimObject } from "../resource-input.js";
import { ENTERPRISE_URN, USER_URN, userType } from "../schemas.js";

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

export function usersRouter(deps: ScimDeps): Router {
  const router = Router();
  const { db } = deps;

  async function search(res: Response, params: Record<string, unknown>) {
    const { organizationId } = callerOf(res);
    const { query, startIndex, projection } = readListRequest(params, userType, userColumns, db);
    const { total, users } = await listUsers(db, organizationId, query);
    res.json(listResponse(total, startIndex, users.map((u) => project(userType, toScimUser(u, deps), projection))));
  }

  router.get("/", (req, res) => search(res, req.query as Record<string, unknown>));
  router.post("/.search", (req, res) => search(res, req.body ?? {}));

  router.post("/", async (req, res) => {
    const { organizationId, actor } = callerOf(res);
    const user = await createUser(db, organizationId, userInputOf(readResource(userType, req.body)), actor, "scim");
    sendResource(res, 201, userType, toScimUser(user, deps));
  });

  router.get("/:id", async (req, res) => {
    const user = await getUser(db, callerOf(res).organizationId, req.params.id);
    if (!user) throw new ScimError(404, null, `User ${req.params.id} not found`);
    if (notModified(req, res, user.version)) return;
    sendResource(res, 200, userType, toScimUser(user, deps), projectionOf(req));
  });

  router.put("/:id", async (req, res) => {
    const { organizationId, actor } = callerOf(res);
    const input = userInputOf(readResource(userType, req.body));
    const user = await updateUser(db, organizationId, req.params.id, (current) => ({ ...input, active: input.active ?? current.active }),
      actor, { expectedVersion: expectedVersion(req) });
    sendResource(res, 200, userType, toScimUser(user, deps), projectionOf(req));
  });

  router.patch("/:id", async (req, res) => {
    const { organizationId, actor } = callerOf(res);
    const operations = readPatchRequest(req.body);
    const user = await updateUser(db, organizationId, req.params.id,
      (current) => userInputOf(readResource(userType, applyPatch(userType, toScimUser(current, deps), operations))),
      actor, { expectedVersion: expectedVersion(req) });
    sendResource(res, 200, userType, toScimUser(user, deps), projectionOf(req));
  });

  router.delete("/:id", async (req, res) => {
    const { organizationId, actor } = callerOf(res);
    await deleteUser(db, organizationId, req.params.id, actor, { expectedVersion: expectedVersion(req) });
    res.status(204).end();
  });

  return router;
}
