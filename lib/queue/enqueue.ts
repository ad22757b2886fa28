// Putting recipients on the outbound queue: one row per recipient, all rows
// of one submission sharing a submissionId and the stored source. Used by
// lib/store inside its delivery transaction (submissions, alias forwards,
// list copies) and by lib/queue/reports.ts for bounces.
import { sql, type Sql } from "../db/sql.ts";
import { newUuidV7 } from "../store/ids.ts";

/** The channel relay workers LISTEN on; the payload is the submission id. */
export const OUTBOUND_QUEUED_CHANNEL = "outbound_queued";

export type OutboundRequest = {
  /** The sending account, when a user sent it; null for service mail (forwards, bounces). */
  accountId: string | null;
  sourceSha256: string;
  /** Envelope sender per recipient; "" is the null reverse-path (bounces, RFC 5321 §4.5.5). */
  recipients: { recipient: string; mailFrom: string }[];
  /** Not before this time (undo-send window, scheduled send). */
  notBefore: Date;
  lifetimeSeconds: number;
};

/**
 * One statement that inserts the rows and, at commit, wakes relay workers
 * (NOTIFY outbound_queued) instead of leaving them to their next poll.
 * Run it in the caller's transaction.
 */
export function enqueueStatement(request: OutboundRequest): Sql {
  const now = request.notBefore.getTime();
  const submissionId = newUuidV7(now);
  const ids = request.recipients.map(() => newUuidV7(now));
  const recipients = request.recipients.map((r) => r.recipient.toLowerCase());
  const senders = request.recipients.map((r) => r.mailFrom);
  const domains = recipients.map((r) => r.slice(r.lastIndexOf("@") + 1));
  const expiresAt = new Date(now + request.lifetimeSeconds * 1000);
  return sql`
    WITH queued AS (
      INSERT INTO "OutboundRecipient" ("id", "accountId", "submissionId", "sourceSha256", "mailFrom", "recipient",
        "domain", "status", "nextAttemptAt", "expiresAt")
      SELECT o.id, ${request.accountId}::uuid, ${submissionId}::uuid, ${request.sourceSha256}, o.sender,
        o.recipient, o.domain, 'QUEUED'::"OutboundStatus", ${request.notBefore}, ${expiresAt}
      FROM unnest(${ids}::uuid[], ${senders}::text[], ${recipients}::text[], ${domains}::text[])
        AS o(id, sender, recipient, domain)
      RETURNING "id"
    )
    SELECT ${submissionId}::text AS "submissionId", (SELECT count(*) FROM queued)::int AS "queued",
      pg_notify(${OUTBOUND_QUEUED_CHANNEL}, ${submissionId}::text)::text AS "notified"`;
}
