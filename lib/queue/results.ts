// Recording what a delivery attempt did to each claimed recipient. A result
// is written only while the writer still holds the row's lease: a worker that
// stalled past its lease (and whose rows another instance took over) cannot
// overwrite the newer outcome.
import { query, sql, withTransaction } from "../db/sql.ts";
import { enhancedStatusOf, type DsnRecipient } from "../mime/compose-dsn.ts";
import { newUuidV7 } from "../store/ids.ts";
import { toStorableText } from "../validation/storable-text.ts";
import { retryDelaySeconds, type RetryPolicy } from "./backoff.ts";
import type { ClaimedRecipient } from "./claim.ts";

export type AttemptOutcome =
  | { kind: "delivered"; reply: string; remoteMta: string | null }
  /** 4xx, connection failures, timeouts: try again later (RFC 5321 §4.2.1). */
  | { kind: "deferred"; reply: string; remoteMta: string | null }
  /** 5xx or a definite routing failure (null MX, no such domain): give up now. */
  | { kind: "failed"; reply: string; remoteMta: string | null };

export type QueuePolicy = RetryPolicy & { delayWarningSeconds: number };

/**
 * How long the worker that recorded an outcome has to send the report it
 * owes before another instance takes the report over (lib/queue/reports.ts).
 */
export const REPORT_LEASE_SECONDS = 300;

/**
 * A report the sender is owed: a bounce or a delay warning for some
 * recipients. Kept as an OwedReport row (`id`) until it is delivered.
 */
export type SenderReport = {
  id: string;
  submissionId: string;
  accountId: string | null;
  mailFrom: string;
  sourceSha256: string;
  arrivalDate: Date;
  recipients: DsnRecipient[];
};

/** One recipient's outcome, as the relay worker collects them for recordAttempts. */
export type RecipientAttempt = { row: ClaimedRecipient; outcome: AttemptOutcome };

/**
 * Writes the outcomes of many recipients (all claimed by `owner`) and the
 * reports they owe senders in one transaction, and returns those reports,
 * leased to `owner` for REPORT_LEASE_SECONDS. A row whose lease `owner` no
 * longer holds is left alone and owes no report. Never a report for a
 * report: recipients whose envelope sender is empty (bounces themselves,
 * RFC 5321 §4.5.5) get none.
 */
export async function recordAttempts(
  owner: string,
  attempts: RecipientAttempt[],
  policy: QueuePolicy,
  now = new Date(),
): Promise<SenderReport[]> {
  if (attempts.length === 0) return [];
  const planned = attempts.map(({ row, outcome }) => planOutcome(row, outcome, policy, now));
  return withTransaction(async (client) => {
    const { rows: written } = await client.query<{ id: string }>(
      sql`
      UPDATE "OutboundRecipient" r SET
        "status" = u.status::"OutboundStatus", "attempts" = r."attempts" + 1, "lastReply" = u.reply,
        "lastAttemptAt" = ${now}, "nextAttemptAt" = COALESCE(u.next, r."nextAttemptAt"),
        "finishedAt" = CASE WHEN u.status = 'DEFERRED' THEN NULL ELSE ${now}::timestamptz END,
        "delayWarnedAt" = CASE WHEN u.warn THEN ${now}::timestamptz ELSE r."delayWarnedAt" END,
        "leaseOwner" = NULL, "leaseUntil" = NULL
      FROM unnest(${planned.map((p) => p.row.id)}::uuid[], ${planned.map((p) => p.status)}::text[],
        ${planned.map((p) => p.reply)}::text[], ${planned.map((p) => p.nextAttemptAt)}::timestamptz[],
        ${planned.map((p) => p.dsn?.action === "delayed")}::boolean[]) AS u(id, status, reply, next, warn)
      WHERE r."id" = u.id AND r."leaseOwner" = ${owner}
      RETURNING r."id"::text AS "id"`.toQuery("relay_record"),
    );
    const reports = groupReports(planned, new Set(written.map((w) => w.id)), now);
    if (reports.length > 0) {
      await client.query(
        sql`
        INSERT INTO "OwedReport" ("id", "submissionId", "accountId", "mailFrom", "sourceSha256",
          "arrivalDate", "recipients", "leaseOwner", "leaseUntil", "createdAt")
        SELECT u.id, u."submissionId", u."accountId", u."mailFrom", u."sourceSha256", u."arrivalDate",
          u.recipients, ${owner}, ${new Date(now.getTime() + REPORT_LEASE_SECONDS * 1000)}::timestamptz, ${now}::timestamptz
        FROM unnest(${reports.map((r) => r.id)}::uuid[], ${reports.map((r) => r.submissionId)}::uuid[],
          ${reports.map((r) => r.accountId)}::uuid[], ${reports.map((r) => r.mailFrom)}::text[],
          ${reports.map((r) => r.sourceSha256)}::text[], ${reports.map((r) => r.arrivalDate)}::timestamptz[],
          ${reports.map((r) => JSON.stringify(r.recipients))}::jsonb[])
          AS u(id, "submissionId", "accountId", "mailFrom", "sourceSha256", "arrivalDate", recipients)`.toQuery(),
      );
    }
    return reports;
  });
}

/** One report per submission, sender and kind, listing its recorded recipients. */
function groupReports(planned: PlannedOutcome[], recorded: Set<string>, now: Date): SenderReport[] {
  const reports = new Map<string, SenderReport>();
  for (const { row, dsn } of planned) {
    if (!dsn || row.mailFrom === "" || !recorded.has(row.id)) continue;
    const key = `${row.submissionId} ${row.mailFrom} ${dsn.action}`;
    let report = reports.get(key);
    if (!report) {
      report = {
        id: newUuidV7(now.getTime()),
        submissionId: row.submissionId,
        accountId: row.accountId,
        mailFrom: row.mailFrom,
        sourceSha256: row.sourceSha256,
        arrivalDate: row.createdAt,
        recipients: [],
      };
      reports.set(key, report);
    }
    report.recipients.push(dsn);
  }
  return [...reports.values()];
}

type PlannedOutcome = {
  row: ClaimedRecipient;
  status: "DELIVERED" | "DEFERRED" | "BOUNCED";
  reply: string;
  nextAttemptAt: Date | null;
  /** The report the sender is owed, if any (before the null-sender rule). */
  dsn: DsnRecipient | null;
};

function planOutcome(
  row: ClaimedRecipient,
  outcome: AttemptOutcome,
  policy: QueuePolicy,
  now: Date,
): PlannedOutcome {
  // The remote server's words: it may send a NUL, which lastReply (text) cannot hold.
  const reply = toStorableText(outcome.reply)
    .replace(/[\r\n]+/g, " ")
    .slice(0, 1000);
  if (outcome.kind === "delivered")
    return { row, status: "DELIVERED", reply, nextAttemptAt: null, dsn: null };
  const bounce = (status: string, diagnostic: string): PlannedOutcome => ({
    row,
    status: "BOUNCED",
    reply: diagnostic,
    nextAttemptAt: null,
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
  if (outcome.kind === "failed") return bounce(enhancedStatusOf(reply, "5.0.0"), reply);
  // Deferred: past its lifetime a recipient bounces (4.4.7, as Postfix
  // reports an expired message); otherwise it waits for its next try.
  if (row.expiresAt.getTime() <= now.getTime())
    return bounce("4.4.7", `${reply} (gave up: delivery time expired)`);
  const next = new Date(now.getTime() + retryDelaySeconds(row.attempts + 1, policy) * 1000);
  const warn =
    row.delayWarnedAt === null &&
    now.getTime() - row.createdAt.getTime() >= policy.delayWarningSeconds * 1000;
  return {
    row,
    status: "DEFERRED",
    reply,
    nextAttemptAt: next,
    dsn: warn
      ? {
          recipient: row.recipient,
          action: "delayed",
          status: enhancedStatusOf(reply, "4.0.0"),
          diagnostic: reply,
          remoteMta: outcome.remoteMta,
          lastAttemptAt: now,
          willRetryUntil: row.expiresAt,
        }
      : null,
  };
}

/** Gives the lease back without counting an attempt (worker shutting down). */
export async function releaseLease(owner: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await query(sql`
    UPDATE "OutboundRecipient" SET "leaseOwner" = NULL, "leaseUntil" = NULL
    WHERE "id" = ANY(${ids}::uuid[]) AND "leaseOwner" = ${owner}`);
}
