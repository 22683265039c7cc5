/**
 * The identity core's view of users and groups. Attribute names follow RFC 7643 so that the SCIM door maps them
 * one to one, but nothing here knows about SCIM messages, paths or filters.
 */

export interface MultiValue {
  value?: string | null;
  display?: string | null;
  type?: string | null;
  primary?: boolean | null;
}

export interface Address {
  formatted?: string | null;
  streetAddress?: string | null;
  locality?: string | null;
  region?: string | null;
  postalCode?: string | null;
  country?: string | null;
  type?: string | null;
  primary?: boolean | null;
}

export interface PersonName {
  formatted?: string | null;
  familyName?: string | null;
  givenName?: string | null;
  middleName?: string | null;
  honorificPrefix?: string | null;
  honorificSuffix?: string | null;
}

export interface EnterpriseFields {
  employeeNumber?: string | null;
  costCenter?: string | null;
  organization?: string | null;
  division?: string | null;
  department?: string | null;
  /** The manager's user id: a user of the same organization (users.ts drops any other id, and audits it). */
  managerId?: string | null;
}

export const multiValuedUserAttributes = [
  "emails", "phoneNumbers", "ims", "photos", "entitlements", "roles", "x509Certificates",
] as const;
export type MultiValuedUserAttribute = (typeof multiValuedUserAttributes)[number];

/** What a caller may set on a user: a full replacement of every writable field. */
export interface UserInput {
  userName: string;
  externalId?: string | null;
  active?: boolean;
  displayName?: string | null;
  name?: PersonName | null;
  nickName?: string | null;
  profileUrl?: string | null;
  title?: string | null;
  userType?: string | null;
  preferredLanguage?: string | null;
  locale?: string | null;
  timezone?: string | null;
  /** Plain text as received; hashed before it is stored, never stored or returned as is. */
  password?: string | null;
  emails?: MultiValue[];
  phoneNumbers?: MultiValue[];
  ims?: MultiValue[];
  photos?: MultiValue[];
  entitlements?: MultiValue[];
  roles?: MultiValue[];
  x509Certificates?: MultiValue[];
  addresses?: Address[];
  enterprise?: EnterpriseFields | null;
}

export interface UserRecord extends Omit<UserInput, "password"> {
  id: string;
  organizationId: string;
  externalId: string | null;
  active: boolean;
  source: string;
  hasPassword: boolean;
  emails: MultiValue[];
  phoneNumbers: MultiValue[];
  ims: MultiValue[];
  photos: MultiValue[];
  entitlements: MultiValue[];
  roles: MultiValue[];
  x509Certificates: MultiValue[];
  addresses: Address[];
  enterprise: EnterpriseFields;
  name: PersonName;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** The groups the user is a direct member of. */
  groups: { id: string; displayName: string }[];
}

export interface GroupRecord {
  id: string;
  organizationId: string;
  displayName: string;
  externalId: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** Present only when the caller asked for members: a 100,000-member group is not loaded to rename it. */
  members?: { userId: string; userName: string }[];
}

/** One step of a membership change; a PATCH becomes a list of these, applied in order in one transaction. */
export type MembershipChange =
  | { op: "add"; userIds: string[] }
  | { op: "remove"; userIds: string[] }
  | { op: "removeAll" }
  | { op: "set"; userIds: string[] };

export interface GroupChange {
  displayName?: string;
  externalId?: string | null;
  members?: MembershipChange[];
}

export interface Actor {
  /**
   * `admin`: an admin account (or the CLI, id `cli`); `user`: an SSO user whose team grants the admin role;
   * `setup_link`: a customer's IT admin through a setup link; `sso`: a login through the connection of that id.
   */
  type: "scim_token" | "admin" | "user" | "setup_link" | "system" | "sso";
  id: string | null;
}
