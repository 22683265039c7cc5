import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { Database, openDatabase } from "../../src/db/database.js";
import { consumeEvents, listEventsAfter, LifecycleEvent } from "../../src/identity/events/outbox.js";
import { createGroup, updateGroup } from "../../src/identity/groups.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createTeam, replaceTeamMappings } from "../../src/identity/teams.js";
import { createUser, deleteUser, setUserActive, updateUser } from "../../src/identity/users.js";
import { databaseTargets } from "../support/databases.js";
import { eventsSettled } from "../support/events.js";

const scim = { type: "scim_token" as const, id: "tok" };
const admin = { type: "admin" as const, id: "adm" };

for (const target of await databaseTargets()) {
  describe(`lifecycle events outbox (${target.name})`, { skip: target.skip }, () => {
    let db: Database;
    let databaseUrl: string;
    let drop: () => Promise<void>;
    let org: string;
    let other: string;
    before(async () => {
      const created = await target.create({ migrated: true });
      drop = created.drop;
      databaseUrl = created.url;
      db = await openDatabase({ url: created.url });
      org = (await createOrganization(db, { slug: "ev", name: "Ev" }, admin)).id;
      other = (await createOrganization(db, { slug: "other", name: "Other" }, admin)).id;
    });
    after(async () => {
      await db.close();
      await drop();
    });

    const all = async (organizationId: string, cursor: string | null = null, types: string[] = []) => {
      await eventsSettled(db);
      return listEventsAfter(db.dataSource.manager, { organizationId }, cursor, types, 1000);
    };

    it("a user's lifecycle publishes one event per change, in order, with the resource as the admin API shows it", async () => {
      const start = (await all(org)).at(-1)?.cursor ?? null;
      const user = await createUser(db, org, { userName: "ada@ev.test", emails: [{ value: "ada@ev.test", primary: true }] }, scim);
      await updateUser(db, org, user.id, (u) => ({ ...u, displayName: "Ada L." }), scim);
      await setUserActive(db, org, user.id, false, scim);
      await setUserActive(db, org, user.id, true, scim);
      await deleteUser(db, org, user.id, scim);
      const events = (await all(org, start)).filter((e) => e.subjectId === user.id);
      assert.deepEqual(events.map((e) => e.type), ["user.created", "user.updated", "user.deactivated", "user.reactivated", "user.deleted"]);
      const [created, updated, deactivated] = events;
      assert.equal(created.data.userName, "ada@ev.test");
      assert.equal(created.data.email, "ada@ev.test");
      assert.equal(created.organizationId, org);
      assert.deepEqual(created.actor, scim);
      assert.equal(updated.data.displayName, "Ada L.");
      assert.equal(deactivated.data.active, false);
      assert.deepEqual(events[4].data.id, user.id);
      assert.ok(events.every((e, i) => i === 0 || e.cursor !== events[i - 1].cursor));
      assert.equal((await all(other)).filter((e) => e.subjectId === user.id).length, 0, "another organization sees none of them");
    });

    it("membership changes publish per-user events and team moves say from, to and why; a failed change publishes nothing", async () => {
      const start = (await all(org)).at(-1)?.cursor ?? null;
      const team = await createTeam(db, org, { name: "Eng", roles: ["dev"] }, admin);
      await replaceTeamMappings(db, org, team.id, [{ idpGroup: "engineers" }], admin);
      await createGroup(db, org, { displayName: "first pushed group" }, scim); // the organization's groups now come from SCIM
      const bob = await createUser(db, org, { userName: "bob@ev.test" }, scim);
      const { group } = await createGroup(db, org, { displayName: "engineers", memberIds: [bob.id] }, scim);
      await updateGroup(db, org, group.id, { members: [{ op: "add", userIds: [bob.id] }] }, scim);
      await updateGroup(db, org, group.id, { members: [{ op: "remove", userIds: [bob.id] }] }, scim);
      await assert.rejects(createUser(db, org, { userName: "bob@ev.test" }, scim));
      const bobs = (await all(org, start)).filter((e) => e.subjectId === bob.id);
      assert.deepEqual(bobs.map((e) => e.type), [
        "user.created", "group.membership_added", "team.membership_changed", "group.membership_removed", "team.membership_changed",
      ], "re-adding a member changes nothing; the refused duplicate published nothing");
      const [joined, moved] = [bobs[1], bobs[2]] as LifecycleEvent[];
      assert.deepEqual(joined.data.group, { id: group.id, displayName: "engineers" });
      assert.deepEqual(moved.data.change, { added: ["Eng"], removed: [], source: "idp", cause: "group_membership", from: [], to: ["Eng"] });
      assert.deepEqual((bobs[4].data.change as { to: string[] }).to, []);
    });

    it("an open transaction holds readers back only in this database, not in another on the same server", { skip: target.name !== "postgres" && "PostgreSQL only" }, async () => {
      const connectTo = async (url: string) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query("BEGIN");
        await client.query("SELECT pg_current_xact_id()");
        return client;
      };
      const elsewhere = new URL(databaseUrl);
      elsewhere.pathname = "/postgres";
      const foreign = await connectTo(elsewhere.href);
      try {
        const user = await createUser(db, org, { userName: "while-foreign@ev.test" }, scim);
        const seen = await listEventsAfter(db.dataSource.manager, { organizationId: org }, null, [], 1000);
        assert.ok(seen.some((e) => e.subjectId === user.id), "another database's open transaction does not hold the event back");
      } finally {
        await foreign.query("ROLLBACK");
        await foreign.end();
      }
      const ours = await connectTo(databaseUrl);
      try {
        const user = await createUser(db, org, { userName: "while-ours@ev.test" }, scim);
        const seen = await listEventsAfter(db.dataSource.manager, { organizationId: org }, null, [], 1000);
        assert.ok(!seen.some((e) => e.subjectId === user.id), "an older open transaction of this database could still commit before it");
      } finally {
        await ours.query("ROLLBACK");
        await ours.end();
      }
      await eventsSettled(db);
    });

    it("filters by type, pages by cursor, and a consumer is handed each event once", async () => {
      const first = await all(org, null, ["user.created"]);
      assert.ok(first.length >= 2 && first.every((e) => e.type === "user.created"));
      const page = await listEventsAfter(db.dataSource.manager, { organizationId: org }, first[0].cursor, ["user.created"], 1);
      assert.equal(page[0].id, first[1].id);
      await assert.rejects(listEventsAfter(db.dataSource.manager, { organizationId: org }, "nope", [], 1), /not an event cursor/);

      const seen: string[] = [];
      const consume = () => consumeEvents(db, "test-consumer", { types: ["user.created"] }, async (_em, events) => void seen.push(...events.map((e) => e.id)));
      assert.equal(await consume(), 0, "a new consumer starts after the newest event");
      const carol = await createUser(db, org, { userName: "carol@ev.test" }, scim);
      await createUser(db, other, { userName: "dan@other.test" }, scim);
      await eventsSettled(db);
      assert.equal(await consume(), 2);
      assert.equal(await consume(), 0);
      const ids = (await listEventsAfter(db.dataSource.manager, "instance", null, ["user.created"], 100_000)).slice(-2).map((e) => e.id);
      assert.deepEqual(seen, ids);
      assert.ok(ids.length === 2 && carol.id);
    });
  });
}
