// Rate limits in Postgres, so every web and gateway instance sees the same
// counts. Keys name what is counted: "signup:ip:<network>",
// "send:msgs:<accountId>", "send:rcpts:<accountId>". Sign-in failures have
// their own throttle (lib/auth/login-throttle.ts).
//
// Counters are kept per fixed window, but a limit is checked against a
// sliding-window estimate: this window's count plus the previous window's,
// weighted by how much of it still lies within one window length of now
// (rounded up). Plain fixed windows would forget every failure at each
// window edge, letting a guesser make twice the allowed attempts across it.
import { db } from "./db.ts";

function windowStart(windowSeconds: number, now: Date): Date {
  const ms = windowSeconds * 1000;
  return new Date(Math.floor(now.getTime() / ms) * ms);
}

function slidingCount(
  current: number,
  previous: number,
  start: Date,
  windowSeconds: number,
  now: Date,
): number {
  const elapsed = (now.getTime() - start.getTime()) / (windowSeconds * 1000);
  return current + Math.ceil(previous * Math.max(0, 1 - elapsed));
}

/** Counts one event; returns the sliding count including it. */
export async function hitRateLimit(
  key: string,
  windowSeconds: number,
  now = new Date(),
): Promise<number> {
  return addToRateLimit(key, windowSeconds, 1, now);
}

/** Counts `amount` events at once (say, a message's recipients); returns the new sliding count. */
export async function addToRateLimit(
  key: string,
  windowSeconds: number,
  amount: number,
  now = new Date(),
): Promise<number> {
  const start = windowStart(windowSeconds, now);
  const previousStart = new Date(start.getTime() - windowSeconds * 1000);
  // Kept for two windows: the next window still reads this one.
  const expires = new Date(start.getTime() + 2 * windowSeconds * 1000);
  const rows = await db.$queryRaw<{ current: number; previous: number }[]>`
    WITH hit AS (
      INSERT INTO "RateLimit" ("key", "windowStart", "count", "expiresAt")
      VALUES (${key}, ${start}, ${amount}, ${expires})
      ON CONFLICT ("key", "windowStart") DO UPDATE SET "count" = "RateLimit"."count" + ${amount}
      RETURNING "count"
    )
    SELECT (SELECT "count" FROM hit) AS current,
      COALESCE((SELECT "count" FROM "RateLimit" WHERE "key" = ${key} AND "windowStart" = ${previousStart}), 0)
        AS previous`;
  // Expired windows are garbage; clearing them now and then keeps the table small.
  if (Math.random() < 0.01) {
    await db.$executeRaw`DELETE FROM "RateLimit" WHERE "expiresAt" < ${now}`;
  }
  const row = rows[0];
  return row ? slidingCount(row.current, row.previous, start, windowSeconds, now) : amount;
}

/** The sliding count now, without counting. */
export async function peekRateLimit(
  key: string,
  windowSeconds: number,
  now = new Date(),
): Promise<number> {
  const start = windowStart(windowSeconds, now);
  const previousStart = new Date(start.getTime() - windowSeconds * 1000);
  const rows = await db.rateLimit.findMany({
    where: { key, windowStart: { in: [start, previousStart] } },
    select: { windowStart: true, count: true },
  });
  const countAt = (at: Date) =>
    rows.find((r) => r.windowStart.getTime() === at.getTime())?.count ?? 0;
  return slidingCount(countAt(start), countAt(previousStart), start, windowSeconds, now);
}

export async function clearRateLimit(key: string): Promise<void> {
  await db.rateLimit.deleteMany({ where: { key } });
}
