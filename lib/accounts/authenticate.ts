// Password login for every protocol (web, SMTP AUTH, IMAP, POP3): one set of
// throttling (lib/auth/login-throttle.ts), disabled-account and sign-in
// history rules. The mail protocols also take app passwords
// (lib/auth/app-passwords.ts), and once two-step verification is on
// (lib/auth/two-step.ts) only those. Web sessions are
// lib/accounts/web-sessions.ts.
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import { MAX_PASSWORD_LENGTH } from "../config/limits.ts";
import { verifyPassword } from "../auth/password.ts";
import {
  beginLoginAttempt,
  LoginThrottledError,
  loginFailed,
  loginSucceeded,
  type LoginProtocol,
  type Lockout,
} from "../auth/login-throttle.ts";
import { recordAudit } from "../admin/audit.ts";
import { matchAppPassword, touchAppPassword } from "../auth/app-passwords.ts";
import { isTwoStepEnabled } from "../auth/two-step.ts";
import { normalizeAddress } from "./address.ts";
import { recordSignInEvent, type SignInEventInput } from "./sign-in-events.ts";
import type { Role } from "../generated/prisma/enums.ts";

export type AuthenticatedAccount = {
  id: string;
  address: string;
  displayName: string;
  role: Role;
  sessionVersion: number;
};

export type LoginContext = { ip: string; protocol: LoginProtocol; userAgent?: string };

/** A login's account and how it signed in: the app password's id, or null for the account password. */
export type AuthenticatedLogin = AuthenticatedAccount & { appPasswordId: string | null };

/** Why the account password is refused on IMAP, POP3 and SMTP once two-step is on: the reply text clients show. */
export const APP_PASSWORD_REQUIRED_MESSAGE = "Two-step verification is on: use an app password";

const wrongCredentials = () => new UserError("invalid_credentials", "Wrong address or password.");

/**
 * Checks the password, after the throttle's delay for this address and
 * client network (a timer: nothing is held while waiting). Throws UserError:
 * "throttled" (a LoginThrottledError) when the address is locked for this
 * network or the network is locked, "invalid_credentials" (never saying
 * which part was wrong), or "account_disabled" (only once the password is
 * right, so it does not reveal account state to guessers). Every outcome is
 * recorded in the account's sign-in history; locks go to the audit log.
 *
 * IMAP, POP3 and SMTP ("mail" protocols, not "web") also accept any of the
 * account's app passwords; once two-step verification is on they refuse the
 * account password with "app_password_required" (counted by the throttle as
 * a failure, so it cannot be used to test passwords faster).
 */
export async function authenticate(
  addressInput: string,
  password: string,
  context: LoginContext,
): Promise<AuthenticatedLogin> {
  const address = normalizeAddress(addressInput).slice(0, 320);
  if (!address) throw wrongCredentials();
  const event = {
    address,
    protocol: context.protocol,
    ip: context.ip,
    userAgent: context.userAgent,
  };
  let attempt;
  try {
    attempt = await beginLoginAttempt(address, context.ip, context.protocol);
  } catch (error) {
    if (error instanceof LoginThrottledError) {
      await recordSignInEvent({ ...event, outcome: "THROTTLED" });
    }
    throw error;
  }

  // Read after the delay, so a password changed meanwhile is the one checked.
  const account = await db.account.findUnique({
    where: { address },
    select: { ...SIGN_IN_ACCOUNT_FIELDS, passwordHash: true, twoStepEnabledAt: true },
  });
  const mailProtocol = context.protocol !== "web";
  const appPasswordId =
    account && mailProtocol ? await matchAppPassword(account.id, password) : null;
  const ok =
    appPasswordId !== null ||
    (password.length <= MAX_PASSWORD_LENGTH &&
      (await verifyPassword(account?.passwordHash ?? null, password)));
  const refuse = async (error: UserError) => {
    // A lock of an address that names no account is not news for the log
    // (the audit page lists it among the throttles in force).
    const lockouts = (await loginFailed(attempt)).filter((l) => account || l.scope === "network");
    await Promise.all([
      recordSignInEvent({ ...event, outcome: "FAILURE" }),
      ...lockouts.map((lockout) => auditLockout(lockout, context)),
    ]);
    return error;
  };
  if (!account || !ok) throw await refuse(wrongCredentials());
  if (appPasswordId === null && mailProtocol && isTwoStepEnabled(account)) {
    throw await refuse(new UserError("app_password_required", APP_PASSWORD_REQUIRED_MESSAGE));
  }
  await loginSucceeded(attempt, account.id);
  const signedIn = await completeSignIn(account, event);
  if (appPasswordId) await touchAppPassword(account.id, appPasswordId, context);
  return { ...signedIn, appPasswordId };
}

/** The account fields a sign-in reads (web sessions read the same). */
export const SIGN_IN_ACCOUNT_FIELDS = {
  id: true,
  address: true,
  displayName: true,
  role: true,
  disabled: true,
  sessionVersion: true,
} as const;

/**
 * The end of every sign-in whose credentials were right (a password here,
 * an OpenID provider's ID token in lib/accounts/oidc-sign-in.ts): refuses a
 * disabled account ("account_disabled"), else records the success.
 */
export async function completeSignIn(
  account: AuthenticatedAccount & { disabled: boolean },
  event: Omit<SignInEventInput, "outcome">,
): Promise<AuthenticatedAccount> {
  if (account.disabled) {
    await recordSignInEvent({ ...event, outcome: "FAILURE" });
    throw new UserError(
      "account_disabled",
      "This account is disabled. Contact your administrator.",
    );
  }
  await Promise.all([
    recordSignInEvent({ ...event, outcome: "SUCCESS" }),
    db.account.update({ where: { id: account.id }, data: { lastLoginAt: new Date() } }),
  ]);
  return {
    id: account.id,
    address: account.address,
    displayName: account.displayName,
    role: account.role,
    sessionVersion: account.sessionVersion,
  };
}

/** A lock set by a failure, in the admin's audit log (written by the service, not an admin). */
export function auditLockout(lockout: Lockout, context: LoginContext): Promise<void> {
  return recordAudit({
    actorId: null,
    actor: "sign-in throttle",
    action: lockout.scope === "pair" ? "signin.locked" : "signin.network_locked",
    target: lockout.scope === "pair" ? lockout.address : lockout.network,
    details: {
      network: lockout.network,
      protocol: context.protocol,
      until: lockout.until.toISOString(),
    },
    ip: context.ip,
  });
}
