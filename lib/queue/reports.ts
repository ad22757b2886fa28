// Sending the reports senders are owed (bounces, delay warnings) as RFC 3464
// DSNs from MAILER-DAEMON with the null reverse-path: to a hosted sender's
// Inbox through the store, to a remote sender through the queue.
import { loadConfig } from "../config/index.ts";
import { db } from "../db.ts";
import { composeDsn, headerBlockOf, subjectOf } from "../mime/compose-dsn.ts";
import { sendNullSenderMessage } from "./send-null-sender.ts";
import type { SenderReport } from "./results.ts";

/** Delivers each report; a report that cannot be delivered is logged and dropped (never a report about a report). */
export async function deliverSenderReports(
  reports: SenderReport[],
  log: (line: string) => void = console.error,
): Promise<void> {
  const hostname = loadConfig().hostname;
  for (const report of reports) {
    // RFC 5321 §4.5.5: nothing is ever sent back to the null reverse-path.
    if (report.mailFrom === "") continue;
    try {
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
      if (outcome.kind === "dropped")
        log(`report to ${report.mailFrom} dropped: ${outcome.reason}`);
    } catch (error) {
      log(`report to ${report.mailFrom} failed: ${(error as Error).message}`);
    }
  }
}
