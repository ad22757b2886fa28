// The admin overview's figures, all read from the database (never counters
// kept in one process), each with a query that stays cheap as mail grows:
// mail volume from the hourly rollup (lib/store/mail-volume.ts), outcomes
// and signups through their createdAt indexes, queue size through
// (status, nextAttemptAt).
import { db } from "../db.ts";

export type VolumePoint = {
  start: Date;
  received: number;
  sent: number;
  /** Inbound copies filed as Junk by the MX's verdict. */
  junk: number;
  /** Inbound messages the verdict refused. */
  rejected: number;
};
export type OutcomeCount = { status: OutboundOutcome; count: number };
export type OutboundOutcome = "queued" | "deferred" | "delivered" | "bounced" | "cancelled";
export type StorageUse = { address: string; usedBytes: number; quotaBytes: number };
export type SignupPoint = { day: Date; count: number };

export type Overview = {
  hourly: VolumePoint[];
  daily: VolumePoint[];
  /** Outbound recipients queued in the last OUTCOME_DAYS days, by their status now. */
  outcomes: OutcomeCount[];
  /** Recipients waiting for delivery (queued or deferred) right now. */
  queueSize: number;
  largestAccounts: StorageUse[];
  signups: SignupPoint[];
};

export const HOURS = 24;
export const DAYS = 30;
export const OUTCOME_DAYS = 30;
export const LARGEST_ACCOUNTS = 10;
const OUTCOMES: OutboundOutcome[] = ["delivered", "deferred", "bounced", "queued", "cancelled"];

const n = (value: bigint | number | null | undefined) => Number(value ?? 0);

type VolumeRow = { start: Date; received: bigint; sent: bigint; junk: bigint; rejected: bigint };
const volumePoint = (r: VolumeRow): VolumePoint => ({
  start: r.start,
  received: n(r.received),
  sent: n(r.sent),
  junk: n(r.junk),
  rejected: n(r.rejected),
});

/** Every figure of the overview as of `now`; days are UTC days. */
export async function loadOverview(now = new Date()): Promise<Overview> {
  const [hourly, daily, outcomes, queue, largest, signups] = await Promise.all([
    db.$queryRaw<VolumeRow[]>`
      SELECT s.start, COALESCE(sum(v."received"), 0)::int8 AS received, COALESCE(sum(v."sent"), 0)::int8 AS sent,
        COALESCE(sum(v."junk"), 0)::int8 AS junk, COALESCE(sum(v."rejected"), 0)::int8 AS rejected
      FROM generate_series(date_trunc('hour', ${now}::timestamptz) - interval '23 hours',
        date_trunc('hour', ${now}::timestamptz), interval '1 hour') AS s(start)
      LEFT JOIN "MailVolumeHour" v ON v."hour" = s.start
      GROUP BY s.start ORDER BY s.start`,
    db.$queryRaw<VolumeRow[]>`
      WITH days AS (
        SELECT d AS day FROM generate_series(date_trunc('day', ${now}::timestamptz AT TIME ZONE 'UTC') - interval '29 days',
          date_trunc('day', ${now}::timestamptz AT TIME ZONE 'UTC'), interval '1 day') AS d
      )
      SELECT (days.day AT TIME ZONE 'UTC') AS start, COALESCE(sum(v."received"), 0)::int8 AS received,
        COALESCE(sum(v."sent"), 0)::int8 AS sent, COALESCE(sum(v."junk"), 0)::int8 AS junk,
        COALESCE(sum(v."rejected"), 0)::int8 AS rejected
      FROM days LEFT JOIN "MailVolumeHour" v
        ON v."hour" >= (days.day AT TIME ZONE 'UTC') AND v."hour" < ((days.day + interval '1 day') AT TIME ZONE 'UTC')
      GROUP BY days.day ORDER BY days.day`,
    db.$queryRaw<{ status: string; count: bigint }[]>`
      SELECT "status"::text AS status, count(*)::int8 AS count FROM "OutboundRecipient"
      WHERE "createdAt" >= ${now}::timestamptz - make_interval(days => ${OUTCOME_DAYS}::int)
      GROUP BY "status"`,
    db.outboundRecipient.count({ where: { status: { in: ["QUEUED", "DEFERRED"] } } }),
    db.account.findMany({
      orderBy: [{ usedBytes: "desc" }, { address: "asc" }],
      take: LARGEST_ACCOUNTS,
      select: { address: true, usedBytes: true, quotaBytes: true },
    }),
    db.$queryRaw<{ day: Date; count: bigint }[]>`
      WITH days AS (
        SELECT d AS day FROM generate_series(date_trunc('day', ${now}::timestamptz AT TIME ZONE 'UTC') - interval '29 days',
          date_trunc('day', ${now}::timestamptz AT TIME ZONE 'UTC'), interval '1 day') AS d
      )
      SELECT (days.day AT TIME ZONE 'UTC') AS day, count(a."id")::int8 AS count
      FROM days LEFT JOIN "Account" a
        ON a."createdAt" >= (days.day AT TIME ZONE 'UTC') AND a."createdAt" < ((days.day + interval '1 day') AT TIME ZONE 'UTC')
      GROUP BY days.day ORDER BY days.day`,
  ]);
  const byStatus = new Map(outcomes.map((o) => [o.status.toLowerCase(), n(o.count)]));
  return {
    hourly: hourly.map(volumePoint),
    daily: daily.map(volumePoint),
    outcomes: OUTCOMES.map((status) => ({ status, count: byStatus.get(status) ?? 0 })),
    queueSize: queue,
    largestAccounts: largest.map((a) => ({
      address: a.address,
      usedBytes: n(a.usedBytes),
      quotaBytes: n(a.quotaBytes),
    })),
    signups: signups.map((r) => ({ day: r.day, count: n(r.count) })),
  };
}
