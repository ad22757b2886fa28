// Claiming due outbound recipients with a lease. Any number of gateway
// instances run this against one database: FOR UPDATE SKIP LOCKED hands each
// row to one claimer, and the lease (leaseUntil) frees the row again if that
// instance dies before recording a result, so no row is pinned to an
// instance. A live worker renews the leases of the rows it still holds, so a
// lease can be short (a dead instance's rows come back soon) without rows
// that wait their turn in a live worker being taken over.
//
// Plain SQL over the shared pg pool (lib/db/sql.ts): these run for every
// batch of the relay's hot path.
import { query, sql } from "../db/sql.ts";

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
  /** Bytes of the stored message (to decide how many sources to load ahead). */
  sourceSize: number;
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
  return query<ClaimedRecipient>(
    sql`
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
      r."delayWarnedAt",
      (SELECT s."size" FROM "MessageSource" s WHERE s."sha256" = r."sourceSha256") AS "sourceSize"`,
    "relay_claim",
  );
}

/**
 * Extends the leases `owner` still holds on these rows; returns the ids it
 * still holds (a row missing from the answer was finished or taken over, and
 * its owner must not send it).
 */
export async function renewLeases(
  owner: string,
  ids: string[],
  leaseSeconds: number,
  now = new Date(),
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const leaseUntil = new Date(now.getTime() + leaseSeconds * 1000);
  const rows = await query<{ id: string }>(
    sql`
    UPDATE "OutboundRecipient" SET "leaseUntil" = ${leaseUntil}
    WHERE "id" = ANY(${ids}::uuid[]) AND "leaseOwner" = ${owner}
      AND "status" IN ('QUEUED', 'DEFERRED')
    RETURNING "id"::text AS "id"`,
    "relay_renew",
  );
  return new Set(rows.map((r) => r.id));
}

/** The stored bytes of queued messages, by SHA-256 (one round trip for a batch). */
export async function loadQueuedSources(sha256s: string[]): Promise<Map<string, Buffer>> {
  if (sha256s.length === 0) return new Map();
  const rows = await query<{ sha256: string; raw: Buffer }>(
    sql`SELECT "sha256", "raw" FROM "MessageSource" WHERE "sha256" = ANY(${sha256s}::text[])`,
    "relay_sources",
  );
  return new Map(rows.map((r) => [r.sha256, r.raw]));
}

/**
 * When the next unleased row falls due, or null when none is waiting: the
 * relay's wake-up for retries and scheduled sends, which send no NOTIFY.
 * One index probe per status on ("status", "nextAttemptAt"); leases that
 * expire (a dead instance's rows) are found by the worker's regular poll.
 */
export async function nextDueAt(): Promise<Date | null> {
  const rows = await query<{ at: Date | null }>(
    sql`
    SELECT LEAST(
      (SELECT min("nextAttemptAt") FROM "OutboundRecipient" WHERE "status" = 'QUEUED' AND "leaseUntil" IS NULL),
      (SELECT min("nextAttemptAt") FROM "OutboundRecipient" WHERE "status" = 'DEFERRED' AND "leaseUntil" IS NULL)
    ) AS at`,
    "relay_next_due",
  );
  return rows[0]?.at ?? null;
}
