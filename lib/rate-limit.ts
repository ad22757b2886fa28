// Fixed-window counters in Postgres, so every web and gateway instance sees
// the same counts. Keys name what is counted: "login-fail:acct:<address>",
// "login-fail:ip:<ip>", "signup:ip:<ip>", "send:msgs:<accountId>".
import { db } from "./db.ts";

function windowStart(windowSeconds: number, now: Date): Date {
  const ms = windowSeconds * 1000;
  return new Date(Math.floor(now.getTime() / ms) * ms);
}

/** Counts one event; returns the count in the current window including it. */
export async function hitRateLimit(
  key: string,
  windowSeconds: number,
  now = new Date(),
): Promise<number> {
  return addToRateLimit(key, windowSeconds, 1, now);
}

/** Counts `amount` events at once (say, a message's recipients); returns the new count. */
export async function addToRateLimit(
  key: string,
  windowSeconds: number,
  amount: number,
  now = new Date(),
): Promise<number> {
  const start = windowStart(windowSeconds, now);
  const expires = new Date(start.getTime() + windowSeconds * 1000);
  const rows = await db.$queryRaw<{ count: number }[]>`
    INSERT INTO "RateLimit" ("key", "windowStart", "count", "expiresAt")
    VALUES (${key}, ${start}, ${amount}, ${expires})
    ON CONFLICT ("key", "windowStart") DO UPDATE SET "count" = "RateLimit"."count" + ${amount}
    RETURNING "count"`;
  // Expired windows are garbage; clearing them now and then keeps the table small.
  if (Math.random() < 0.01) {
    await db.$executeRaw`DELETE FROM "RateLimit" WHERE "expiresAt" < ${now}`;
  }
  return rows[0]?.count ?? amount;
}

/** The count in the current window, without counting. */
export async function peekRateLimit(
  key: string,
  windowSeconds: number,
  now = new Date(),
): Promise<number> {
  const row = await db.rateLimit.findUnique({
    where: { key_windowStart: { key, windowStart: windowStart(windowSeconds, now) } },
    select: { count: true },
  });
  return row?.count ?? 0;
}

export async function clearRateLimit(key: string): Promise<void> {
  await db.rateLimit.deleteMany({ where: { key } });
}
