// An account's sign-in history (SignInEvent): successes, failures and
// throttled attempts over every protocol, for the user's Security page and
// the admin's account page. Bounded: repeats from one client within
// SIGN_IN_EVENT_MERGE_SECONDS are one row with a count, and only the newest
// SIGN_IN_EVENTS_KEPT rows of an account are kept.
import { db } from "../db.ts";
import type { SignInOutcome } from "../generated/prisma/enums.ts";
import { SIGN_IN_EVENT_MERGE_SECONDS, SIGN_IN_EVENTS_KEPT } from "../config/limits.ts";
import type { LoginProtocol } from "../auth/login-throttle.ts";
import { newUuidV7 } from "../store/ids.ts";

export type SignInEventInput = {
  /** The address tried: nothing is recorded when it names no account. */
  address: string;
  outcome: SignInOutcome;
  /**
   * A sign-in protocol, "web-2fa" for the second step of a web sign-in with a
   * code, "web-2fa-passkey" for it with a passkey, "web-passkey" for a
   * passwordless sign-in with a passkey.
   */
  protocol: LoginProtocol | "web-2fa" | "web-2fa-passkey" | "web-passkey";
  ip: string;
  userAgent?: string;
};

/** Records one attempt for the account at `address`, if there is one. */
export async function recordSignInEvent(event: SignInEventInput): Promise<void> {
  const userAgent = (event.userAgent ?? "").slice(0, 400);
  const ip = event.ip.slice(0, 64);
  // One statement: merged into the latest matching row of the last hour, or a new row.
  const [row] = await db.$queryRaw<{ accountId: string }[]>`
    WITH account AS (SELECT "id" FROM "Account" WHERE "address" = ${event.address}),
    merged AS (
      UPDATE "SignInEvent" e SET "count" = e."count" + 1, "lastAt" = now()
      WHERE e."accountId" = (SELECT "id" FROM account) AND e."id" = (
        SELECT l."id" FROM "SignInEvent" l
        WHERE l."accountId" = (SELECT "id" FROM account)
          AND l."lastAt" > now() - ${SIGN_IN_EVENT_MERGE_SECONDS}::float8 * interval '1 second'
          AND l."outcome" = ${event.outcome}::"SignInOutcome" AND l."protocol" = ${event.protocol}
          AND l."ip" = ${ip} AND l."userAgent" = ${userAgent}
        ORDER BY l."lastAt" DESC LIMIT 1)
      RETURNING e."accountId"
    )
    INSERT INTO "SignInEvent" ("accountId", "id", "outcome", "protocol", "ip", "userAgent")
    SELECT "id", ${newUuidV7()}::uuid, ${event.outcome}::"SignInOutcome", ${event.protocol}, ${ip}, ${userAgent}
    FROM account WHERE NOT EXISTS (SELECT 1 FROM merged)
    RETURNING "accountId"`;
  if (!row) return;
  // A new row: drop the account's oldest beyond the kept number.
  await db.$executeRaw`
    DELETE FROM "SignInEvent" WHERE "accountId" = ${row.accountId}::uuid AND "id" IN (
      SELECT "id" FROM "SignInEvent" WHERE "accountId" = ${row.accountId}::uuid
      ORDER BY "lastAt" DESC OFFSET ${SIGN_IN_EVENTS_KEPT})`;
}

export type SignInEventView = {
  id: string;
  outcome: SignInOutcome;
  protocol: string;
  ip: string;
  userAgent: string;
  count: number;
  firstAt: Date;
  lastAt: Date;
};

/** The account's latest sign-in events, newest first (50 for the Security page). */
export async function listSignInEvents(
  accountId: string,
  options: { limit?: number; outcomes?: SignInOutcome[] } = {},
): Promise<SignInEventView[]> {
  return db.signInEvent.findMany({
    where: {
      accountId,
      ...(options.outcomes ? { outcome: { in: options.outcomes } } : {}),
    },
    orderBy: { lastAt: "desc" },
    take: Math.min(Math.max(options.limit ?? 50, 1), SIGN_IN_EVENTS_KEPT),
    select: {
      id: true,
      outcome: true,
      protocol: true,
      ip: true,
      userAgent: true,
      count: true,
      firstAt: true,
      lastAt: true,
    },
  });
}
