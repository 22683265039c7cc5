import { Address, MultiValue, MultiValuedUserAttribute, multiValuedUserAttributes, UserInput, UserRecord } from "./records.js";
import { User, UserValue } from "../../entities/index.js";
import { foldCase, foldedPrefix } from "./text.js";

/** Translation between UserRecord and the users / user_values rows. Nothing else knows the column layout. */

const orNull = <T>(v: T | null | undefined): T | null => (v === undefined ? null : v);

export function userColumnsOf(input: UserInput): Partial<User> {
  return {
    userName: input.userName,
    userNameNorm: foldCase(input.userName),
    externalId: orNull(input.externalId),
    active: input.active ?? true,
    displayName: orNull(input.displayName),
    nameFormatted: orNull(input.name?.formatted),
    nameFamilyName: orNull(input.name?.familyName),
    nameFamilyNameNorm: foldedPrefix(input.name?.familyName),
    nameGivenName: orNull(input.name?.givenName),
    nameMiddleName: orNull(input.name?.middleName),
    nameHonorificPrefix: orNull(input.name?.honorificPrefix),
    nameHonorificSuffix: orNull(input.name?.honorificSuffix),
    nickName: orNull(input.nickName),
    profileUrl: orNull(input.profileUrl),
    title: orNull(input.title),
    userType: orNull(input.userType),
    preferredLanguage: orNull(input.preferredLanguage),
    locale: orNull(input.locale),
    timezone: orNull(input.timezone),
    employeeNumber: orNull(input.enterprise?.employeeNumber),
    costCenter: orNull(input.enterprise?.costCenter),
    enterpriseOrganization: orNull(input.enterprise?.organization),
    division: orNull(input.enterprise?.division),
    department: orNull(input.enterprise?.department),
    managerId: orNull(input.enterprise?.managerId),
  };
}

export function userValuesOf(organizationId: string, userId: string, input: UserInput): Partial<UserValue>[] {
  const rows: Partial<UserValue>[] = [];
  const common = (attribute: string, position: number, v: MultiValue | Address) => ({
    organizationId, userId, attribute, position, display: null, value: null, valueNorm: null,
    type: orNull(v.type), primary: orNull(v.primary), formatted: null, streetAddress: null, locality: null,
    region: null, postalCode: null, country: null,
  });
  for (const attribute of multiValuedUserAttributes) {
    (input[attribute] ?? []).forEach((v, position) => rows.push({
      ...common(attribute, position, v),
      value: orNull(v.value),
      valueNorm: v.value == null ? null : foldCase(v.value).slice(0, 512),
      display: orNull(v.display),
    }));
  }
  (input.addresses ?? []).forEach((a, position) => rows.push({
    ...common("addresses", position, a),
    formatted: orNull(a.formatted), streetAddress: orNull(a.streetAddress), locality: orNull(a.locality),
    region: orNull(a.region), postalCode: orNull(a.postalCode), country: orNull(a.country),
  }));
  return rows;
}

/** Drops unset keys so that records compare and render without `null` noise. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as T;
}

export function userRecordOf(row: User, values: UserValue[], groups: UserRecord["groups"]): UserRecord {
  const multi = Object.fromEntries(multiValuedUserAttributes.map((a) => [a, [] as MultiValue[]])) as Record<MultiValuedUserAttribute, MultiValue[]>;
  const addresses: Address[] = [];
  for (const v of [...values].sort((a, b) => a.position - b.position)) {
    if (v.attribute === "addresses") {
      addresses.push(compact({
        formatted: v.formatted, streetAddress: v.streetAddress, locality: v.locality, region: v.region,
        postalCode: v.postalCode, country: v.country, type: v.type, primary: v.primary === null ? null : Boolean(v.primary),
      }));
    } else {
      multi[v.attribute as MultiValuedUserAttribute]?.push(compact({
        value: v.value, display: v.display, type: v.type, primary: v.primary === null ? null : Boolean(v.primary),
      }));
    }
  }
  return {
    id: row.id,
    organizationId: row.organizationId,
    userName: row.userName,
    externalId: row.externalId,
    active: Boolean(row.active),
    source: row.source,
    hasPassword: row.passwordHash !== null,
    displayName: row.displayName,
    name: compact({
      formatted: row.nameFormatted, familyName: row.nameFamilyName, givenName: row.nameGivenName,
      middleName: row.nameMiddleName, honorificPrefix: row.nameHonorificPrefix, honorificSuffix: row.nameHonorificSuffix,
    }),
    nickName: row.nickName,
    profileUrl: row.profileUrl,
    title: row.title,
    userType: row.userType,
    preferredLanguage: row.preferredLanguage,
    locale: row.locale,
    timezone: row.timezone,
    ...multi,
    addresses,
    enterprise: compact({
      employeeNumber: row.employeeNumber, costCenter: row.costCenter, organization: row.enterpriseOrganization,
      division: row.division, department: row.department, managerId: row.managerId,
    }),
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    groups,
  };
}

/** The email a user is reached at: the primary one, else the first. */
export const primaryEmail = (user: UserRecord): string | null => (user.emails.find((e) => e.primary) ?? user.emails[0])?.value ?? null;
