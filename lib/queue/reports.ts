// Sending the reports senders are owed (bounces, delay warnings) as RFC 3464
// DSNs from MAILER-DAEMON with the null reverse-path: to a hosted sender's
// Inbox through the store, to a remote sender through the queue. Each report
// is an OwedReport row from the moment its outcome is recorded until it is
// stored or queued, so a worker that dies in between loses none: another
// claims the row when its lease runs out (at least once; a report sent just
// before a crash may be sent twice, as with any queue).
import { loadConfig } from "../config/index.ts";
import { db } from "../db.ts";
import { query, sql } from "../db/sql.ts";
import { composeDsn, headerBlockOf, subjectOf, type DsnRecipient } from "../mime/compose-dsn.ts";
import { sendNullSenderMessage } from "./send-null-sender.ts";
import { REPORT_LEASE_SECONDS, type SenderReport } from "./results.ts";

/** Reports claimed per pass of deliverOwedReports. */
const REPORTS_PER_PASS = 100;

/**
 * Delivers each report and then forgets it. A report whose sender cannot get
 * mail (no such hosted user) is logged and forgotten; one that fails (the
 * database) is logged and kept for a later pass.
 */
export async function deliverSenderReports(
  reports: SenderReport[],
  log: (line: string) => void = console.error,
): Promise<void> {
  const hostname = loadConfig().hostname;
  for (const report of reports) {
    try {
      await sendReport(report, hostname, log);
      await query(sql`DELETE FROM "OwedReport" WHERE "id" = ${report.id}::uuid`);
    } catch (error) {
      log(`report to ${report.mailFrom} failed, kept for later: ${(error as Error).message}`);
    }
  }
}

/** The DSN to the report's sender, stored or queued; never a report about a report. */
async function sendReport(
  report: SenderReport,
  hostname: string,
  log: (line: string) => void,
): Promise<void> {
  // RFC 5321 §4.5.5: nothing is ever sent back to the null reverse-path.
  if (report.mailFrom === "") return;
  const source = await db.messageSource.findUnique({
    where: { sha256: report.sourceSha256 },
    select: { raw: true },
  });
  const headers = source ? headerBlockOf(Buffer.from(source.raw)) : Buffer.alloc(0);
  const { raw } = composeDsn({
    reportingHost: hostname,
    to: report.mailFrom,
    arrivalDate: report.arrivalDate,
    recipients: report.recipients,
    originalHeaders: headers,
    originalSubject: subjectOf(headers),
  });
  const outcome = await sendNullSenderMessage(raw, report.mailFrom, {
    // A full mailbox still learns that its mail bounced.
    enforceQuota: false,
  });
  if (outcome.kind === "dropped") log(`report to ${report.mailFrom} dropped: ${outcome.reason}`);
}

type OwedReportRow = Omit<SenderReport, "recipients"> & { recipients: StoredDsnRecipient[] };
/** A DsnRecipient as jsonb keeps it: dates as ISO strings. */
type StoredDsnRecipient = Omit<DsnRecipient, "lastAttemptAt" | "willRetryUntil"> & {
  lastAttemptAt: string | null;
  willRetryUntil: string | null;
};

/**
 * Claims reports nobody is sending (their recorder died, or sending failed
 * and the lease ran out) for `owner` and delivers them. Returns how many
 * were claimed.
 */
export async function deliverOwedReports(
  owner: string,
  log: (line: string) => void = console.error,
): Promise<number> {
  const rows = await query<OwedReportRow>(sql`
    UPDATE "OwedReport" r
    SET "leaseOwner" = ${owner}, "leaseUntil" = now() + make_interval(secs => ${REPORT_LEASE_SECONDS}::int)
    WHERE r."id" IN (
      SELECT "id" FROM "OwedReport"
      WHERE "leaseUntil" IS NULL OR "leaseUntil" < now()
      ORDER BY "createdAt" LIMIT ${REPORTS_PER_PASS}
      FOR UPDATE SKIP LOCKED)
    RETURNING r."id"::text AS "id", r."submissionId"::text AS "submissionId",
      r."accountId"::text AS "accountId", r."mailFrom", r."sourceSha256", r."arrivalDate",
      r."recipients"`);
  await deliverSenderReports(
    rows.map((row) => ({
      ...row,
      recipients: row.recipients.map((r) => ({
        ...r,
        lastAttemptAt: r.lastAttemptAt === null ? null : new Date(r.lastAttemptAt),
        willRetryUntil: r.willRetryUntil === null ? null : new Date(r.willRetryUntil),
      })),
    })),
    log,
  );
  return rows.length;
}
