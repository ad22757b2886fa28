// Recording what a delivery attempt did to each claimed recipient. A result
// is written only while the writer still holds the row's lease: a worker that
// stalled past its lease (and whose rows another instance took over) cannot
// overwrite the newer outcome.
import { db } from "../db.ts";
import { enhancedStatusOf, type DsnRecipient } from "../mime/compose-dsn.ts";
import { retryDelaySeconds, type RetryPolicy } from "./backoff.ts";
import type { ClaimedRecipient } from "./claim.ts";

export type AttemptOutcome =
  | { kind: "delivered"; reply: string; remoteMta: string | null }
  /** 4xx, connection failures, timeouts: try again later (RFC 5321 §4.2.1). */
  | { kind: "deferred"; reply: string; remoteMta: string | null }
  /** 5xx or a definite routing failure (null MX, no such domain): give up now. */
  | { kind: "failed"; reply: string; remoteMta: string | null };

export type QueuePolicy = RetryPolicy & { delayWarningSeconds: number };

/** A report the sender is owed: a bounce or a delay warning for some recipients. */
export type SenderReport = {
  submissionId: string;
  accountId: string | null;
  mailFrom: string;
  sourceSha256: string;
  arrivalDate: Date;
  recipients: DsnRecipient[];
};

/**
 * Writes the outcome for the recipients (all claimed by `owner`) and returns
 * the reports owed to senders. Never a report for a report: recipients whose
 * envelope sender is empty (bounces themselves, RFC 5321 §4.5.5) get none.
 */
export async function recordAttempt(
  owner: string,
  recipients: ClaimedRecipient[],
  outcome: AttemptOutcome,
  policy: QueuePolicy,
  now = new Date(),
): Promise<SenderReport[]> {
  if (recipients.length === 0) return [];
  const reply = outcome.reply.replace(/[\r\n]+/g, " ").slice(0, 1000);
  const reports: { row: ClaimedRecipient; dsn: DsnRecipient }[] = [];

  if (outcome.kind === "delivered") {
    await db.$executeRaw`
      UPDATE "OutboundRecipient" SET "status" = 'DELIVERED', "attempts" = "attempts" + 1, "lastReply" = ${reply},
        "lastAttemptAt" = ${now}, "finishedAt" = ${now}, "leaseOwner" = NULL, "leaseUntil" = NULL
      WHERE "id" = ANY(${recipients.map((r) => r.id)}::uuid[]) AND "leaseOwner" = ${owner}`;
    return [];
  }

  const bounce = async (rows: ClaimedRecipient[], status: string, diagnostic: string) => {
    if (rows.length === 0) return;
    await db.$executeRaw`
      UPDATE "OutboundRecipient" SET "status" = 'BOUNCED', "attempts" = "attempts" + 1, "lastReply" = ${diagnostic},
        "lastAttemptAt" = ${now}, "finishedAt" = ${now}, "leaseOwner" = NULL, "leaseUntil" = NULL
      WHERE "id" = ANY(${rows.map((r) => r.id)}::uuid[]) AND "leaseOwner" = ${owner}`;
    for (const row of rows) {
      reports.push({
        row,
        dsn: {
          recipient: row.recipient,
          action: "failed",
          status,
          diagnostic,
          remoteMta: outcome.remoteMta,
          lastAttemptAt: now,
          willRetryUntil: null,
        },
      });
    }
  };

  if (outcome.kind === "failed") {
    await bounce(recipients, enhancedStatusOf(reply, "5.0.0"), reply);
  } else {
    // Deferred: past its lifetime a recipient bounces (4.4.7, as Postfix
    // reports an expired message); otherwise it waits for its next try.
    const expired = recipients.filter((r) => r.expiresAt.getTime() <= now.getTime());
    await bounce(expired, "4.4.7", `${reply} (gave up: delivery time expired)`);
    for (const row of recipients.filter((r) => !expired.includes(r))) {
      const attempts = row.attempts + 1;
      const next = new Date(now.getTime() + retryDelaySeconds(attempts, policy) * 1000);
      const warn =
        row.delayWarnedAt === null &&
        now.getTime() - row.createdAt.getTime() >= policy.delayWarningSeconds * 1000;
      await db.$executeRaw`
        UPDATE "OutboundRecipient" SET "status" = 'DEFERRED', "attempts" = ${attempts}, "lastReply" = ${reply},
          "lastAttemptAt" = ${now}, "nextAttemptAt" = ${next}, "leaseOwner" = NULL, "leaseUntil" = NULL,
          "delayWarnedAt" = CASE WHEN ${warn} THEN ${now}::timestamptz ELSE "delayWarnedAt" END
        WHERE "id" = ${row.id}::uuid AND "leaseOwner" = ${owner}`;
      if (warn) {
        reports.push({
          row,
          dsn: {
            recipient: row.recipient,
            action: "delayed",
            status: enhancedStatusOf(reply, "4.0.0"),
            diagnostic: reply,
            remoteMta: outcome.remoteMta,
            lastAttemptAt: now,
            willRetryUntil: row.expiresAt,
          },
        });
      }
    }
  }

  // One report per submission and sender, listing its recipients.
  const bySubmission = new Map<string, SenderReport>();
  for (const { row, dsn } of reports) {
    if (row.mailFrom === "") continue;
    const key = `${row.submissionId} ${row.mailFrom} ${dsn.action}`;
    let report = bySubmission.get(key);
    if (!report) {
      report = {
        submissionId: row.submissionId,
        accountId: row.accountId,
        mailFrom: row.mailFrom,
        sourceSha256: row.sourceSha256,
        arrivalDate: row.createdAt,
        recipients: [],
      };
      bySubmission.set(key, report);
    }
    report.recipients.push(dsn);
  }
  return [...bySubmission.values()];
}

/** Gives the lease back without counting an attempt (worker shutting down). */
export async function releaseLease(owner: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.$executeRaw`
    UPDATE "OutboundRecipient" SET "leaseOwner" = NULL, "leaseUntil" = NULL
    WHERE "id" = ANY(${ids}::uuid[]) AND "leaseOwner" = ${owner}`;
}
