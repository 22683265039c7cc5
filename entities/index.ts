import { AuditEvent } from "./AuditEvent.js";
import { Group } from "./Group.js";
import { GroupMember } from "./GroupMember.js";
import { Organization } from "./Organization.js";
import { ScimToken } from "./ScimToken.js";
import { User } from "./User.js";
import { UserValue } from "./UserValue.js";

export { AuditEvent, Group, GroupMember, Organization, ScimToken, User, UserValue };
export const entities = [Organization, ScimToken, User, UserValue, Group, GroupMember, AuditEvent];
