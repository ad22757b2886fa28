// Claiming due outbound recipients with a lease. Any number of gateway
// instances run this against one database: FOR UPDATE SKIP LOCKED hands each
// row to one claimer, and the lease (leaseUntil) frees the row again if that
// instance dies before recording a result, so no row is pinned to an instance.
import { db } from "../db.ts";

export type ClaimedRecipient = {
  id: string;
  accountId: string | null;
  submissionId: string;
  sourceSha256: string;
  mailFrom: string;
  recipient: string;
  domain: string;
  attempts: number;
  createdAt: Date;
  expiresAt: Date;
  delayWarnedAt: Date | null;
};

/**
 * Leases up to `limit` due rows (queued or deferred, next attempt reached, no
 * live lease) to `owner` for `leaseSeconds`, oldest first.
 */
export async function claimDueRecipients(options: {
  owner: string;
  limit: number;
  leaseSeconds: number;
  now?: Date;
}): Promise<ClaimedRecipient[]> {
  const now = options.now ?? new Date();
  const leaseUntil = new Date(now.getTime() + options.leaseSeconds * 1000);
  return db.$queryRaw<ClaimedRecipient[]>`
    WITH due AS (
      SELECT "id" FROM "OutboundRecipient"
      WHERE "status" IN ('QUEUED', 'DEFERRED') AND "nextAttemptAt" <= ${now}
        AND ("leaseUntil" IS NULL OR "leaseUntil" < ${now})
      ORDER BY "nextAttemptAt"
      LIMIT ${options.limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE "OutboundRecipient" r
    SET "leaseOwner" = ${options.owner}, "leaseUntil" = ${leaseUntil}
    FROM due WHERE r."id" = due."id"
    RETURNING r."id"::text AS "id", r."accountId"::text AS "accountId", r."submissionId"::text AS "submissionId",
      r."sourceSha256", r."mailFrom", r."recipient", r."domain", r."attempts", r."createdAt", r."expiresAt",
      r."delayWarnedAt"`;
}

/** The stored bytes of a queued message. */
export async function loadQueuedSource(sha256: string): Promise<Buffer> {
  const source = await db.messageSource.findUniqueOrThrow({
    where: { sha256 },
    select: { raw: true },
  });
  return Buffer.from(source.raw);
}

/** When the next row falls due (for the worker's sleep), or null when the queue is idle. */
export async function nextDueAt(): Promise<Date | null> {
  const rows = await db.$queryRaw<{ at: Date | null }[]>`
    SELECT min(GREATEST("nextAttemptAt", COALESCE("leaseUntil", "nextAttemptAt"))) AS at
    FROM "OutboundRecipient" WHERE "status" IN ('QUEUED', 'DEFERRED')`;
  return rows[0]?.at ?? null;
}
