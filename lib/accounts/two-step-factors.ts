// An account's second factors: the authenticator app (TotpFactor) and the
// recovery codes. Turning the app on sets Account.twoStepEnabledAt (the one
// flag every path reads, lib/auth/two-step.ts); turning two-step off clears
// it with the factors, and asks for the password and a code first.
import { resetSecondFactors } from "../auth/two-step.ts";
import { db, type Tx } from "../db.ts";
import { UserError } from "../errors.ts";
import { RECOVERY_CODE_COUNT, TOTP_ENROLMENT_SECONDS } from "../config/limits.ts";
import { hashPassword, verifyPassword } from "../auth/password.ts";
import { matchTotpStep, newTotpSecret, totpUri } from "../auth/totp.ts";
import { newRecoveryCode, normalizeRecoveryCode } from "../auth/recovery-codes.ts";

export type TwoStepStatus = {
  enabledAt: Date | null;
  /** The authenticator app is set up (confirmed). */
  totp: boolean;
  recoveryCodesLeft: number;
};

export async function getTwoStepStatus(accountId: string): Promise<TwoStepStatus> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: {
      twoStepEnabledAt: true,
      totpFactor: { select: { confirmedAt: true } },
      _count: { select: { recoveryCodes: { where: { usedAt: null } } } },
    },
  });
  if (!account) throw new UserError("not_found", "No such account.");
  return {
    enabledAt: account.twoStepEnabledAt,
    totp: Boolean(account.totpFactor?.confirmedAt),
    recoveryCodesLeft: account._count.recoveryCodes,
  };
}

export type TotpEnrolment = { secret: string; uri: string };

/**
 * Starts setting up the authenticator app: a new secret, kept unconfirmed
 * until confirmTotpEnrolment sees a right code. Starting again replaces an
 * unconfirmed secret; an app already on must be turned off first.
 */
export async function startTotpEnrolment(accountId: string): Promise<TotpEnrolment> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: { address: true, totpFactor: { select: { confirmedAt: true } } },
  });
  if (!account) throw new UserError("not_found", "No such account.");
  if (account.totpFactor?.confirmedAt) {
    throw new UserError("invalid_input", "The authenticator app is already set up.");
  }
  const secret = newTotpSecret();
  await db.totpFactor.upsert({
    where: { accountId },
    create: { accountId, secret },
    update: { secret, createdAt: new Date(), lastUsedStep: null },
  });
  const issuer = account.address.split("@")[1] ?? "Mail";
  return { secret, uri: totpUri(secret, account.address, issuer) };
}

/** The answer to a wrong second-step code, wherever it was typed. */
export const wrongCodeError = (field = "code") =>
  new UserError("invalid_credentials", "That code is not right. Try the newest one.", field);

/**
 * Confirms the authenticator app with its first code: two-step is on from
 * now, and the account gets RECOVERY_CODE_COUNT new recovery codes, returned
 * here once (only their hashes are stored).
 */
export async function confirmTotpEnrolment(accountId: string, code: string): Promise<string[]> {
  const factor = await db.totpFactor.findUnique({
    where: { accountId },
    select: { secret: true, confirmedAt: true, createdAt: true },
  });
  const fresh = factor && Date.now() - factor.createdAt.getTime() < TOTP_ENROLMENT_SECONDS * 1000;
  if (!factor || factor.confirmedAt || !fresh) {
    throw new UserError("invalid_input", "Start setting up the authenticator app again.");
  }
  const step = matchTotpStep(factor.secret, code);
  if (step === null) throw wrongCodeError();
  const recovery = await newRecoveryCodes();
  const now = new Date();
  await db.$transaction(async (tx) => {
    // Conditional: two confirmations racing turn it on once.
    const { count } = await tx.totpFactor.updateMany({
      where: { accountId, confirmedAt: null, secret: factor.secret },
      data: { confirmedAt: now, lastUsedStep: step },
    });
    if (count !== 1)
      throw new UserError("invalid_input", "Start setting up the authenticator app again.");
    await replaceRecoveryCodes(tx, accountId, recovery);
    await tx.account.update({ where: { id: accountId }, data: { twoStepEnabledAt: now } });
  });
  return recovery.codes;
}

export type NewRecoveryCodes = { codes: string[]; hashes: string[] };

/** RECOVERY_CODE_COUNT new recovery codes and their hashes (made before a transaction: hashing is slow). */
export async function newRecoveryCodes(): Promise<NewRecoveryCodes> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const hashes = await Promise.all(codes.map((c) => hashPassword(normalizeRecoveryCode(c)!)));
  return { codes, hashes };
}

/** The account's recovery codes become `codes`, in the caller's transaction: the old ones stop working. */
export async function replaceRecoveryCodes(
  tx: Tx,
  accountId: string,
  codes: NewRecoveryCodes,
): Promise<void> {
  await tx.recoveryCode.deleteMany({ where: { accountId } });
  await tx.recoveryCode.createMany({
    data: codes.hashes.map((codeHash) => ({ accountId, codeHash })),
  });
}

export type SecondFactorUsed = "totp" | "recovery";

/**
 * Checks a code from the authenticator app (six digits) or a recovery code
 * and uses it up: an app code's step is recorded, so the same code (or an
 * older one) is refused afterwards (RFC 6238 §5.2), and a recovery code is
 * marked used. Null when it is not right. Not throttled here: callers go
 * through the sign-in throttle (lib/accounts/pending-sign-in.ts).
 */
export async function useSecondFactor(
  accountId: string,
  code: string,
): Promise<SecondFactorUsed | null> {
  const trimmed = code.trim().slice(0, 64);
  // Six digits are an app code; recovery codes are ten characters.
  if (/^\d{6}$/.test(trimmed.replace(/\s+/g, ""))) {
    const factor = await db.totpFactor.findUnique({
      where: { accountId },
      select: { secret: true, confirmedAt: true },
    });
    if (!factor?.confirmedAt) return null;
    const step = matchTotpStep(factor.secret, trimmed);
    if (step === null) return null;
    // One statement: of two sign-ins racing with one code, one wins.
    const { count } = await db.totpFactor.updateMany({
      where: {
        accountId,
        confirmedAt: { not: null },
        OR: [{ lastUsedStep: null }, { lastUsedStep: { lt: step } }],
      },
      data: { lastUsedStep: step },
    });
    return count === 1 ? "totp" : null;
  }
  const normalized = normalizeRecoveryCode(trimmed);
  if (!normalized) return null;
  const unused = await db.recoveryCode.findMany({
    where: { accountId, usedAt: null },
    select: { id: true, codeHash: true },
  });
  for (const row of unused) {
    if (!(await verifyPassword(row.codeHash, normalized))) continue;
    const { count } = await db.recoveryCode.updateMany({
      where: { accountId, id: row.id, usedAt: null },
      data: { usedAt: new Date() },
    });
    return count === 1 ? "recovery" : null;
  }
  return null;
}

/** Deletes the authenticator app and the recovery codes and turns two-step off. */
export async function removeTwoStep(accountId: string): Promise<void> {
  await db.$transaction((tx) => resetSecondFactors(tx, accountId));
}
