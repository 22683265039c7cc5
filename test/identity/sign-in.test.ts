import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Database, openDatabase } from "../../src/db/database.js";
import { listAuditEvents } from "../../src/identity/audit.js";
import { ConnectionRecord, createConnection } from "../../src/identity/connections.js";
import { createGroup, updateGroup } from "../../src/identity/groups.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { openSession } from "../../src/identity/sessions.js";
import { IdpProfile, signIn } from "../../src/identity/sign-in.js";
import {
  createTeam, replaceTeamMappings, setManualTeamMembership, setTeamMappingMode, teamsOfUser,
} from "../../src/identity/teams.js";
import { createUser, deleteUser, getUser, setUserActive } from "../../src/identity/users.js";
import { databaseTargets } from "../support/databases.js";

const system = { type: "system" as const, id: null };
const key = randomBytes(32);
const ISSUER = "https://idp.example.com";

const profile = (subject: string, extra: Partial<IdpProfile> = {}): IdpProfile => ({
  issuer: ISSUER, subject, email: `${subject}@example.com`, emailVerified: true, name: subject, givenName: null,
  familyName: null, groups: [], groupsOverage: false, raw: {}, ...extra,
});

async function tenantWithConnection(db: Database, slug: string): Promise<ConnectionRecord> {
  const org = await createOrganization(db, { slug, name: slug }, system);
  return createConnection(db, key, org.id, {
    type: "oidc", name: `${slug} idp`, loginPath: slug.replace(/[^a-z0-9]/g, ""), preset: "generic",
    oidc: { issuerUrl: ISSUER, clientId: "c", clientSecret: "s", scopes: ["openid"], claimMappings: { name: "name", email: "email", groups: "groups" } },
  }, system);
}

const sessionCount = async (db: Database, userId: string) =>
  Number((await db.dataSource.query(`SELECT COUNT(*) AS n FROM sessions WHERE user_id = '${userId}'`))[0].n);

for (const target of await databaseTargets()) {
  describe(`signIn (${target.name})`, { skip: target.skip }, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let conn: ConnectionRecord;
    let other: ConnectionRecord;
    let engineering: string;
    before(async () => {
      const created = await target.create({ migrated: true });
      drop = created.drop;
      db = await openDatabase({ url: created.url });
      conn = await tenantWithConnection(db, "acme");
      other = await tenantWithConnection(db, "globex");
      engineering = (await createTeam(db, conn.organizationId, { name: "Engineering", roles: ["developer"] }, system)).id;
      await replaceTeamMappings(db, conn.organizationId, engineering, [{ idpGroup: "eng" }, { idpGroup: "00000000-aaaa-bbbb-cccc-000000000001", alias: "Engineers (Entra)" }], system);
    });
    after(async () => {
      await db.close();
      await drop();
    });

    it("provisions an unknown user just in time with the teams its groups map to, and finds it again next time", async () => {
      const first = await signIn(db, conn, profile("ada", { groups: ["ENG", "unmapped"] }));
      assert.equal(first.refused, null);
      assert.equal(first.created, true);
      assert.deepEqual(first.teams.map((t) => [t.name, t.source]), [["Engineering", "idp"]]);
      assert.deepEqual(first.roles, ["developer"]);
      const user = await getUser(db, conn.organizationId, first.user!.id);
      assert.equal(user?.source, "jit");
      assert.equal(user?.emails[0].value, "ada@example.com");
      const again = await signIn(db, conn, profile("ada", { groups: ["eng"] }));
      assert.equal(again.created, false);
      assert.equal(again.user!.id, first.user!.id);
    });

    it("maps groups named by object id (Entra), matched case-insensitively", async () => {
      const out = await signIn(db, conn, profile("grace", { groups: ["00000000-AAAA-bbbb-cccc-000000000001"] }));
      assert.deepEqual(out.teams.map((t) => t.name), ["Engineering"]);
    });

    it("refuses a new user with no mapped group and creates nothing", async () => {
      const out = await signIn(db, conn, profile("mallory", { groups: ["sales"] }));
      assert.equal(out.refused?.reason, "no_mapped_group");
      assert.equal(out.user, null);
      const rows = await db.dataSource.query("SELECT id FROM users WHERE user_name_norm = 'mallory@example.com'");
      assert.equal(rows.length, 0);
      const [refusal] = await listAuditEvents(db.dataSource.manager, conn.organizationId, { action: "user.sign_in_refused", newestFirst: true, limit: 1 });
      assert.deepEqual(refusal.summary, { reason: "no_mapped_group", connection: conn.name, subject: "mallory", email: "mallory@example.com" });
      assert.equal(refusal.targetId, null);
    });

    it("deactivates an existing user whose groups no longer map, ending its sessions", async () => {
      const ok = await signIn(db, conn, profile("linus", { groups: ["eng"] }));
      await openSession(db, "sid-linus", "{}", new Date(Date.now() + 60_000), { type: "user", userId: ok.user!.id, organizationId: conn.organizationId });
      const out = await signIn(db, conn, profile("linus", { groups: ["sales"] }));
      assert.equal(out.refused?.reason, "no_mapped_group");
      assert.equal((await getUser(db, conn.organizationId, ok.user!.id))?.active, false);
      assert.equal(await sessionCount(db, ok.user!.id), 0);
      assert.equal((await signIn(db, conn, profile("linus", { groups: ["eng"] }))).refused?.reason, "user_inactive");
      const [refusal] = await listAuditEvents(db.dataSource.manager, conn.organizationId, { action: "user.sign_in_refused", newestFirst: true, limit: 1 });
      assert.equal(refusal.targetId, ok.user!.id, "the refusal names the account");
    });

    it("links a SCIM-provisioned user by externalId, or by verified email, never by an unverified one", async () => {
      const byExternalId = await createUser(db, conn.organizationId, { userName: "barbara@corp.example", externalId: "sub-barbara" }, system);
      const linked = await signIn(db, conn, profile("sub-barbara", { email: "other@example.com", emailVerified: false, groups: ["eng"] }));
      assert.equal(linked.user!.id, byExternalId.id);
      assert.equal(linked.linked, true);

      const entra = await createUser(db, conn.organizationId, { userName: "entra@corp.example", externalId: "0b1c-oid" }, system);
      const viaOid = await signIn(db, conn, profile("tenant:0b1c-oid", { externalId: "0b1c-oid", emailVerified: false, groups: ["eng"] }));
      assert.equal(viaOid.user!.id, entra.id, "Entra: the object id links the SCIM account");

      const byEmail = await createUser(db, conn.organizationId, { userName: "edsger", emails: [{ value: "Edsger@Example.com", primary: true }] }, system);
      assert.equal((await signIn(db, conn, profile("sub-edsger", { email: "edsger@example.com", groups: ["eng"] }))).user!.id, byEmail.id);

      const victim = await createUser(db, conn.organizationId, { userName: "victim@example.com" }, system);
      const takeover = await signIn(db, conn, profile("attacker", { email: "victim@example.com", emailVerified: false, groups: ["eng"] }));
      assert.equal(takeover.refused?.reason, "account_conflict");
      const identities = await db.dataSource.query(`SELECT * FROM external_identities WHERE user_id = '${victim.id}'`);
      assert.equal(identities.length, 0);
    });

    it("does not take over an account already linked to another identity of the connection", async () => {
      await signIn(db, conn, profile("first", { email: "shared@example.com", groups: ["eng"] }));
      const second = await signIn(db, conn, profile("second", { email: "shared@example.com", groups: ["eng"] }));
      assert.equal(second.refused?.reason, "account_conflict");
    });

    it("refuses a SCIM-deactivated user without re-creating it", async () => {
      const user = await createUser(db, conn.organizationId, { userName: "gone@example.com", externalId: "sub-gone", active: false }, system);
      const out = await signIn(db, conn, profile("sub-gone", { email: "gone@example.com", groups: ["eng"] }));
      assert.equal(out.refused?.reason, "user_inactive");
      const rows = await db.dataSource.query("SELECT id FROM users WHERE user_name_norm = 'gone@example.com'");
      assert.deepEqual(rows.map((r: { id: string }) => r.id), [user.id]);
    });

    it("fails closed on Entra group overage", async () => {
      const out = await signIn(db, conn, profile("many", { groups: [], groupsOverage: true }));
      assert.equal(out.refused?.reason, "group_overage");
      assert.match(out.refused!.message, /groups assigned to the application/);
    });

    it("never links a user of another organization", async () => {
      const out = await signIn(db, other, profile("ada", { groups: ["eng"] }));
      assert.equal(out.refused?.reason, "no_mapped_group");
      await setTeamMappingMode(db, other.organizationId, "manual", system);
      const jit = await signIn(db, other, profile("ada", { groups: ["eng"] }));
      assert.equal(jit.created, true);
      assert.equal(jit.refused?.reason, "awaiting_approval");
      const acme = await db.dataSource.query(`SELECT organization_id FROM users WHERE id = '${jit.user!.id}'`);
      assert.equal(acme[0].organization_id, other.organizationId);
    });

    it("a dry run reports the outcome and writes nothing", async () => {
      const tables = ["users", "user_values", "team_memberships", "external_identities", "audit_events", "sessions"];
      const snapshot = async () => JSON.stringify(await Promise.all(tables.map((t) => db.dataSource.query(`SELECT * FROM ${t} ORDER BY 1`))));
      const before = await snapshot();
      const out = await signIn(db, conn, profile("dry", { groups: ["eng"] }), { dryRun: true });
      assert.equal(out.created, true);
      assert.deepEqual(out.teams.map((t) => t.name), ["Engineering"]);
      assert.equal(await snapshot(), before);
    });

    describe("manual mode", () => {
      it("admins assign teams; a new user waits for approval until then", async () => {
        await setTeamMappingMode(db, other.organizationId, "manual", system);
        const team = await createTeam(db, other.organizationId, { name: "Support", roles: ["viewer"] }, system);
        const waiting = await signIn(db, other, profile("newbie"));
        assert.equal(waiting.refused?.reason, "awaiting_approval");
        await setManualTeamMembership(db, other.organizationId, team.id, waiting.user!.id, true, system);
        const ok = await signIn(db, other, profile("newbie"));
        assert.equal(ok.refused, null);
        assert.deepEqual(ok.teams.map((t) => [t.name, t.source]), [["Support", "manual"]]);
      });

      it("is refused while the IdP manages teams, with the reason", async () => {
        const user = await createUser(db, conn.organizationId, { userName: "nomanual" }, system);
        await assert.rejects(setManualTeamMembership(db, conn.organizationId, engineering, user.id, true, system),
          (err: Error) => /managed by the identity provider/.test(err.message));
      });
    });

    describe("SCIM-managed groups", () => {
      it("decide teams at once, without a login: join, rename, leave", async () => {
        const user = await createUser(db, conn.organizationId, { userName: "scim-user" }, system);
        const { group } = await createGroup(db, conn.organizationId, { displayName: "eng", memberIds: [user.id] }, system);
        assert.deepEqual((await teamsOfUser(db.dataSource.manager, conn.organizationId, user.id)).map((t) => t.name), ["Engineering"]);
        await updateGroup(db, conn.organizationId, group.id, { displayName: "engineering-old" }, system);
        assert.deepEqual(await teamsOfUser(db.dataSource.manager, conn.organizationId, user.id), []);
        await updateGroup(db, conn.organizationId, group.id, { displayName: "eng" }, system);
        assert.equal((await teamsOfUser(db.dataSource.manager, conn.organizationId, user.id)).length, 1);
        await updateGroup(db, conn.organizationId, group.id, { members: [{ op: "remove", userIds: [user.id] }] }, system);
        assert.deepEqual(await teamsOfUser(db.dataSource.manager, conn.organizationId, user.id), []);
        const audit = await listAuditEvents(db.dataSource.manager, conn.organizationId, { targetId: user.id, action: "user.teams_changed" });
        assert.equal(audit.length, 4);
      });

      it("a mapping change moves members at once", async () => {
        const user = await createUser(db, conn.organizationId, { userName: "mapped-later" }, system);
        await createGroup(db, conn.organizationId, { displayName: "platform", memberIds: [user.id] }, system);
        assert.deepEqual(await teamsOfUser(db.dataSource.manager, conn.organizationId, user.id), []);
        await replaceTeamMappings(db, conn.organizationId, engineering, [{ idpGroup: "eng" }, { idpGroup: "platform" }], system);
        assert.deepEqual((await teamsOfUser(db.dataSource.manager, conn.organizationId, user.id)).map((t) => t.name), ["Engineering"]);
      });
    });

    it("deactivating or deleting a user ends all its sessions in the same operation", async () => {
      const a = await createUser(db, conn.organizationId, { userName: "sessions-a" }, system);
      const b = await createUser(db, conn.organizationId, { userName: "sessions-b" }, system);
      const expires = new Date(Date.now() + 60_000);
      for (const [sid, user] of [["s1", a], ["s2", a], ["s3", b]] as const) {
        await openSession(db, sid, "{}", expires, { type: "user", userId: user.id, organizationId: conn.organizationId });
      }
      await setUserActive(db, conn.organizationId, a.id, false, system);
      assert.equal(await sessionCount(db, a.id), 0);
      assert.equal(await sessionCount(db, b.id), 1);
      await deleteUser(db, conn.organizationId, b.id, system);
      assert.equal(await sessionCount(db, b.id), 0);
      const [deactivated] = await listAuditEvents(db.dataSource.manager, conn.organizationId, { targetId: a.id, action: "user.deactivated" });
      assert.equal(deactivated.summary.sessionsEnded, 2);
    });
  });
}
