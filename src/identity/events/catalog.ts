/**
 * The lifecycle events the identity core publishes, and which audit action publishes which. An event is written by
 * recordAudit (audit.ts) in the transaction of the change, so no writer can record one without the other; the few
 * events with no audit entry of their own (a group's member changes, ended sessions) are published beside it.
 */
export const eventTypes = [
  "user.created", "user.updated", "user.deactivated", "user.reactivated", "user.deleted",
  "group.created", "group.updated", "group.deleted", "group.membership_added", "group.membership_removed",
  "team.membership_changed", "session.ended",
  "connection.created", "connection.updated", "connection.enabled", "connection.disabled", "connection.deleted",
  "scim_token.created", "scim_token.revoked", "setup.completed",
] as const;

export type EventType = (typeof eventTypes)[number];

/**
 * How an audited change becomes an event: its type, and whether the event carries the resource as the admin API
 * shows it after the change (`resource`) or only a reference to it (a mapping change can move 100,000 users' teams:
 * each event names the user and the change, the user is not loaded 100,000 times).
 */
export interface Publication {
  type: EventType;
  resource: boolean;
}

const published = new Map<string, Publication>([
  ...eventTypes.filter((t) => !t.startsWith("group.membership") && t !== "team.membership_changed" && t !== "session.ended")
    .map((type): [string, Publication] => [type, { type, resource: !type.endsWith(".deleted") }]),
  ...["user.teams_changed", "user.team_assigned", "user.team_unassigned"]
    .map((action): [string, Publication] => [action, { type: "team.membership_changed", resource: false }]),
]);

/** The event an audit action publishes, if any (sign-ins, admin accounts and setup links' creation and use publish none). */
export const publicationOf = (action: string): Publication | undefined => published.get(action);

export const isEventType = (value: string): value is EventType => (eventTypes as readonly string[]).includes(value);
