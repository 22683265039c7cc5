import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { Database, openDatabase } from "../../src/db/database.js";
import { listAuditEvents } from "../../src/identity/audit.js";
import { ConnectionRecord, createConnection, setConnectionEnabled, updateConnection } from "../../src/identity/connections.js";
import { DnsOptions } from "../../src/identity/dns-txt.js";
import {
  checkDomain, claimDomain, DomainRecord, getDomain, markDomainVerified, recheckDomains, setDomainConnection,
} from "../../src/identity/domains.js";
import { routeByEmail } from "../../src/identity/login-routing.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { IdpProfile, signIn } from "../../src/identity/sign-in.js";
import { createTeam, replaceTeamMappings, teamsOfUser } from "../../src/identity/teams.js";
import { createUser } from "../../src/identity/users.js";
import { databaseTargets } from "../support/databases.js";
import { startDnsServer, TestDns } from "../support/dns-server.js";

/**
 * Verified domains against a real DNS server on loopback: verification by TXT record (found, missing, timed out),
 * one organization per verified domain, the daily re-check, routing an email to connections, and the trust rules
 * that verified domains put on sign-in (email linking and JIT only inside them), with two connections in one org.
 */
const system = { type: "system" as const, id: null };
const key = randomBytes(32);
const logger = pino({ level: "silent" });

const oidc = (slug: string, loginPath: string, issuerUrl: string) => ({
  type: "oidc" as const, name: `${slug} ${loginPath}`, loginPath, preset: "generic",
  oidc: { issuerUrl, clientId: "c", clientSecret: "s", scopes: ["openid"], claimMappings: { name: "name", email: "email", groups: "groups" } },
});

const profile = (issuer: string, subject: string, email: string | null, extra: Partial<IdpProfile> = {}): IdpProfile => ({
  issuer, subject, email, emailVerified: true, name: subject, givenName: null, familyName: null, groups: ["staff"], groupsOverage: false, raw: {}, ...extra,
});

for (const target of await databaseTargets()) {
  describe(`verified domains (${target.name})`, { skip: target.skip }, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let dnsServer: TestDns;
    let dns: DnsOptions;
    let acme: string;
    let globex: string;
    let employees: ConnectionRecord;
    let partners: ConnectionRecord;

    /** Adds the domain's token to its TXT record (two organizations claiming one name may both publish theirs). */
    const publish = (d: DomainRecord) => dnsServer.records.set(d.challengeName, [...dnsServer.records.get(d.challengeName) ?? [], d.token]);

    before(async () => {
      const created = await target.create({ migrated: true });
      drop = created.drop;
      db = await openDatabase({ url: created.url });
      dnsServer = await startDnsServer();
      dns = { servers: [dnsServer.server], timeoutMs: 300 };
      acme = (await createOrganization(db, { slug: "acme", name: "Acme" }, system)).id;
      globex = (await createOrganization(db, { slug: "globex", name: "Globex" }, system)).id;
      employees = await createConnection(db, key, acme, oidc("acme", "acmestaff", "https://staff.idp.test"), system);
      partners = await createConnection(db, key, acme, oidc("acme", "acmepartners", "https://partners.idp.test"), system);
      const staff = await createTeam(db, acme, { name: "Staff", roles: ["viewer"] }, system);
      await replaceTeamMappings(db, acme, staff.id, [{ idpGroup: "staff" }], system);
    });
    after(async () => {
      await dnsServer.close();
      await db.close();
      await drop();
    });

    it("verifies a domain by its TXT record, and says why it could not", async () => {
      const claimed = await claimDomain(db, acme, "Acme.Example.", system);
      assert.equal(claimed.name, "acme.example", "stored lower case without the trailing dot");
      assert.equal(claimed.challengeName, "_rollcall-challenge.acme.example");
      assert.equal(claimed.verified, false);

      const missing = await checkDomain(db, acme, claimed.id, dns, system);
      assert.equal(missing.verified, false);
      assert.match(missing.checkError!, /no TXT record _rollcall-challenge\.acme\.example/);
      dnsServer.records.set(claimed.challengeName, ["someone-elses-token"]);
      assert.match((await checkDomain(db, acme, claimed.id, dns, system)).checkError!, /found 1 other value/);

      dnsServer.records.set(claimed.challengeName, ["v=spf1 -all", claimed.token]);
      const verified = await checkDomain(db, acme, claimed.id, dns, system);
      assert.deepEqual([verified.verified, verified.verifiedBy, verified.checkError], [true, "dns", null]);
      assert.ok(dnsServer.asked.includes("_rollcall-challenge.acme.example"), "the question reached the loopback server");
      const audit = await listAuditEvents(db.dataSource.manager, acme, { action: "domain.verified" });
      assert.deepEqual(audit.map((e) => e.summary), [{ name: "acme.example", by: "dns" }]);
    });

    it("refuses names that are not domains", async () => {
      for (const bad of ["localhost", "acme", "-acme.example", "acme..example", "10.0.0.1", "a b.example", "x".repeat(64) + ".example"]) {
        await assert.rejects(claimDomain(db, acme, bad, system), /is not a domain name/, bad);
      }
    });

    it("a silent DNS server times out without changing the domain's state", async () => {
      const slow = await claimDomain(db, acme, "slow.example", system);
      dnsServer.silent.add(slow.challengeName);
      const checked = await checkDomain(db, acme, slow.id, dns, system);
      assert.equal(checked.verified, false);
      assert.match(checked.checkError!, /no answer from the DNS server within 300 ms/);
    });

    it("one organization only may hold a domain verified; the others' claims stay claims", async () => {
      const mine = (await claimDomain(db, globex, "acme.example", system));
      publish(mine);
      await assert.rejects(checkDomain(db, globex, mine.id, dns, system), /verified by another organization/);
      assert.equal((await getDomain(db, globex, mine.id))!.verified, false);
      await assert.rejects(markDomainVerified(db, globex, mine.id, system), /verified by another organization/, "an operator cannot either");
      assert.equal(await getDomain(db, acme, mine.id), null, "and one organization cannot read another's domain");
      await assert.rejects(checkDomain(db, acme, mine.id, dns, system), /not found/);
    });

    it("the daily re-check withdraws a DNS verification whose record is gone, keeps it through a timeout, and leaves operators' alone", async () => {
      const gone = await claimDomain(db, globex, "globex.example", system);
      publish(gone);
      assert.equal((await checkDomain(db, globex, gone.id, dns, system)).verified, true);
      const byHand = await markDomainVerified(db, globex, (await claimDomain(db, globex, "globex-corp.example", system)).id, system);
      assert.equal(byHand.verifiedBy, "operator");
      const flaky = await claimDomain(db, globex, "flaky.example", system);
      publish(flaky);
      await checkDomain(db, globex, flaky.id, dns, system);

      dnsServer.records.delete(gone.challengeName);
      dnsServer.silent.add(flaky.challengeName);
      const outcome = await recheckDomains({ db, dns, logger }, { maxAgeMs: 0 });
      assert.ok(outcome.checked >= 3, JSON.stringify(outcome));
      assert.equal((await getDomain(db, globex, gone.id))!.verified, false, "record removed: no longer verified");
      assert.equal((await getDomain(db, globex, flaky.id))!.verified, true, "no answer is not an answer: still verified");
      assert.equal((await getDomain(db, globex, byHand.id))!.verified, true, "an operator's verification is not DNS's to withdraw");
      const lost = await listAuditEvents(db.dataSource.manager, globex, { action: "domain.verification_lost" });
      assert.deepEqual(lost.map((e) => e.targetId), [gone.id]);
      const marked = await listAuditEvents(db.dataSource.manager, globex, { action: "domain.verified" });
      assert.ok(marked.some((e) => e.targetId === byHand.id && (e.summary as { by: string }).by === "operator"), "marking by hand is audited");
    });

    it("a second enabled connection needs a verified domain; then both are enabled", async () => {
      const lone = (await createOrganization(db, { slug: "lone", name: "Lone" }, system)).id;
      const first = await createConnection(db, key, lone, oidc("lone", "lonea", "https://a.idp.test"), system);
      const second = await createConnection(db, key, lone, oidc("lone", "loneb", "https://b.idp.test"), system);
      await setConnectionEnabled(db, key, lone, first.id, true, system);
      await assert.rejects(setConnectionEnabled(db, key, lone, second.id, true, system), /verify the organization's domain first/);
      await markDomainVerified(db, lone, (await claimDomain(db, lone, "lone.example", system)).id, system);
      assert.equal((await setConnectionEnabled(db, key, lone, second.id, true, system)).enabled, true);
    });

    it("routes an email by its verified domain (or a parent) to the domain's connection, the default, or every enabled one", async () => {
      await setConnectionEnabled(db, key, acme, employees.id, true, system);
      await setConnectionEnabled(db, key, acme, partners.id, true, system);
      assert.equal(await routeByEmail(db, key, "jane@unclaimed.example"), null, "nobody verified it");
      assert.equal(await routeByEmail(db, key, "jane@slow.example"), null, "claimed is not verified");
      assert.equal(await routeByEmail(db, key, "not an email"), null);
      const both = await routeByEmail(db, key, "Jane@ACME.example");
      assert.deepEqual([both!.organizationId, both!.domain, both!.connections.map((c) => c.loginPath)], [acme, "acme.example", ["acmestaff", "acmepartners"]]);
      await updateConnection(db, key, acme, employees.id, { isDefault: true }, system);
      assert.deepEqual((await routeByEmail(db, key, "jane@eu.acme.example"))!.connections.map((c) => c.loginPath), ["acmestaff"], "a subdomain, to the default");
      const partnerDomain = await markDomainVerified(db, acme, (await claimDomain(db, acme, "partners.acme.example", system)).id, system);
      await setDomainConnection(db, acme, partnerDomain.id, partners.id, system);
      const partner = await routeByEmail(db, key, "pat@partners.acme.example");
      assert.deepEqual([partner!.domain, partner!.connections.map((c) => c.loginPath)], ["partners.acme.example", ["acmepartners"]], "the most specific domain wins");
      await assert.rejects(setDomainConnection(db, globex, partnerDomain.id, null, system), /not found/, "another organization cannot route it");
      await assert.rejects(setDomainConnection(db, acme, partnerDomain.id, randomBytes(16).toString("hex").replace(/^(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-"), system), /not found/);
    });

    it("links by email only inside the verified domains, and creates outsiders only through a connection that admits them", async () => {
      const existing = await createUser(db, acme, { userName: "ann@acme.example", externalId: "scim-ann", emails: [{ value: "ann@acme.example" }] }, system);
      const linked = await signIn(db, employees, profile("https://staff.idp.test", "staff-ann", "ann@acme.example"));
      assert.deepEqual([linked.refused, linked.linked, linked.user?.id], [null, true, existing.id]);

      // A user at a foreign domain whose address matches an existing account: never linked, and not created either.
      await createUser(db, acme, { userName: "eve@other.example", emails: [{ value: "eve@other.example" }] }, system);
      const foreign = await signIn(db, partners, profile("https://partners.idp.test", "partner-eve", "eve@other.example"));
      assert.equal(foreign.refused?.reason, "outside_domains");
      assert.match(foreign.refused!.message, /eve@other\.example\) is not in a domain your organization has verified/);
      const noEmail = await signIn(db, partners, profile("https://partners.idp.test", "partner-anon", null));
      assert.equal(noEmail.refused?.reason, "outside_domains");

      partners = await updateConnection(db, key, acme, partners.id, { allowOtherDomains: true }, system);
      const contractor = await signIn(db, partners, profile("https://partners.idp.test", "partner-carl", "carl@contractor.example"));
      assert.deepEqual([contractor.refused, contractor.created], [null, true], "admitted: a new account");
      const takeover = await signIn(db, partners, profile("https://partners.idp.test", "partner-eve2", "eve@other.example"));
      assert.equal(takeover.refused?.reason, "account_conflict", "still not linked by email outside the domains");
      const subjectAsExternalId = await signIn(db, partners, profile("https://partners.idp.test", "scim-ann", "mallory@contractor.example"));
      assert.notEqual(subjectAsExternalId.user?.id, existing.id, "nor by externalId for an address outside the domains");
    });

    it("an organization without a verified domain keeps linking by verified email and creating anyone", async () => {
      const legacy = (await createOrganization(db, { slug: "legacy", name: "Legacy" }, system)).id;
      const connection = await createConnection(db, key, legacy, oidc("legacy", "legacy", "https://legacy.idp.test"), system);
      const team = await createTeam(db, legacy, { name: "Staff", roles: ["viewer"] }, system);
      await replaceTeamMappings(db, legacy, team.id, [{ idpGroup: "staff" }], system);
      const user = await createUser(db, legacy, { userName: "lee@anywhere.example", emails: [{ value: "lee@anywhere.example" }] }, system);
      const linked = await signIn(db, connection, profile("https://legacy.idp.test", "lee", "lee@anywhere.example"));
      assert.deepEqual([linked.refused, linked.user?.id], [null, user.id]);
      const created = await signIn(db, connection, profile("https://legacy.idp.test", "kim", "kim@elsewhere.example"));
      assert.deepEqual([created.refused, created.created], [null, true]);
    });

    it("a mapping limited to one connection gives its team only to that connection's logins, and a move to another IdP keeps the user", async () => {
      const partnersTeam = await createTeam(db, acme, { name: "Partner portal", roles: ["partner"] }, system);
      await replaceTeamMappings(db, acme, partnersTeam.id, [{ idpGroup: "portal", connectionId: partners.id }], system);
      await assert.rejects(replaceTeamMappings(db, globex, (await createTeam(db, globex, { name: "G", roles: [] }, system)).id,
        [{ idpGroup: "x", connectionId: partners.id }], system), /not found/, "a connection of another organization");

      const viaPartners = await signIn(db, partners, profile("https://partners.idp.test", "partner-pia", "pia@acme.example", { groups: ["portal", "staff"] }));
      assert.deepEqual(viaPartners.teams.map((t) => t.name).sort(), ["Partner portal", "Staff"]);
      // The same person through the employees' IdP: linked by email in the verified domain, and the limited mapping no longer applies.
      const viaStaff = await signIn(db, employees, profile("https://staff.idp.test", "staff-pia", "pia@acme.example", { groups: ["portal", "staff"] }));
      assert.deepEqual([viaStaff.linked, viaStaff.user?.id], [true, viaPartners.user?.id], "moving IdP keeps the account");
      assert.deepEqual((await teamsOfUser(db.dataSource.manager, acme, viaStaff.user!.id)).map((t) => t.name), ["Staff"]);
    });
  });
}
