// Password login for every protocol (web, SMTP AUTH, IMAP, POP3): one set of
// throttling and disabled-account rules.
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import {
  LOGIN_FAILURES_PER_ACCOUNT,
  LOGIN_FAILURES_PER_IP,
  LOGIN_WINDOW_SECONDS,
  MAX_PASSWORD_LENGTH,
} from "../config/limits.ts";
import { clearRateLimit, hitRateLimit, peekRateLimit } from "../rate-limit.ts";
import { verifyPassword } from "../auth/password.ts";
import { normalizeAddress } from "./address.ts";
import type { Role } from "../generated/prisma/enums.ts";

export type AuthenticatedAccount = {
  id: string;
  address: string;
  displayName: string;
  role: Role;
  sessionVersion: number;
};

export type LoginContext = { ip: string; protocol: "web" | "smtp" | "imap" | "pop3" };

const accountKey = (address: string) => `login-fail:acct:${address}`;
const ipKey = (ip: string) => `login-fail:ip:${ip}`;

/**
 * Checks the password. Throws UserError: "throttled" after too many failures
 * for the account or the client address, "invalid_credentials" (never saying
 * which part was wrong), or "account_disabled" (only once the password is
 * right, so it does not reveal account state to guessers).
 */
export async function authenticate(
  addressInput: string,
  password: string,
  context: LoginContext,
): Promise<AuthenticatedAccount> {
  const address = normalizeAddress(addressInput).slice(0, 320);
  const [accountFailures, ipFailures] = await Promise.all([
    peekRateLimit(accountKey(address), LOGIN_WINDOW_SECONDS),
    peekRateLimit(ipKey(context.ip), LOGIN_WINDOW_SECONDS),
  ]);
  if (accountFailures >= LOGIN_FAILURES_PER_ACCOUNT || ipFailures >= LOGIN_FAILURES_PER_IP) {
    throw new UserError("throttled", "Too many failed sign-in attempts. Try again in 15 minutes.");
  }

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
    await Promise.all([
      hitRateLimit(accountKey(address), LOGIN_WINDOW_SECONDS),
      hitRateLimit(ipKey(context.ip), LOGIN_WINDOW_SECONDS),
    ]);
    throw new UserError("invalid_credentials", "Wrong address or password.");
  }
  if (account.disabled) {
    throw new UserError(
      "account_disabled",
      "This account is disabled. Contact your administrator.",
    );
  }
  await Promise.all([
    clearRateLimit(accountKey(address)),
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

/**
 * The account behind a session, or null when the session no longer counts:
 * account deleted, disabled, or its sessionVersion bumped since sign-in.
 * Called on every request, so a disabled account is out at its next request.
 */
export async function getSessionAccount(
  accountId: string,
  sessionVersion: number,
): Promise<AuthenticatedAccount | null> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: {
      id: true,
      address: true,
      displayName: true,
      role: true,
      disabled: true,
      sessionVersion: true,
    },
  });
  if (!account || account.disabled || account.sessionVersion !== sessionVersion) return null;
  return {
    id: account.id,
    address: account.address,
    displayName: account.displayName,
    role: account.role,
    sessionVersion: account.sessionVersion,
  };
}
