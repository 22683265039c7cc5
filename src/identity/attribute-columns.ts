import type { CountedResource } from "./resource-counts.js";

/**
 * Where each filterable, sortable attribute lives in SQL. Keys are lower-case attribute paths as RFC 7643 names
 * them (`name.familyname`, `meta.lastmodified`), extension attributes under their full URN. The SCIM door turns
 * filters and sortBy into SQL with this map; list queries alias the users table `u` and the groups table `g`.
 */

export type ValueType = "string" | "boolean" | "dateTime" | "integer" | "reference" | "binary";

export interface ScalarColumn {
  kind: "scalar";
  /** SQL expression of the value, e.g. `u.title`. */
  sql: string;
  type: ValueType;
  caseExact: boolean;
  /** The column already holds folded text (see foldCase), so compare it with a folded parameter, no SQL fold. */
  folded?: boolean;
  /**
   * An indexed column holding the value's foldedPrefix (its first FOLDED_PREFIX_LENGTH folded characters): `sw` with a
   * prefix no longer than that is a range of its index.
   */
  foldedPrefix?: string;
}

/**
 * A multi-valued attribute stored as child rows; a condition on it becomes a semi-join on those rows,
 * `outer IN (SELECT key FROM from WHERE organization = :organizationId AND where AND …)`, which the child table's
 * lookup index can answer (an EXISTS correlated per resource row ran once per user: 6 s at 1,000,000 users).
 */
export interface ChildRows {
  kind: "multi";
  /** `FROM …` part of the subquery, with its alias, e.g. `user_values v`. */
  from: string;
  /** The child column naming the resource row, e.g. `v.user_id`, and the resource column it matches, `u.id`. */
  key: string;
  outer: string;
  /** The child's organization column: list queries bind `:organizationId`, and the subquery stays in the tenant. */
  organization: string;
  /** Rows of this attribute only, e.g. `v.attribute = 'emails'`. */
  where?: string;
  /** Sub-attributes by lower-case name; `value` is used when a filter names the attribute alone. */
  subAttributes: Record<string, ScalarColumn>;
}

/** The child rows of the current resource row, for correlated subqueries (sortBy on a multi-valued attribute). */
export const correlation = (rows: ChildRows) => `${rows.key} = ${rows.outer}${rows.where ? ` AND ${rows.where}` : ""}`;

export type StoredAttribute = ScalarColumn | ChildRows;

export interface ResourceColumns {
  /** Table and alias of the resource, e.g. `users u`. */
  from: string;
  alias: string;
  /** Its count in resource_counts (the total of an unfiltered list). */
  counted: CountedResource;
  /** The index in the default page order, (organization_id, created_at, id). */
  creationIndex: string;
  attributes: Record<string, StoredAttribute>;
}

const string = (sql: string, caseExact = false): ScalarColumn => ({ kind: "scalar", sql, type: "string", caseExact });
const folded = (sql: string): ScalarColumn => ({ kind: "scalar", sql, type: "string", caseExact: false, folded: true });
const dateTime = (sql: string): ScalarColumn => ({ kind: "scalar", sql, type: "dateTime", caseExact: true });
const boolean = (sql: string): ScalarColumn => ({ kind: "scalar", sql, type: "boolean", caseExact: true });

export const ENTERPRISE_USER_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const enterprise = (name: string) => `${ENTERPRISE_USER_URN}:${name}`.toLowerCase();

function userValues(attribute: string, extra: Record<string, ScalarColumn> = {}, valueCaseExact = false): ChildRows {
  return {
    kind: "multi",
    from: "user_values v",
    key: "v.user_id",
    outer: "u.id",
    organization: "v.organization_id",
    where: `v.attribute = '${attribute}'`,
    subAttributes: {
      value: valueCaseExact ? string("v.value", true) : folded("v.value_norm"),
      display: string("v.display"),
      type: string("v.type"),
      primary: boolean('v."primary"'),
      ...extra,
    },
  };
}

const address = userValues("addresses", {
  formatted: string("v.formatted"),
  streetaddress: string("v.street_address"),
  locality: string("v.locality"),
  region: string("v.region"),
  postalcode: string("v.postal_code"),
  country: string("v.country"),
});

const enterpriseColumns: Record<string, StoredAttribute> = {
  employeenumber: string("u.employee_number"),
  costcenter: string("u.cost_center"),
  organization: string("u.enterprise_organization"),
  division: string("u.division"),
  department: string("u.department"),
  "manager.value": string("u.manager_id", true),
};

export const userColumns: ResourceColumns = {
  from: "users u",
  alias: "u",
  counted: "users",
  creationIndex: "idx_users_org_created",
  attributes: {
    id: string("u.id", true),
    externalid: string("u.external_id", true),
    username: folded("u.user_name_norm"),
    displayname: string("u.display_name"),
    nickname: string("u.nick_name"),
    profileurl: string("u.profile_url", true),
    title: string("u.title"),
    usertype: string("u.user_type"),
    preferredlanguage: string("u.preferred_language"),
    locale: string("u.locale"),
    timezone: string("u.timezone"),
    active: boolean("u.active"),
    "name.formatted": string("u.name_formatted"),
    "name.familyname": { ...string("u.name_family_name"), foldedPrefix: "u.name_family_name_norm" },
    "name.givenname": string("u.name_given_name"),
    "name.middlename": string("u.name_middle_name"),
    "name.honorificprefix": string("u.name_honorific_prefix"),
    "name.honorificsuffix": string("u.name_honorific_suffix"),
    "meta.created": dateTime("u.created_at"),
    "meta.lastmodified": dateTime("u.updated_at"),
    emails: userValues("emails"),
    phonenumbers: userValues("phoneNumbers"),
    ims: userValues("ims"),
    photos: userValues("photos", {}, true),
    entitlements: userValues("entitlements"),
    roles: userValues("roles"),
    x509certificates: userValues("x509Certificates", {}, true),
    addresses: address,
    groups: {
      kind: "multi",
      from: "group_members gm",
      key: "gm.user_id",
      outer: "u.id",
      organization: "gm.organization_id",
      subAttributes: {
        value: string("gm.group_id", true),
        display: string("(SELECT g2.display_name FROM groups g2 WHERE g2.id = gm.group_id)"),
      },
    },
    ...Object.fromEntries(Object.entries(enterpriseColumns).map(([k, v]) => [enterprise(k), v])),
  },
};

export const groupColumns: ResourceColumns = {
  from: "groups g",
  alias: "g",
  counted: "groups",
  creationIndex: "idx_groups_org_created",
  attributes: {
    id: string("g.id", true),
    externalid: string("g.external_id", true),
    displayname: folded("g.display_name_norm"),
    "meta.created": dateTime("g.created_at"),
    "meta.lastmodified": dateTime("g.updated_at"),
    members: {
      kind: "multi",
      from: "group_members m",
      key: "m.group_id",
      outer: "g.id",
      organization: "m.organization_id",
      subAttributes: {
        value: string("m.user_id", true),
        display: string("(SELECT u2.user_name FROM users u2 WHERE u2.id = m.user_id)"),
      },
    },
  },
};
