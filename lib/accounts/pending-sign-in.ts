// A web sign-in between its two steps (PendingSignIn). The password step
// writes the row; the browser gets only a reference to it, signed with the
// web app's secret (HMAC-SHA256), in an httpOnly cookie. The second step
// reads the row back, never anything the client says about the account, and
// deletes it once the code is right; only then does a session exist.
import { createHmac, timingSafeEqual } from "node:crypto";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import { PENDING_SIGN_IN_SECONDS } from "../config/limits.ts";
import { isUuid } from "../store/list-messages.ts";
import type { AuthenticatedAccount } from "./authenticate.ts";
import { SIGN_IN_ACCOUNT_FIELDS } from "./authenticate.ts";
import { verifySecondStep, type SecondStepContext } from "./second-step.ts";
import { verifyPasskeySignIn, type RelyingParty } from "./passkeys.ts";

export type PendingSignInRef = { accountId: string; id: string };

const mac = (payload: string, secret: string) =>
  createHmac("sha256", `pending-sign-in:${secret}`).update(payload).digest("base64url");

/** The cookie value naming a pending sign-in: "accountId.id.mac". */
export function signPendingSignIn(ref: PendingSignInRef, secret: string): string {
  const payload = `${ref.accountId}.${ref.id}`;
  return `${payload}.${mac(payload, secret)}`;
}

/** The pending sign-in a cookie value names, when its signature is ours; else null. */
export function readPendingSignInToken(token: string, secret: string): PendingSignInRef | null {
  const [accountId, id, signature, extra] = token.split(".");
  if (!accountId || !id || !signature || extra !== undefined) return null;
  if (!isUuid(accountId) || !isUuid(id)) return null;
  const expected = Buffer.from(mac(`${accountId}.${id}`, secret));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return { accountId, id };
}

/** After a right password for an account with two-step on: the pending row (older ones of the account go). */
export async function beginPendingSignIn(
  account: AuthenticatedAccount,
  client: SecondStepContext,
): Promise<PendingSignInRef> {
  await db.pendingSignIn.deleteMany({
    where: { accountId: account.id, expiresAt: { lt: new Date() } },
  });
  const row = await db.pendingSignIn.create({
    data: {
      accountId: account.id,
      sessionVersion: account.sessionVersion,
      ip: client.ip.slice(0, 64),
      userAgent: (client.userAgent ?? "").slice(0, 400),
      expiresAt: new Date(Date.now() + PENDING_SIGN_IN_SECONDS * 1000),
    },
    select: { id: true },
  });
  return { accountId: account.id, id: row.id };
}

export type PendingSignIn = { account: AuthenticatedAccount; totp: boolean; passkeys: boolean };

/**
 * The pending sign-in, while it still counts: not expired, the account
 * enabled and its sessionVersion unchanged (a password change meanwhile
 * voids it). Null otherwise.
 */
export async function getPendingSignIn(ref: PendingSignInRef): Promise<PendingSignIn | null> {
  const row = await db.pendingSignIn.findUnique({
    where: { accountId_id: { accountId: ref.accountId, id: ref.id } },
    select: {
      sessionVersion: true,
      expiresAt: true,
      account: {
        select: {
          ...SIGN_IN_ACCOUNT_FIELDS,
          totpFactor: { select: { confirmedAt: true } },
          _count: { select: { passkeys: true } },
        },
      },
    },
  });
  if (!row || row.expiresAt.getTime() <= Date.now()) return null;
  const { account } = row;
  if (account.disabled || account.sessionVersion !== row.sessionVersion) return null;
  return {
    account: {
      id: account.id,
      address: account.address,
      displayName: account.displayName,
      role: account.role,
      sessionVersion: account.sessionVersion,
    },
    totp: Boolean(account.totpFactor?.confirmedAt),
    passkeys: account._count.passkeys > 0,
  };
}

const expired = () =>
  new UserError("invalid_input", "Your sign-in took too long. Sign in again with your password.");

/**
 * The second step with a code: the account when the code is right (the
 * pending row is then used up), else the throttle's or the wrong code's
 * UserError. A pending sign-in that no longer counts is refused first.
 */
export async function completeSignInWithCode(
  ref: PendingSignInRef,
  code: string,
  client: SecondStepContext,
): Promise<AuthenticatedAccount> {
  const pending = await getPendingSignIn(ref);
  if (!pending) throw expired();
  if (!code.trim()) throw new UserError("invalid_input", "Enter the code.", "code");
  await verifySecondStep(pending.account, code, client);
  return usePendingSignIn(ref, pending);
}

/**
 * The second step with a passkey (lib/accounts/passkeys.ts): the account
 * when the browser's answer is right for one of its passkeys.
 */
export async function completeSignInWithPasskey(
  ref: PendingSignInRef,
  rp: RelyingParty,
  response: unknown,
  client: SecondStepContext,
): Promise<AuthenticatedAccount> {
  const pending = await getPendingSignIn(ref);
  if (!pending) throw expired();
  await verifyPasskeySignIn(
    rp,
    response,
    { purpose: "second-step", accountId: pending.account.id },
    client,
  );
  return usePendingSignIn(ref, pending);
}

/** The pending row is used once: a second request with the same cookie finds nothing. */
async function usePendingSignIn(
  ref: PendingSignInRef,
  pending: PendingSignIn,
): Promise<AuthenticatedAccount> {
  const { count } = await db.pendingSignIn.deleteMany({
    where: { accountId: ref.accountId, id: ref.id },
  });
  if (count !== 1) throw expired();
  return pending.account;
}
