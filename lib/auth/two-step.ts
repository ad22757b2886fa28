// Two-step verification state of an account. The second factors themselves
// (authenticator app, passkeys, recovery codes) and app passwords build on
// this one column, so every path asks the same question the same way.
import { db } from "../db.ts";

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
