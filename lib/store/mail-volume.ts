// The service-wide hourly mail volume (MailVolumeHour) the admin overview
// charts. Counting Message rows by receivedAt would scan the whole table:
// its indexes all lead with accountId (the sharding rule), so the store
// counts each delivery here, in the delivery's own transaction.
import { query, sql, type Sql } from "../db/sql.ts";

/**
 * Rows per hour that concurrent writers spread over (by backend pid), so two
 * delivery transactions never queue on one counter row until COMMIT.
 */
export const MAIL_VOLUME_SLOTS = 8;

export type VolumeCount = { at: Date; received: number; sent: number; junk?: number };

/**
 * One statement adding the counts to their hours; run it last in the
 * delivery transaction (after the copies' row locks), so a counter row is
 * held only for the moment before COMMIT. Null when there is nothing to add.
 */
export function countMailVolumeStatement(counts: VolumeCount[]): Sql | null {
  const kept = counts.filter((c) => c.received > 0 || c.sent > 0 || (c.junk ?? 0) > 0);
  if (kept.length === 0) return null;
  return sql`
    INSERT INTO "MailVolumeHour" ("hour", "slot", "received", "sent", "junk")
    SELECT date_trunc('hour', v.at), pg_backend_pid() % ${MAIL_VOLUME_SLOTS}::int, sum(v.received), sum(v.sent),
      sum(v.junk)
    FROM unnest(${kept.map((c) => c.at)}::timestamptz[], ${kept.map((c) => c.received)}::int[],
      ${kept.map((c) => c.sent)}::int[], ${kept.map((c) => c.junk ?? 0)}::int[]) AS v(at, received, sent, junk)
    GROUP BY 1 ORDER BY 1
    ON CONFLICT ("hour", "slot") DO UPDATE SET "received" = "MailVolumeHour"."received" + EXCLUDED."received",
      "sent" = "MailVolumeHour"."sent" + EXCLUDED."sent", "junk" = "MailVolumeHour"."junk" + EXCLUDED."junk"`;
}

/** Counts one message the MX's verdict refused (outside any delivery transaction). */
export async function countRejectedMessage(at: Date): Promise<void> {
  await query(
    sql`INSERT INTO "MailVolumeHour" ("hour", "slot", "rejected")
      VALUES (date_trunc('hour', ${at}::timestamptz), pg_backend_pid() % ${MAIL_VOLUME_SLOTS}::int, 1)
      ON CONFLICT ("hour", "slot") DO UPDATE SET "rejected" = "MailVolumeHour"."rejected" + 1`,
    "count-rejected",
  );
}
