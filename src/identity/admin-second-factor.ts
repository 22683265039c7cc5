import { randomBytes, timingSafeEqual } from "node:crypto";
import { AdminAccount } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { recordAudit } from "./audit.js";
import { secretDigest } from "./bearer-secrets.js";
import { invalid, notFound } from "./errors.js";
import { verifyPassword } from "./passwords.js";
import { Actor } from "./records.js";
import { decryptSecret, encryptSecret } from "./secrets.js";
import { timestamp } from "./text.js";

/**
 * A TOTP second factor for admin accounts (RFC 6238: 6 digits, 30 s, SHA-1, what every authenticator app reads), with
 * single-use recovery codes. The secret is encrypted at rest under ROLLCALL_SECRET_KEY; recovery codes are kept only
 * as SHA-256 digests (they are random, so a fast digest is enough, as for bearer secrets). Enrolling is two steps:
 * `startTotpEnrolment` stores a fresh secret, and only a code from the app (`confirmTotp`) switches it on, so an
 * account is never locked behind a secret its owner did not save.
 */

const SECRET_PURPOSE = "admin_accounts.totp_secret";
/** One step either side of now: a phone's clock a little off, or a code typed just as it changed. */
const TOLERANCE_SECONDS = 30;
const RECOVERY_CODES = 10;
const ISSUER = "Rollcall";
/** Loaded on first use: few processes ever enrol or check a code, and it is 70 ms of CPU at start-up. */
const otplib = () => import("otplib");

export interface TotpEnrolment {
  /** Base32, for typing into an app by hand. */
  secret: string;
  /** `otpauth://totp/…`, what a QR code would carry; some password managers take it pasted. */
  uri: string;
}

async function accountRow(db: Database, adminId: string): Promise<AdminAccount> {
  const row = await db.dataSource.getRepository(AdminAccount).findOneBy({ id: adminId });
  if (!row) throw notFound("Admin account", adminId);
  return row;
}

const enrolmentOf = async (row: AdminAccount, secret: string): Promise<TotpEnrolment> =>
  ({ secret, uri: (await otplib()).generateURI({ issuer: ISSUER, label: row.email, secret }) });

/** Starts (or restarts) enrolment with a new secret; refused while a second factor is on (disable it first). */
export async function startTotpEnrolment(db: Database, key: Buffer, adminId: string): Promise<TotpEnrolment> {
  const row = await accountRow(db, adminId);
  if (row.totpEnabledAt) throw invalid("two-factor sign-in is already on; turn it off first to enrol another app");
  const secret = (await otplib()).generateSecret();
  await db.dataSource.getRepository(AdminAccount).update({ id: adminId }, { totpSecret: encryptSecret(key, SECRET_PURPOSE, secret) });
  return enrolmentOf(row, secret);
}

/** The enrolment in progress (the secret not yet confirmed), to show again after a wrong code. */
export async function pendingTotpEnrolment(db: Database, key: Buffer, adminId: string): Promise<TotpEnrolment | null> {
  const row = await accountRow(db, adminId);
  if (row.totpEnabledAt || !row.totpSecret) return null;
  return enrolmentOf(row, decryptSecret(key, SECRET_PURPOSE, row.totpSecret));
}

/**
 * The time step a code is valid at, or null: the code must be the secret's, now (± one step), and of a later step
 * than `afterStep` (the last one accepted: each code is good once).
 */
async function acceptedStep(secret: string, code: string, afterStep: number | null = null): Promise<number | null> {
  const token = code.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(token)) return null;
  const result = await (await otplib()).verify({ secret, token, epochTolerance: TOLERANCE_SECONDS, ...(afterStep === null ? {} : { afterTimeStep: afterStep }) });
  return result.valid && "timeStep" in result ? result.timeStep : null;
}

const newRecoveryCode = () => {
  const raw = randomBytes(10).toString("hex");
  return `${raw.slice(0, 5)}-${raw.slice(5, 10)}-${raw.slice(10, 15)}-${raw.slice(15)}`;
};
/** Dashes, spaces and case do not matter when a recovery code is typed back. */
const recoveryDigest = (code: string) => secretDigest(code.replace(/[\s-]/g, "").toLowerCase());

/**
 * Confirms enrolment with a code from the app: two-factor sign-in is on from now, and the recovery codes returned
 * here are the only time they exist in plain text.
 */
export async function confirmTotp(db: Database, key: Buffer, adminId: string, code: string, actor: Actor): Promise<string[]> {
  const row = await accountRow(db, adminId);
  if (row.totpEnabledAt) throw invalid("two-factor sign-in is already on");
  if (!row.totpSecret) throw invalid("start enrolment first");
  const step = await acceptedStep(decryptSecret(key, SECRET_PURPOSE, row.totpSecret), code);
  if (step === null) throw invalid("that code is not the one the app shows now; check the phone's clock and type the current code");
  const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
  await db.transaction(async (em) => {
    await em.update(AdminAccount, { id: adminId }, {
      totpEnabledAt: timestamp(), totpLastStep: step, recoveryCodes: JSON.stringify(codes.map(recoveryDigest)),
    });
    await recordAudit(em, {
      organizationId: row.organizationId, actor, action: "admin_account.totp_enabled", targetType: "admin_account", targetId: adminId,
      summary: { email: row.email, recoveryCodes: codes.length },
    });
  });
  return codes;
}

/** Turns the second factor off, given the account's password (a stolen session alone cannot remove it). */
export async function disableTotp(db: Database, adminId: string, password: string, actor: Actor): Promise<void> {
  const row = await accountRow(db, adminId);
  if (!row.passwordHash || !(await verifyPassword(password, row.passwordHash))) throw invalid("the password is not right");
  await db.transaction(async (em) => {
    await em.update(AdminAccount, { id: adminId }, { totpSecret: null, totpEnabledAt: null, totpLastStep: null, recoveryCodes: null });
    if (row.totpEnabledAt) {
      await recordAudit(em, {
        organizationId: row.organizationId, actor, action: "admin_account.totp_disabled", targetType: "admin_account", targetId: adminId,
        summary: { email: row.email },
      });
    }
  });
}

/**
 * The second step of a sign-in: a current TOTP code (each good once: a code already accepted, or an older one, is
 * refused) or an unused recovery code (spent by this). Which one it was, or null when neither matches.
 */
export async function verifySecondFactor(db: Database, key: Buffer, adminId: string, code: string): Promise<"totp" | "recovery_code" | null> {
  return db.transaction(async (em) => {
    // Read under a row lock (PostgreSQL; SQLite's writes are serialised): two requests racing with one code get one yes.
    const lock = em.connection.driver.options.type === "postgres" ? { lock: { mode: "pessimistic_write" as const } } : {};
    const row = await em.findOne(AdminAccount, { where: { id: adminId }, ...lock });
    if (!row?.totpEnabledAt || !row.totpSecret) return null;
    const step = await acceptedStep(decryptSecret(key, SECRET_PURPOSE, row.totpSecret), code, row.totpLastStep);
    if (step !== null) {
      await em.update(AdminAccount, { id: adminId }, { totpLastStep: step });
      return "totp";
    }
    const digests: string[] = JSON.parse(row.recoveryCodes ?? "[]");
    const wanted = Buffer.from(recoveryDigest(code), "hex");
    const used = digests.find((d) => timingSafeEqual(Buffer.from(d, "hex"), wanted));
    if (!used) return null;
    const left = digests.filter((d) => d !== used);
    await em.update(AdminAccount, { id: adminId }, { recoveryCodes: JSON.stringify(left) });
    await recordAudit(em, {
      organizationId: row.organizationId, actor: { type: "admin", id: adminId }, action: "admin_account.recovery_code_used",
      targetType: "admin_account", targetId: adminId, summary: { email: row.email, recoveryCodesLeft: left.length },
    });
    return "recovery_code";
  });
}

/** How many unused recovery codes an account has. */
export async function recoveryCodesLeft(db: Database, adminId: string): Promise<number> {
  const row = await accountRow(db, adminId);
  return (JSON.parse(row.recoveryCodes ?? "[]") as string[]).length;
}
