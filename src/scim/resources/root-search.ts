/**
 * POST /.search at the root (RFC 7644 §3.4.3): one SearchRequest over every resource type, Users then Groups,
 * paged as one list. Index paging only: a cursor would have to span two keyset walks.
 *
 * A filter or sortBy that names an attribute one type lacks still applies to the other: the filter matches nothing
 * in the type that lacks it, the sort treats every value there as missing. Valid for neither type → 400.
 */
import { Request, Response } from "express";
import { groupColumns, ResourceColumns, userColumns } from "../../identity/attribute-columns.js";
import { listGroups } from "../../identity/groups.js";
import { ListQuery } from "../../identity/listing.js";
import { listUsers } from "../../identity/users.js";
import { callerOf, ScimDeps } from "../context.js";
import { ScimError } from "../errors.js";
import { compileFilter, compileSort, listResponse, readSearchParams } from "../list-request.js";
import { project, Projection, shows } from "../projection.js";
import { groupType, ResourceTypeDef, userType } from "../schemas.js";
import { toScimGroup } from "./groups.js";
import { toScimUser } from "./users.js";

interface Target {
  type: ResourceTypeDef;
  columns: ResourceColumns;
  list(organizationId: string, query: ListQuery, projection: Projection): Promise<{ total: number; resources: unknown[] }>;
}

function targets(deps: ScimDeps): Target[] {
  const { db } = deps;
  return [
    {
      type: userType, columns: userColumns,
      list: async (organizationId, query, projection) => {
        const { total, users } = await listUsers(db, organizationId, query);
        return { total, resources: users.map((u) => project(userType, toScimUser(u, deps), projection)) };
      },
    },
    {
      type: groupType, columns: groupColumns,
      list: async (organizationId, query, projection) => {
        const { total, groups } = await listGroups(db, organizationId, query, { withMembers: shows(groupType, projection, "members") });
        return { total, resources: groups.map((g) => project(groupType, toScimGroup(g, deps), projection)) };
      },
    },
  ];
}

/** `compile` for each type, null where it throws a SCIM error; when it throws for every type, those errors joined. */
function perType<T>(all: Target[], compile: (t: Target) => T): (T | null)[] {
  const errors: ScimError[] = [];
  const out = all.map((t) => {
    try {
      return compile(t);
    } catch (e) {
      if (!(e instanceof ScimError)) throw e;
      errors.push(new ScimError(e.status, e.scimType, `${t.type.name}: ${e.message}`));
      return null;
    }
  });
  if (errors.length === all.length) throw new ScimError(400, errors[0].scimType, errors.map((e) => e.message).join("; "));
  return out;
}

export function rootSearch(deps: ScimDeps) {
  const all = targets(deps);
  return async (req: Request, res: Response) => {
    const search = readSearchParams(req.body ?? {});
    if (!("startIndex" in search.paging)) {
      throw new ScimError(400, "invalidCursor", "Cursor paging is not available at /.search across resource types; use startIndex, or /Users/.search and /Groups/.search with a cursor.");
    }
    const { startIndex } = search.paging;
    const conditions = perType(all, (t) => compileFilter(search, t.columns, deps.db));
    const sorts = perType(all, (t) => compileSort(search, t.type, t.columns, deps.db));
    const { organizationId } = callerOf(res);
    // Each type is counted, then skipped past or read from; together the pages form one list, Users first.
    let skip = startIndex - 1;
    let totalResults = 0;
    const resources: unknown[] = [];
    for (const [i, t] of all.entries()) {
      if (conditions[i] === null) continue;
      const page = await t.list(organizationId, {
        condition: conditions[i], sort: sorts[i] ?? undefined, start: { offset: skip }, limit: search.count - resources.length,
      }, search.projection);
      skip = Math.max(0, skip - page.total);
      totalResults += page.total;
      resources.push(...page.resources);
    }
    res.json(listResponse(totalResults, startIndex, resources));
  };
}
