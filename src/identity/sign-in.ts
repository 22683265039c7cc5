import { randomUUID } from "node:crypto";
import { EntityManager } from "typeorm";
import { ExternalIdentity, TeamMapping } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { sql } from "../db/sql.js";
import { recordAudit } from "./audit.js";
import { ConnectionRecord } from "./connections.js";
import { isUniqueViolation } from "./errors.js";
import { Actor } from "./records.js";
import { derivedTeamIds, organizationPolicy, recomputeDerivedTeams, rolesOf, teamsOfUser, UserTeam } from "./teams.js";
import { foldCase, timestamp } from "./text.js";
import { deactivateInTransaction, insertUser } from "./users.js";
import type { SamlLogin } from "./sessions.js";

/** What a protocol module hands the identity core after it has verified an IdP's response. */
export interface IdpProfile {
  /** OIDC `iss` or the SAML assertion Issuer. */
  issuer: string;
  /** OIDC `sub` (Entra: `tid:oid`), or the SAML persistent NameID or configured key attribute. */
  subject: string;
  email: string | null;
  /** OIDC `email_verified`; for SAML, true only when the connection says its IdP verifies emails. */
  emailVerified: boolean;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  /**
   * The id this IdP's SCIM client sends as the user's externalId, when it is not `subject` (Entra: the object id,
   * while the subject is tenant:object). An existing SCIM account with this externalId is the login's account.
   */
  externalId?: string | null;
  /** The groups claim, always an array (a single SAML value arrives as a string). */
  groups: string[];
  /** The IdP said the groups did not fit (Entra overage): fail closed rather than treat the user as group-less. */
  groupsOverage: boolean;
  /** Everything the IdP sent, for the "test connection" page. Never logged. */
  raw: Record<string, unknown>;
  /** For the "test connection" page: every attribute received with all its values, and what each is used as. */
  attributes?: ReceivedAttribute[];
  /** For the "test connection" page: what an admin should fix although the login works (a weak signature). */
  warnings?: string[];
  /** SAML: the assertion's NameID and SessionIndex, which the session keeps for Single Logout. */
  samlLogin?: SamlLogin;
}

export interface ReceivedAttribute {
  name: string;
  values: string[];
  /** The profile fields the connection reads from it (email, groups, …); empty when none. */
  usedAs: string[];
}

/** Why the identity core refused a login; `message` is shown to the person and says what to do. */
export class SignInRefused extends Error {
  constructor(
    readonly reason: "user_inactive" | "no_mapped_group" | "awaiting_approval" | "group_overage" | "account_conflict" | "no_user_key",
    message: string,
  ) {
    super(message);
    this.name = "SignInRefused";
  }
}

export interface SignInOutcome {
  /** Null when the login was refused before an account existed. */
  user: { id: string; userName: string; displayName: string | null; email: string | null } | null;
  teams: UserTeam[];
  roles: string[];
  /** Provisioned just in time by this login. */
  created: boolean;
  /** Matched to an existing account (by externalId or verified email) and linked to this IdP identity. */
  linked: boolean;
  refused: SignInRefused | null;
}

const refusals = {
  inactive: () => new SignInRefused("user_inactive",
    "Your account has been deactivated by your organization's identity provider. Contact your IT administrator if you need access."),
  noMappedGroup: () => new SignInRefused("no_mapped_group",
    "You are not in any group that gives access to this application. Ask your IT administrator to add you to a group mapped to a team."),
  awaitingApproval: () => new SignInRefused("awaiting_approval",
    "Your account exists but has not been given access yet. An administrator of your organization must add you to a team."),
  overage: () => new SignInRefused("group_overage",
    "Your identity provider sent a link to your groups instead of the groups (you are in more groups than fit in a token). " +
    "Ask your administrator to configure the application at the IdP to emit only the groups assigned to the application."),
  conflict: (userName: string) => new SignInRefused("account_conflict",
    `An account named "${userName}" already exists but could not be linked to this login: the identity provider did not ` +
    "send a verified email or a matching externalId. Ask your administrator to check the connection's user key."),
};

/** Rolls back a dry run's transaction while carrying its outcome out. */
class DryRunDone {
  constructor(readonly outcome: SignInOutcome) {}
}

/**
 * An SSO login after the protocol has verified the IdP's response: find the user by its IdP identity, else link an
 * existing account by externalId or verified email (never an unverified one: no takeover), else provision it just in
 * time; refuse an inactive user without re-creating it; in `idp` mode replace its derived teams from the groups
 * claim (unless SCIM manages groups) and refuse — deactivating an existing account — when no group maps to a team.
 * A refusal that deactivates still commits. A dry run ("test connection") runs the same steps and rolls them back.
 */
export async function signIn(db: Database, connection: ConnectionRecord, profile: IdpProfile, options: { dryRun?: boolean } = {}): Promise<SignInOutcome> {
  if (!profile.subject) return { user: null, teams: [], roles: [], created: false, linked: false, refused: new SignInRefused("no_user_key", "The identity provider sent no user identifier. Ask your administrator to check the connection's NameID or user key setting.") };
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (em) => {
        const outcome = await signInSteps(em, connection, profile);
        if (outcome.refused) await recordRefusal(em, connection, profile, outcome);
        if (options.dryRun) throw new DryRunDone(outcome);
        return outcome;
      });
    } catch (err) {
      if (err instanceof DryRunDone) return err.outcome;
      // Two first logins of one person at once: the loser finds the identity the winner created.
      if (attempt === 1 && isUniqueViolation(err)) continue;
      throw err;
    }
  }
}

async function signInSteps(em: EntityManager, connection: ConnectionRecord, profile: IdpProfile): Promise<SignInOutcome> {
  const organizationId = connection.organizationId;
  const actor: Actor = { type: "sso", id: connection.id };
  const policy = await organizationPolicy(em, organizationId);
  const claimsDecide = policy.mode === "idp" && policy.groupSource === "claims";
  const none = (refused: SignInRefused): SignInOutcome => ({ user: null, teams: [], roles: [], created: false, linked: false, refused });
  if (profile.groupsOverage && claimsDecide) return none(refusals.overage());

  let userId = await identityOwner(em, connection, profile);
  let linked = false;
  let created = false;
  if (!userId) {
    const match = await linkableUser(em, connection, profile);
    if (match === "conflict") return none(refusals.conflict(profile.email ?? profile.subject));
    if (match) {
      userId = match;
      linked = true;
    }
  }
  if (!userId) {
    const mappings = await em.find(TeamMapping, { where: { organizationId } });
    if (policy.mode === "idp" && derivedTeamIds(claimsDecide ? mappings : [], profile.groups).size === 0) return none(refusals.noMappedGroup());
    const userName = profile.email ?? profile.subject;
    const [taken] = await sql(em, "SELECT id FROM users WHERE organization_id = :organizationId AND user_name_norm = :norm", { organizationId, norm: foldCase(userName) });
    if (taken) return none(refusals.conflict(userName));
    const user = await insertUser(em, organizationId, {
      userName, externalId: null, active: true, displayName: profile.name,
      name: { givenName: profile.givenName, familyName: profile.familyName },
      emails: profile.email ? [{ value: profile.email, type: "work", primary: true }] : [],
    }, actor, "jit");
    userId = user.id;
    created = true;
  }

  const [user] = await sql<{ user_name: string; display_name: string | null; active: boolean | number }>(em,
    "SELECT user_name, display_name, active FROM users WHERE id = :userId AND organization_id = :organizationId", { userId, organizationId });
  const summary = { id: userId, userName: user.user_name, displayName: user.display_name, email: profile.email };
  const outcome = (teams: UserTeam[], refused: SignInRefused | null): SignInOutcome =>
    ({ user: summary, teams, roles: refused ? [] : rolesOf(teams), created, linked, refused });
  if (!user.active) return outcome([], refusals.inactive());

  await rememberIdentity(em, connection, profile, userId, linked || created);
  if (policy.groupSource === "claims") {
    await sql(em, "UPDATE users SET login_groups = :groups WHERE id = :userId AND organization_id = :organizationId",
      { groups: JSON.stringify(profile.groups), userId, organizationId });
    await recomputeDerivedTeams(em, organizationId, [userId], actor);
  }
  const teams = await teamsOfUser(em, organizationId, userId);
  if (teams.length === 0 && policy.mode === "idp") {
    // Removed from every mapped group at the IdP: the account is deactivated, as the IdP no longer grants access.
    if (claimsDecide) await deactivateInTransaction(em, organizationId, userId, actor, "no_mapped_group");
    return outcome([], refusals.noMappedGroup());
  }
  if (teams.length === 0) return outcome([], refusals.awaitingApproval());
  await recordAudit(em, {
    organizationId, actor, action: "user.signed_in", targetType: "user", targetId: userId,
    summary: { connection: connection.name, protocol: connection.type, created, linked, teams: teams.map((t) => t.name) },
  });
  return outcome(teams, null);
}

/**
 * A refused login is audited (an admin looking into "why can't X log in" finds it), with the account when there is
 * one. Only refusals of a verified IdP response get here: a forged or broken one never reaches the identity core.
 */
function recordRefusal(em: EntityManager, connection: ConnectionRecord, profile: IdpProfile, outcome: SignInOutcome) {
  return recordAudit(em, {
    organizationId: connection.organizationId, actor: { type: "sso", id: connection.id }, action: "user.sign_in_refused",
    targetType: "user", targetId: outcome.user?.id ?? null,
    summary: { reason: outcome.refused!.reason, connection: connection.name, subject: profile.subject, email: profile.email },
  });
}

async function identityOwner(em: EntityManager, connection: ConnectionRecord, profile: IdpProfile): Promise<string | null> {
  const row = await em.findOneBy(ExternalIdentity, { connectionId: connection.id, issuer: profile.issuer, subject: profile.subject });
  return row?.userId ?? null;
}

/**
 * An existing account this login may take over: the one whose externalId is the IdP's (subject or externalId), or whose userName or
 * email is the login's email when the IdP says it verified it. An account already linked to another identity of this
 * connection is not taken over ("conflict"), nor is a match that is not unique.
 */
async function linkableUser(em: EntityManager, connection: ConnectionRecord, profile: IdpProfile): Promise<string | null | "conflict"> {
  const organizationId = connection.organizationId;
  let candidates = (await sql<{ id: string }>(em,
    "SELECT id FROM users WHERE organization_id = :organizationId AND external_id = :externalId",
    { organizationId, externalId: profile.externalId ?? profile.subject })).map((r) => r.id);
  if (candidates.length === 0 && profile.email && profile.emailVerified) {
    const norm = foldCase(profile.email);
    candidates = [...new Set((await sql<{ id: string }>(em,
      `SELECT id FROM users WHERE organization_id = :organizationId AND user_name_norm = :norm
       UNION SELECT user_id AS id FROM user_values WHERE organization_id = :organizationId AND attribute = 'emails' AND value_norm = :norm`,
      { organizationId, norm })).map((r) => r.id))];
  }
  if (candidates.length === 0) return null;
  if (candidates.length > 1) return "conflict";
  const other = await em.findOneBy(ExternalIdentity, { connectionId: connection.id, userId: candidates[0] });
  return other ? "conflict" : candidates[0];
}

async function rememberIdentity(em: EntityManager, connection: ConnectionRecord, profile: IdpProfile, userId: string, isNew: boolean) {
  const now = timestamp();
  if (!isNew) {
    await em.update(ExternalIdentity, { connectionId: connection.id, issuer: profile.issuer, subject: profile.subject }, { lastLoginAt: now });
    return;
  }
  await em.insert(ExternalIdentity, {
    id: randomUUID(), organizationId: connection.organizationId, connectionId: connection.id, userId,
    issuer: profile.issuer, subject: profile.subject, createdAt: now, lastLoginAt: now,
  });
  await recordAudit(em, {
    organizationId: connection.organizationId, actor: { type: "sso", id: connection.id }, action: "user.identity_linked",
    targetType: "user", targetId: userId, summary: { connection: connection.name, issuer: profile.issuer, subject: profile.subject },
  });
}
