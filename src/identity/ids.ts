import { v7 } from "uuid";

/**
 * The id of a user, a group or an event: a UUIDv7 (RFC 9562), which begins with its creation time in milliseconds
 * and ends in 74 random bits. Indexes on these ids (the primary keys, user_values and team memberships by user,
 * events by id, the audit log by target) then grow at their right edge instead of at a random page each: a group
 * commit of many creates writes a few shared index pages instead of one per row and index, on SQLite's WAL and on
 * PostgreSQL's B-trees alike. Clients still get an opaque UUID; the time it carries is the resource's meta.created.
 */
export const newRowId = (): string => v7();
