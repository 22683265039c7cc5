import { randomBytes, randomUUID } from "node:crypto";
import { EntityManager } from "typeorm";
import { AdminAccount, Organization, Session } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { recordAudit } from "./audit.js";
import { IdentityError, invalid, notFound, uniquely } from "./errors.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import { Actor } from "./records.js";
import { foldCase, timestamp } from "./text.js";

/**
 * Built-in admin accounts: instance operators (no organization; every organization is theirs) and organization
 * admins. They log in with email and password (src/admin/auth.ts) and may hold personal API tokens (api-tokens.ts).
 * SSO users become organization admins differently: through a team granting the `admin` role.
 */

export type AdminRole = "operator" | "admin";

export interface AdminAccountInfo {
  id: string;
  /** Null for an operator. */
  organizationId: string | null;
  email: string;
  name: string;
  role: AdminRole;
  createdAt: string;
  lastLoginAt: string | null;
  disabledAt: string | null;
  /** The password was given out once: every console page asks for a new one until it is changed. */
  mustChangePassword: boolean;
  /** When a TOTP second factor was confirmed; null without one (admin-second-factor.ts). */
  totpEnabledAt: string | null;
}

export interface AdminAccountInput {
  email: string;
  name: string;
  password: string;
  /** Null creates an operator; an organization's id, an admin of that organization. */
  organizationId: string | null;
  /** The password is given to the owner once (printed, or shown on a page): they must change it at first sign-in. */
  oneTimePassword?: boolean;
}

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;
/** The operator created on the first start of an empty database. */
export const BOOTSTRAP_OPERATOR_EMAIL = "admin@localhost";

const info = ({ passwordHash: _hash, emailNorm: _norm, totpSecret: _secret, totpLastStep: _step, recoveryCodes: _codes, ...rest }: AdminAccount): AdminAccountInfo =>
  ({ ...rest, role: rest.role as AdminRole, mustChangePassword: Boolean(rest.mustChangePassword) });

/** The same rule for every door; the API checks the shape first, this guards the CLI and any other caller. */
function passwordProblem(password: unknown): string | null {
  if (typeof password !== "string" || password.length < MIN_PASSWORD_LENGTH) return `password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `password must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}

function checkAccount(input: AdminAccountInput) {
  if (typeof input.email !== "string" || !/^[^\s@]+@[^\s@]+$/.test(input.email.trim()) || input.email.length > 320) {
    throw invalid("email must be an email address (at most 320 characters)");
  }
  if (typeof input.name !== "string" || input.name.trim() === "" || input.name.length > 200) throw invalid("name must be 1 to 200 characters");
  const problem = passwordProblem(input.password);
  if (problem) throw invalid(problem);
}

export async function createAdminAccount(db: Database, input: AdminAccountInput, actor: Actor): Promise<AdminAccountInfo> {
  checkAccount(input);
  const email = input.email.trim();
  // Hashed before the transaction opens: scrypt takes ~90 ms, and on SQLite every other write would wait for it.
  const passwordHash = await hashPassword(input.password);
  return uniquely(() => `an admin account with the email "${email}" already exists`, () => db.transaction(async (em) => {
    if (input.organizationId !== null && !(await em.findOneBy(Organization, { id: input.organizationId }))) {
      throw notFound("Organization", input.organizationId);
    }
    const row: AdminAccount = {
      id: randomUUID(), organizationId: input.organizationId, email, emailNorm: foldCase(email), name: input.name.trim(),
      passwordHash, role: input.organizationId === null ? "operator" : "admin", createdAt: timestamp(), lastLoginAt: null,
      disabledAt: null, mustChangePassword: input.oneTimePassword ?? false, totpSecret: null, totpEnabledAt: null, totpLastStep: null,
      recoveryCodes: null,
    };
    await em.insert(AdminAccount, row);
    await recordAudit(em, {
      organizationId: row.organizationId, actor, action: "admin_account.created", targetType: "admin_account", targetId: row.id,
      summary: { email, name: row.name, role: row.role },
    });
    return info(row);
  }));
}

export async function getAdminAccount(db: Database, id: string): Promise<AdminAccountInfo | null> {
  const row = await db.dataSource.getRepository(AdminAccount).findOneBy({ id });
  return row ? info(row) : null;
}

const rowByEmail = (db: Database, email: string) => db.dataSource.getRepository(AdminAccount).findOneBy({ emailNorm: foldCase(email.trim()) });

export async function findAdminAccount(db: Database, email: string): Promise<AdminAccountInfo | null> {
  const row = await rowByEmail(db, email);
  return row ? info(row) : null;
}

/** Operators and every organization's admins (`organizationId` undefined), or one organization's admins. */
export async function listAdminAccounts(db: Database, organizationId?: string): Promise<AdminAccountInfo[]> {
  const rows = await db.dataSource.getRepository(AdminAccount).find({
    where: organizationId === undefined ? {} : { organizationId }, order: { createdAt: "ASC" },
  });
  return rows.map(info);
}

/**
 * A digest (hashPassword's parameters) of a random password that was thrown away: checked against when no account
 * matches, so that the work is the same from the very first request on.
 */
const DECOY_DIGEST = "scrypt$32768$8$1$Df2Bdh0HIJ5qvdUugWj7AQ$mCLjVxBbFzf8ygX9WnNtWvGcKMXUZiuLDPf1q_TTXYQ";

/**
 * The account these credentials open, or null. The same scrypt verification runs whether or not the email has an
 * account (and whether or not it is disabled), so neither the answer nor its timing tells which emails exist.
 * Nothing is recorded: the sign-in is complete only after the second factor, if the account has one
 * (recordAdminSignIn).
 */
export async function verifyAdminPassword(db: Database, email: string, password: string): Promise<AdminAccountInfo | null> {
  const row = await rowByEmail(db, email);
  const matches = await verifyPassword(password, row?.passwordHash ?? DECOY_DIGEST);
  if (!row || !row.passwordHash || !matches || row.disabledAt) return null;
  return info(row);
}

/** A completed sign-in: last_login_at and an audit event (`factor`: how it ended, password alone or a second factor). */
export async function recordAdminSignIn(db: Database, account: AdminAccountInfo, factor: "password" | "totp" | "recovery_code"): Promise<AdminAccountInfo> {
  const now = timestamp();
  await db.transaction(async (em) => {
    await em.update(AdminAccount, { id: account.id }, { lastLoginAt: now });
    await recordAudit(em, {
      organizationId: account.organizationId, actor: { type: "admin", id: account.id }, action: "admin_account.signed_in",
      targetType: "admin_account", targetId: account.id, summary: { email: account.email, factor },
    });
  });
  return { ...account, lastLoginAt: now };
}

/**
 * Changes an account's own password, given the current one (a stolen session alone cannot lock the owner out). A
 * one-time password cannot be chosen again as the new one.
 */
export async function changeAdminPassword(db: Database, id: string, current: string, next: string, actor: Actor): Promise<void> {
  const problem = passwordProblem(next);
  if (problem) throw invalid(problem);
  const row = await db.dataSource.getRepository(AdminAccount).findOneBy({ id });
  if (!row) throw notFound("Admin account", id);
  if (!row.passwordHash || !(await verifyPassword(current, row.passwordHash))) throw invalid("the current password is not right");
  if (row.mustChangePassword && next === current) throw invalid("choose a new password: the one-time password cannot be kept");
  const passwordHash = await hashPassword(next);
  await db.transaction(async (em) => {
    await em.update(AdminAccount, { id }, { passwordHash, mustChangePassword: false });
    await recordAudit(em, {
      organizationId: row.organizationId, actor, action: "admin_account.password_changed", targetType: "admin_account",
      targetId: id, summary: { email: row.email },
    });
  });
}

/**
 * Disables or re-enables an account. Disabling ends its sessions in the same transaction; its API tokens stop
 * working at once too, as authentication checks the account (api-tokens.ts).
 */
export async function setAdminAccountDisabled(db: Database, id: string, disabled: boolean, actor: Actor): Promise<AdminAccountInfo> {
  return db.transaction(async (em) => {
    const row = await em.findOneBy(AdminAccount, { id });
    if (!row) throw notFound("Admin account", id);
    if (Boolean(row.disabledAt) === disabled) return info(row);
    row.disabledAt = disabled ? timestamp() : null;
    await em.update(AdminAccount, { id }, { disabledAt: row.disabledAt });
    const sessionsEnded = disabled ? await endAdminSessions(em, id) : 0;
    await recordAudit(em, {
      organizationId: row.organizationId, actor, action: disabled ? "admin_account.disabled" : "admin_account.enabled",
      targetType: "admin_account", targetId: id, summary: { email: row.email, ...(sessionsEnded ? { sessionsEnded } : {}) },
    });
    return info(row);
  });
}

async function endAdminSessions(em: EntityManager, adminId: string): Promise<number> {
  const ended = await em.delete(Session, { userId: adminId, principalType: "admin" });
  return ended.affected ?? 0;
}

/**
 * First start on an empty database: when no admin account exists, creates an operator with a random password and
 * returns it so that server.ts prints it once (it is stored only as a digest). Replicas starting together race on
 * the unique email, and all but one get null.
 */
export async function bootstrapOperator(db: Database): Promise<{ account: AdminAccountInfo; password: string } | null> {
  if ((await db.dataSource.getRepository(AdminAccount).count()) > 0) return null;
  const password = randomBytes(18).toString("base64url");
  try {
    const account = await createAdminAccount(db,
      { email: BOOTSTRAP_OPERATOR_EMAIL, name: "Operator", password, organizationId: null, oneTimePassword: true }, { type: "system", id: null });
    return { account, password };
  } catch (err) {
    if (err instanceof IdentityError && err.reason === "conflict") return null;
    throw err;
  }
}
