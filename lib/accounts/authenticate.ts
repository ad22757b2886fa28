// Password login for every protocol (web, SMTP AUTH, IMAP, POP3): one set of
// throttling (lib/auth/login-throttle.ts), disabled-account and sign-in
// history rules. Web sessions are lib/accounts/web-sessions.ts.
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
import { normalizeAddress } from "./address.ts";
import { recordSignInEvent } from "./sign-in-events.ts";
import type { Role } from "../generated/prisma/enums.ts";

export type AuthenticatedAccount = {
  id: string;
  address: string;
  displayName: string;
  role: Role;
  sessionVersion: number;
};

export type LoginContext = { ip: string; protocol: LoginProtocol; userAgent?: string };

const wrongCredentials = () => new UserError("invalid_credentials", "Wrong address or password.");

/**
 * Checks the password, after the throttle's delay for this address and
 * client network (a timer: nothing is held while waiting). Throws UserError:
 * "throttled" (a LoginThrottledError) when the address is locked for this
 * network or the network is locked, "invalid_credentials" (never saying
 * which part was wrong), or "account_disabled" (only once the password is
 * right, so it does not reveal account state to guessers). Every outcome is
 * recorded in the account's sign-in history; locks go to the audit log.
 */
export async function authenticate(
  addressInput: string,
  password: string,
  context: LoginContext,
): Promise<AuthenticatedAccount> {
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
    select: {
      id: true,
      address: true,
      displayName: true,
      role: true,
      passwordHash: true,
      disabled: true,
      sessionVersion: true,
    },
  });
  const ok =
    password.length <= MAX_PASSWORD_LENGTH &&
    (await verifyPassword(account?.passwordHash ?? null, password));
  if (!account || !ok) {
    // A lock of an address that names no account is not news for the log
    // (the audit page lists it among the throttles in force).
    const lockouts = (await loginFailed(attempt)).filter((l) => account || l.scope === "network");
    await Promise.all([
      recordSignInEvent({ ...event, outcome: "FAILURE" }),
      ...lockouts.map((lockout) => auditLockout(lockout, context)),
    ]);
    throw wrongCredentials();
  }
  await loginSucceeded(attempt, account.id);
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
