import { AdminAccount } from "./AdminAccount.js";
import { ApiToken } from "./ApiToken.js";
import { AuditEvent } from "./AuditEvent.js";
import { Connection } from "./Connection.js";
import { Domain } from "./Domain.js";
import { Event, EventConsumer } from "./Event.js";
import { ExternalIdentity } from "./ExternalIdentity.js";
import { Group } from "./Group.js";
import { GroupMember } from "./GroupMember.js";
import { OpClient } from "./OpClient.js";
import { OpLogoutDelivery } from "./OpLogoutDelivery.js";
import { OpRecord } from "./OpRecord.js";
import { OpSigningKey } from "./OpSigningKey.js";
import { Organization } from "./Organization.js";
import { ResourceCount } from "./ResourceCount.js";
import { ScimToken } from "./ScimToken.js";
import { Session } from "./Session.js";
import { SetupLink } from "./SetupLink.js";
import { SsoTransaction } from "./SsoTransaction.js";
import { Team } from "./Team.js";
import { TeamMapping } from "./TeamMapping.js";
import { TeamMembership } from "./TeamMembership.js";
import { User } from "./User.js";
import { UserValue } from "./UserValue.js";
import { WebhookDelivery, WebhookEndpoint } from "./Webhook.js";

export {
  AdminAccount, ApiToken, AuditEvent, Connection, Domain, Event, EventConsumer, ExternalIdentity, Group, GroupMember, OpClient,
  OpLogoutDelivery, OpRecord, OpSigningKey, Organization, ResourceCount, ScimToken, Session, SetupLink, SsoTransaction, Team, TeamMapping, TeamMembership,
  User, UserValue, WebhookDelivery, WebhookEndpoint,
};
export const entities = [
  Organization, ScimToken, User, UserValue, Group, GroupMember, AuditEvent, Team, TeamMapping, TeamMembership,
  Connection, ExternalIdentity, Session, SsoTransaction, AdminAccount, ApiToken, SetupLink, Domain, Event, EventConsumer,
  OpClient, OpSigningKey, OpRecord, OpLogoutDelivery, WebhookEndpoint, WebhookDelivery, ResourceCount,
];
