// Two-step verification state of an account. The second factors themselves
// (authenticator app, passkeys, recovery codes) and app passwords build on
// this one column, so every path asks the same question the same way.
import { db, type Tx } from "../db.ts";

export interface TwoStepState {
  twoStepEnabledAt: Date | null;
}

export function isTwoStepEnabled(account: TwoStepState): boolean {
  return account.twoStepEnabledAt !== null;
}

/** Whether the account has two-step verification on (false for no such account). */
export async function twoStepEnabledFor(accountId: string): Promise<boolean> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: { twoStepEnabledAt: true },
  });
  return account !== null && isTwoStepEnabled(account);
}

/**
 * Removes every second factor of the account and turns two-step off, in the
 * caller's transaction: the one place an admin's reset (and anything else
 * that must start the account's two-step over) goes through. Each factor
 * table (authenticator app, passkeys, recovery codes) is deleted here by
 * accountId. App passwords are kept: they are the user's mail clients, not
 * a second factor, and the user revokes them on their own page.
 */
export async function resetSecondFactors(tx: Tx, accountId: string): Promise<void> {
  await tx.totpFactor.deleteMany({ where: { accountId } });
  await tx.recoveryCode.deleteMany({ where: { accountId } });
  await tx.passkey.deleteMany({ where: { accountId } });
  await tx.webAuthnChallenge.deleteMany({ where: { accountId } });
  // A sign-in waiting for its second step would wait for a factor that is gone.
  await tx.pendingSignIn.deleteMany({ where: { accountId } });
  await tx.account.update({ where: { id: accountId }, data: { twoStepEnabledAt: null } });
}
