// The outbound queue as admins see and steer it: filtered, keyset-paged
// listing, and retry now / bounce now / delete on chosen rows or on a whole
// filtered set. Every change takes only rows that are waiting (queued or
// deferred) and not leased by a relay worker: a row a worker is delivering
// right now is left alone (the worker's lease, lib/queue/claim.ts), and the
// row lock of each UPDATE (SKIP LOCKED against claims in flight) decides who
// wins when both reach for a row at once. Outcomes and reports go through
// lib/queue (recordAttempts, deliverSenderReports), as the relay's do.
import { loadConfig } from "../config/index.ts";
import { db } from "../db.ts";
import { Prisma } from "../generated/prisma/client.ts";
import type { OutboundStatus } from "../generated/prisma/enums.ts";
import type { ClaimedRecipient } from "../queue/claim.ts";
import { deliverSenderReports } from "../queue/reports.ts";
import { recordAttempts } from "../queue/results.ts";
import { likePattern } from "../search/build-search-sql.ts";
import { newUuidV7 } from "../store/ids.ts";
import { assertStorableText } from "../validation/storable-text.ts";

export const QUEUE_STATUSES = ["queued", "deferred", "delivered", "bounced", "cancelled"] as const;
export type QueueStatus = (typeof QUEUE_STATUSES)[number];

export type QueueFilter = {
  status?: QueueStatus;
  /** Exact recipient domain. */
  domain?: string;
  /** Substring of the recipient or the envelope sender. */
  search?: string;
};

/** Which rows an action is for: picked rows, or every row matching a filter. */
export type QueueTarget = { ids: string[] } | { filter: QueueFilter };

export type QueueRow = {
  id: string;
  recipient: string;
  mailFrom: string;
  domain: string;
  status: QueueStatus;
  attempts: number;
  lastReply: string | null;
  lastAttemptAt: Date | null;
  /** Waiting rows only: when the relay tries again. */
  nextAttemptAt: Date | null;
  createdAt: Date;
  /** A relay worker holds the row right now (it is being delivered). */
  leased: boolean;
};

export type QueueActionResult = { changed: number; skipped: number };

export const QUEUE_PAGE_SIZE = 50;
/** Rows one bulk action changes at most; a larger set takes several presses. */
export const MAX_BULK_ROWS = 5000;
/** How long an admin action holds the rows it is bouncing. */
const ADMIN_LEASE_SECONDS = 120;
const ADMIN_BOUNCE_REPLY = "550 5.0.0 Delivery cancelled by the administrator of this service";

function whereOf(target: QueueTarget): Prisma.Sql {
  if ("ids" in target) return Prisma.sql`"id" = ANY(${target.ids}::uuid[])`;
  const { status, domain, search } = target.filter;
  if (domain) assertStorableText(domain, "domain");
  if (search) assertStorableText(search, "q");
  const parts: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (status) parts.push(Prisma.sql`"status" = ${status.toUpperCase()}::"OutboundStatus"`);
  if (domain?.trim()) parts.push(Prisma.sql`"domain" = ${domain.trim().toLowerCase()}`);
  if (search?.trim()) {
    const pattern = likePattern(search.trim().toLowerCase());
    parts.push(Prisma.sql`("recipient" ILIKE ${pattern} OR "mailFrom" ILIKE ${pattern})`);
  }
  return Prisma.join(parts, " AND ");
}

/** A page of rows matching the filter, newest first; `before` is the last id of the previous page. */
export async function listQueue(filter: QueueFilter, before?: string) {
  const where = whereOf({ filter });
  const after = before ? Prisma.sql`AND "id" < ${before}::uuid` : Prisma.empty;
  const [rows, counts] = await Promise.all([
    db.$queryRaw<
      (Omit<QueueRow, "status" | "leased" | "nextAttemptAt"> & {
        status: OutboundStatus;
        nextAttemptAt: Date;
        leaseUntil: Date | null;
      })[]
    >`
      SELECT "id"::text AS id, "recipient", "mailFrom", "domain", "status", "attempts", "lastReply",
        "lastAttemptAt", "nextAttemptAt", "createdAt", "leaseUntil"
      FROM "OutboundRecipient" WHERE ${where} ${after}
      ORDER BY "id" DESC LIMIT ${QUEUE_PAGE_SIZE + 1}`,
    db.$queryRaw<{ total: bigint }[]>`
      SELECT count(*)::int8 AS total FROM "OutboundRecipient" WHERE ${where}`,
  ]);
  const now = Date.now();
  const page = rows.slice(0, QUEUE_PAGE_SIZE).map((r): QueueRow => {
    const status = r.status.toLowerCase() as QueueStatus;
    const waiting = status === "queued" || status === "deferred";
    return {
      id: r.id,
      recipient: r.recipient,
      mailFrom: r.mailFrom,
      domain: r.domain,
      status,
      attempts: r.attempts,
      lastReply: r.lastReply,
      lastAttemptAt: r.lastAttemptAt,
      nextAttemptAt: waiting ? r.nextAttemptAt : null,
      createdAt: r.createdAt,
      leased: r.leaseUntil !== null && r.leaseUntil.getTime() > now,
    };
  });
  return {
    rows: page,
    total: Number(counts[0]?.total ?? 0),
    nextBefore: rows.length > QUEUE_PAGE_SIZE ? page.at(-1)!.id : null,
  };
}

/**
 * The target's waiting rows no worker holds, locked for this statement: a
 * claim in flight holds its rows FOR UPDATE and they are skipped, and a row
 * claimed after our lock sees the change (the claim re-checks status).
 */
function waitingRows(target: QueueTarget): Prisma.Sql {
  return Prisma.sql`
    SELECT "id" FROM "OutboundRecipient"
    WHERE ${whereOf(target)} AND "status" IN ('QUEUED', 'DEFERRED')
      AND ("leaseUntil" IS NULL OR "leaseUntil" < now())
    ORDER BY "id" LIMIT ${MAX_BULK_ROWS}
    FOR UPDATE SKIP LOCKED`;
}

async function waitingCount(target: QueueTarget): Promise<number> {
  const rows = await db.$queryRaw<{ n: bigint }[]>`
    SELECT count(*)::int8 AS n FROM "OutboundRecipient"
    WHERE ${whereOf(target)} AND "status" IN ('QUEUED', 'DEFERRED')`;
  return Number(rows[0]?.n ?? 0);
}

/**
 * Due now: next attempt set to now, any expired lease cleared, status kept
 * (queued or deferred), and relay workers woken (NOTIFY outbound_queued, as
 * lib/queue/enqueue.ts does) instead of waiting for their next poll.
 */
export async function retryNow(target: QueueTarget): Promise<QueueActionResult> {
  const waiting = await waitingCount(target);
  const rows = await db.$queryRaw<{ changed: bigint }[]>`
    WITH retried AS (
      UPDATE "OutboundRecipient" SET "nextAttemptAt" = now(), "leaseOwner" = NULL, "leaseUntil" = NULL
      WHERE "id" IN (${waitingRows(target)})
      RETURNING "id"
    )
    SELECT count(*)::int8 AS changed,
      CASE WHEN count(*) > 0 THEN pg_notify('outbound_queued', 'admin-retry') END::text AS notified
    FROM retried`;
  const changed = Number(rows[0]?.changed ?? 0);
  return { changed, skipped: Math.max(0, waiting - changed) };
}

/**
 * Gives up on the rows now: each is leased to this action (so no worker takes
 * it meanwhile), recorded as a permanent failure by lib/queue/results.ts
 * (BOUNCED) and its sender gets a DSN through lib/queue/reports.ts; rows with
 * the null sender (bounces themselves) get none (RFC 5321 §4.5.5).
 */
export async function bounceNow(
  target: QueueTarget,
  log: (line: string) => void = console.error,
): Promise<QueueActionResult> {
  const waiting = await waitingCount(target);
  const owner = `admin:${newUuidV7()}`;
  const claimed = await db.$queryRaw<ClaimedRecipient[]>`
    UPDATE "OutboundRecipient" r
    SET "leaseOwner" = ${owner}, "leaseUntil" = now() + make_interval(secs => ${ADMIN_LEASE_SECONDS}::int)
    FROM "MessageSource" s
    WHERE r."id" IN (${waitingRows(target)}) AND s."sha256" = r."sourceSha256"
    RETURNING r."id"::text AS "id", r."accountId"::text AS "accountId", r."submissionId"::text AS "submissionId",
      r."sourceSha256", s."size" AS "sourceSize", r."mailFrom", r."recipient", r."domain", r."attempts",
      r."createdAt", r."expiresAt", r."delayWarnedAt"`;
  const relay = loadConfig().relay;
  const reports = await recordAttempts(
    owner,
    claimed.map((row) => ({
      row,
      outcome: { kind: "failed" as const, reply: ADMIN_BOUNCE_REPLY, remoteMta: null },
    })),
    {
      baseSeconds: relay.retryBaseSeconds,
      maxSeconds: relay.retryMaxSeconds,
      delayWarningSeconds: relay.delayWarningSeconds,
    },
  );
  await deliverSenderReports(reports, log);
  return { changed: claimed.length, skipped: Math.max(0, waiting - claimed.length) };
}

/** Withdraws the rows (CANCELLED, as an undone send): never sent, no report. */
export async function deleteFromQueue(target: QueueTarget): Promise<QueueActionResult> {
  const waiting = await waitingCount(target);
  const changed = await db.$executeRaw`
    UPDATE "OutboundRecipient"
    SET "status" = 'CANCELLED', "finishedAt" = now(), "leaseOwner" = NULL, "leaseUntil" = NULL
    WHERE "id" IN (${waitingRows(target)})`;
  return { changed, skipped: Math.max(0, waiting - changed) };
}
