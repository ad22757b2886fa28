// The second step of a sign-in (and of turning two-step off): a code from
// the authenticator app or a recovery code, checked through the same
// throttle as passwords (lib/auth/login-throttle.ts) under a key of its own,
// so a right password does not reset the count of wrong codes, and recorded
// in the sign-in history.
import { UserError } from "../errors.ts";
import {
  beginLoginAttempt,
  LoginThrottledError,
  loginFailed,
  loginSucceeded,
} from "../auth/login-throttle.ts";
import { auditLockout, type LoginContext } from "./authenticate.ts";
import { recordSignInEvent } from "./sign-in-events.ts";
import {
  removeTwoStep,
  useSecondFactor,
  wrongCodeError,
  type SecondFactorUsed,
} from "./two-step-factors.ts";
import { verifyCurrentPassword } from "./user-settings.ts";
import { db } from "../db.ts";
import { isTwoStepEnabled } from "../auth/two-step.ts";

/** What the history shows for second-step attempts. */
export const SECOND_STEP_PROTOCOL = "web-2fa";

/** The throttle row of an address's second steps: no address has a space, so it meets no password row. */
const throttleKey = (address: string) => `second-step ${address}`;

export type SecondStepContext = { ip: string; userAgent?: string };

/**
 * Checks `code` for the account (throttled; each code works once). Throws
 * LoginThrottledError when too many were wrong lately, or the wrong-code
 * UserError (field "code").
 */
export async function verifySecondStep(
  account: { id: string; address: string },
  code: string,
  context: SecondStepContext,
): Promise<SecondFactorUsed> {
  const event = {
    address: account.address,
    protocol: SECOND_STEP_PROTOCOL,
    ip: context.ip,
    userAgent: context.userAgent,
  } as const;
  let attempt;
  try {
    attempt = await beginLoginAttempt(throttleKey(account.address), context.ip, "web");
  } catch (error) {
    if (error instanceof LoginThrottledError) {
      await recordSignInEvent({ ...event, outcome: "THROTTLED" });
    }
    throw error;
  }
  const used = await useSecondFactor(account.id, code);
  if (!used) {
    const lockouts = await loginFailed(attempt);
    const loginContext: LoginContext = { ip: context.ip, protocol: "web" };
    await Promise.all([
      recordSignInEvent({ ...event, outcome: "FAILURE" }),
      ...lockouts.map((lockout) => auditLockout(lockout, loginContext)),
    ]);
    throw wrongCodeError();
  }
  await Promise.all([
    loginSucceeded(attempt, account.id),
    recordSignInEvent({ ...event, outcome: "SUCCESS" }),
  ]);
  return used;
}

/**
 * Turns two-step off: asks for the password (sign-in rules) and a code
 * (verifySecondStep), then deletes the factors and clears twoStepEnabledAt.
 */
export async function disableTwoStep(
  accountId: string,
  input: { password: string; code: string },
  context: SecondStepContext,
): Promise<void> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: { id: true, address: true, twoStepEnabledAt: true },
  });
  if (!account) throw new UserError("not_found", "No such account.");
  if (!isTwoStepEnabled(account)) {
    throw new UserError("invalid_input", "Two-step verification is already off.");
  }
  await verifyCurrentPassword(account.address, input.password, context, "password");
  if (!input.code.trim()) throw new UserError("invalid_input", "Enter a code.", "code");
  await verifySecondStep(account, input.code, context);
  await removeTwoStep(accountId);
}
