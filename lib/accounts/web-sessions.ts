// Server-side web sessions (WebSession). The signed next-auth JWT only
// carries a session's id; the row is what makes it valid, so signing out,
// a password change or disabling the account ends it for good, and a cookie
// copied before sign-out is refused after it. One row per browser sign-in,
// kept with where and when it was last used (for a later sessions list).
import { db } from "../db.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import {
  WEB_SESSION_MAX_AGE_SECONDS,
  WEB_SESSION_TOUCH_SECONDS,
  WEB_SESSIONS_PER_ACCOUNT,
} from "../config/limits.ts";
import type { Role } from "../generated/prisma/enums.ts";
import { isUuid } from "../store/list-messages.ts";
import { UserError } from "../errors.ts";
import { SIGN_IN_ACCOUNT_FIELDS, type AuthenticatedAccount } from "./authenticate.ts";

export type SessionAccount = AuthenticatedAccount & { sessionId: string };

/** What a session (or a pending sign-in, lib/accounts/pending-sign-in.ts) reads of its account. */
export type SessionClient = { ip: string; userAgent?: string };

/** Starts a session for a signed-in browser; returns its id (for the JWT). */
export async function createWebSession(accountId: string, client: SessionClient): Promise<string> {
  const ip = client.ip.slice(0, 64);
  const session = await db.webSession.create({
    data: { accountId, ip, lastIp: ip, userAgent: (client.userAgent ?? "").slice(0, 400) },
    select: { id: true },
  });
  // Sessions idle past their lifetime, and the oldest beyond the kept number, go.
  await db.$executeRaw`
    DELETE FROM "WebSession" WHERE "accountId" = ${accountId}::uuid AND (
      "lastSeenAt" < now() - ${WEB_SESSION_MAX_AGE_SECONDS}::float8 * interval '1 second'
      OR "id" IN (SELECT "id" FROM "WebSession" WHERE "accountId" = ${accountId}::uuid
        ORDER BY "lastSeenAt" DESC OFFSET ${WEB_SESSIONS_PER_ACCOUNT}))`;
  return session.id;
}

/** Ends one session (sign-out). Ending one that is gone already is not an error. */
export async function endWebSession(accountId: string, sessionId: string): Promise<void> {
  if (!isUuid(accountId) || !isUuid(sessionId)) return;
  await db.webSession.deleteMany({ where: { accountId, id: sessionId } });
}

/**
 * Applies `data` to the account and ends all its sessions in one
 * transaction: sessionVersion is bumped (so a JWT from before is refused on
 * its own) and the session rows are deleted. Used for a password change,
 * disabling and role changes.
 */
export async function updateAccountEndingSessions(
  accountId: string,
  data: Omit<Prisma.AccountUpdateInput, "sessionVersion">,
): Promise<void> {
  await db.$transaction([
    db.account.update({
      where: { id: accountId },
      data: { ...data, sessionVersion: { increment: 1 } },
    }),
    db.webSession.deleteMany({ where: { accountId } }),
  ]);
}

export type SessionRef = {
  accountId: string;
  sessionId: string;
  sessionVersion: number;
  /** The client's address now, recorded as the session's last (at most every few minutes). */
  ip?: string;
};

/**
 * The account behind a session, or null when the session no longer counts:
 * signed out (no row), idle past its lifetime, account deleted or disabled,
 * or its sessionVersion bumped since sign-in. Called on every request, so
 * each of these takes effect at the next one.
 */
export async function getSessionAccount(ref: SessionRef): Promise<SessionAccount | null> {
  if (!isUuid(ref.accountId) || !isUuid(ref.sessionId)) return null;
  const session = await db.webSession.findUnique({
    where: { accountId_id: { accountId: ref.accountId, id: ref.sessionId } },
    select: {
      lastSeenAt: true,
      lastIp: true,
      account: { select: SIGN_IN_ACCOUNT_FIELDS },
    },
  });
  if (!session) return null;
  const { account } = session;
  const idleMs = Date.now() - session.lastSeenAt.getTime();
  if (account.disabled || account.sessionVersion !== ref.sessionVersion) return null;
  if (idleMs > WEB_SESSION_MAX_AGE_SECONDS * 1000) return null;
  const ip = ref.ip?.slice(0, 64);
  if (idleMs > WEB_SESSION_TOUCH_SECONDS * 1000 || (ip && ip !== session.lastIp)) {
    await db.webSession.updateMany({
      where: { accountId: ref.accountId, id: ref.sessionId },
      data: { lastSeenAt: new Date(), ...(ip ? { lastIp: ip } : {}) },
    });
  }
  return {
    id: account.id,
    address: account.address,
    displayName: account.displayName,
    role: account.role as Role,
    sessionVersion: account.sessionVersion,
    sessionId: ref.sessionId,
  };
}

export type WebSessionView = {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  ip: string;
  lastIp: string;
  userAgent: string;
};

/** The account's live sessions (every signed-in browser), most recently used first. */
export async function listWebSessions(accountId: string): Promise<WebSessionView[]> {
  return db.webSession.findMany({
    where: {
      accountId,
      lastSeenAt: { gt: new Date(Date.now() - WEB_SESSION_MAX_AGE_SECONDS * 1000) },
    },
    orderBy: { lastSeenAt: "desc" },
    take: WEB_SESSIONS_PER_ACCOUNT,
    select: {
      id: true,
      createdAt: true,
      lastSeenAt: true,
      ip: true,
      lastIp: true,
      userAgent: true,
    },
  });
}

/**
 * Signs out one of the account's own sessions (the Security page's "Sign
 * out"): that browser is refused at its next request. UserError not_found
 * when the account has no such session, so another account's id does nothing.
 */
export async function signOutWebSession(accountId: string, sessionId: string): Promise<void> {
  const { count } = isUuid(sessionId)
    ? await db.webSession.deleteMany({ where: { accountId, id: sessionId } })
    : { count: 0 };
  if (count === 0) throw new UserError("not_found", "No such session.");
}

/** "Sign out everywhere else": every session of the account but `keepSessionId`. Returns how many ended. */
export async function signOutOtherWebSessions(
  accountId: string,
  keepSessionId: string,
): Promise<number> {
  const { count } = await db.webSession.deleteMany({
    where: { accountId, id: { not: keepSessionId } },
  });
  return count;
}
