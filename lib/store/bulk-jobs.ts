// "Select all N in this folder / search" and a bulk action on it, run as one
// server job instead of N requests. The job is a BulkJob row: what to do
// (an UndoableChange of undo.ts), what to do it to (a folder or a search, as
// the list showed it), how far it got (a keyset cursor, newest first, and a
// count). It runs in batches, each one transaction that changes the batch
// and moves the cursor, so a job interrupted anywhere resumes where its last
// batch committed. Whoever runs it holds a lease on the row; any instance
// that finds the lease run out (a progress poll, lib callers) takes it over,
// so a web instance that dies mid-job does not strand it.
//
// Only messages that were there when the job started are touched: the
// cursor starts at the job's creation time, so mail arriving meanwhile
// (newer) is left alone.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { BULK_JOB_BATCH_SIZE, BULK_JOB_LEASE_SECONDS } from "../config/limits.ts";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import { searchMessages } from "../search/search-messages.ts";
import { newUuidV7 } from "./ids.ts";
import { encodeCursor, isUuid, listMessages } from "./list-messages.ts";
import { lockMessages } from "./lock-messages.ts";
import { applyLocked, type UndoableChange } from "./undo.ts";
import { trainAfterCommit } from "../spam/training.ts";

export type BulkScope = { folderId: string; query: null } | { folderId: null; query: string };

export type BulkJobStatus = "running" | "done" | "failed";

export type BulkJobProgress = {
  id: string;
  status: BulkJobStatus;
  /** Messages the job has changed so far. */
  done: number;
  /** How many the list said there were when the job started (a folder's count; 0 for a search). */
  total: number;
  /** What the toast says once done. */
  label: string;
  error: string | null;
};

const changeSchema: z.ZodType<UndoableChange> = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("archive") }),
  z.object({ kind: z.literal("delete") }),
  z.object({ kind: z.literal("junk") }),
  z.object({ kind: z.literal("not-junk") }),
  z.object({ kind: z.literal("move"), folderId: z.uuid() }),
  z.object({ kind: z.literal("seen"), seen: z.boolean() }),
]);

const LAST_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff";

/**
 * Starts a job (the row only; run it with runBulkJob). The folder must be
 * the account's; `total` is the count the user was shown.
 */
export async function createBulkJob(
  accountId: string,
  scope: BulkScope,
  change: UndoableChange,
  total: number,
): Promise<string> {
  const parsed = changeSchema.parse(change);
  if (scope.folderId !== null) {
    const box = isUuid(scope.folderId)
      ? await db.mailbox.findFirst({
          where: { accountId, id: scope.folderId },
          select: { id: true },
        })
      : null;
    if (!box) throw new UserError("not_found", "No such folder.");
  }
  // Finished jobs are only read by the poll that watches them: a day is plenty.
  await db.$executeRaw`
    DELETE FROM "BulkJob" WHERE "accountId" = ${accountId}::uuid AND "status" <> 'running'
      AND "updatedAt" < now() - interval '1 day'`;
  const id = newUuidV7();
  const now = new Date();
  // Newer than anything already there, older than anything that arrives later.
  const cursor = encodeCursor({ receivedAt: new Date(now.getTime() + 1), id: LAST_ID });
  await db.$executeRaw`
    INSERT INTO "BulkJob" ("accountId", "id", "change", "folderId", "query", "total", "cursor", "createdAt", "updatedAt")
    VALUES (${accountId}::uuid, ${id}::uuid, ${JSON.stringify(parsed)}::jsonb, ${scope.folderId}::uuid,
      ${scope.query}, ${Math.max(0, Math.trunc(total))}::int, ${cursor}, ${now}, ${now})`;
  return id;
}

type JobRow = {
  change: unknown;
  folderId: string | null;
  query: string | null;
  cursor: string | null;
  done: number;
};

/** Takes the lease when the job runs and nobody holds it (or the holder's ran out). */
async function claim(accountId: string, jobId: string, owner: string): Promise<JobRow | null> {
  const [row] = await db.$queryRaw<JobRow[]>`
    UPDATE "BulkJob" SET "leaseOwner" = ${owner}::uuid,
      "leaseUntil" = now() + make_interval(secs => ${BULK_JOB_LEASE_SECONDS})
    WHERE "accountId" = ${accountId}::uuid AND "id" = ${jobId}::uuid AND "status" = 'running'
      AND ("leaseUntil" IS NULL OR "leaseUntil" < now() OR "leaseOwner" = ${owner}::uuid)
    RETURNING "change", "folderId"::text AS "folderId", "query", "cursor", "done"`;
  return row ?? null;
}

/**
 * Runs the job to its end if nobody else is running it; returns when done
 * (or when it finds another runner holds it). Never throws for a failure of
 * the job itself: the row says "failed" with the reason.
 */
export async function runBulkJob(accountId: string, jobId: string): Promise<void> {
  if (!isUuid(jobId)) return;
  const owner = randomUUID();
  for (;;) {
    const job = await claim(accountId, jobId, owner);
    if (!job) return;
    try {
      const change = changeSchema.parse(job.change);
      const page = job.folderId
        ? await listMessages(accountId, job.folderId, {
            cursor: job.cursor,
            limit: BULK_JOB_BATCH_SIZE,
          })
        : await searchMessages(accountId, job.query ?? "", {
            cursor: job.cursor,
            limit: BULK_JOB_BATCH_SIZE,
          });
      const last = page.items[page.items.length - 1];
      const finished = page.nextCursor === null;
      await db.$transaction(async (tx) => {
        let count = 0;
        if (page.items.length > 0) {
          try {
            const rows = await lockMessages(
              tx,
              accountId,
              page.items.map((m) => m.id),
            );
            count = (await applyLocked(tx, accountId, rows, change, false)).count;
          } catch (error) {
            // The whole batch went away meanwhile (deleted elsewhere): go on.
            if (!(error instanceof UserError && error.code === "not_found")) throw error;
          }
        }
        const updated = await tx.$executeRaw`
          UPDATE "BulkJob" SET "done" = "done" + ${count}::int,
            "cursor" = ${last ? encodeCursor(last) : job.cursor},
            "status" = ${finished ? "done" : "running"}, "updatedAt" = now(),
            "leaseUntil" = now() + make_interval(secs => ${BULK_JOB_LEASE_SECONDS})
          WHERE "accountId" = ${accountId}::uuid AND "id" = ${jobId}::uuid AND "leaseOwner" = ${owner}::uuid`;
        // Our lease ran out and another runner took over: this batch is theirs.
        if (updated === 0) throw new LeaseLostError();
      });
      await trainAfterCommit(accountId);
      if (finished) return;
    } catch (error) {
      if (error instanceof LeaseLostError) return;
      const reason = error instanceof UserError ? error.message : "The job failed on the server.";
      if (!(error instanceof UserError)) console.error("bulk job failed", error);
      await db.$executeRaw`
        UPDATE "BulkJob" SET "status" = 'failed', "error" = ${reason}, "updatedAt" = now()
        WHERE "accountId" = ${accountId}::uuid AND "id" = ${jobId}::uuid AND "leaseOwner" = ${owner}::uuid`;
      return;
    }
  }
}

class LeaseLostError extends Error {}

const VERB: Record<string, string> = {
  archive: "archived",
  delete: "deleted",
  junk: "marked as junk",
  "not-junk": "moved to the Inbox",
  move: "moved",
};

/**
 * The job's progress for the account; UserError "not_found" for another
 * account's or an unknown id. `stalled` is true when it runs but nobody
 * holds its lease (its runner died): the caller should run it.
 */
export async function getBulkJob(
  accountId: string,
  jobId: string,
): Promise<BulkJobProgress & { stalled: boolean }> {
  if (!isUuid(jobId)) throw new UserError("not_found", "No such job.");
  const [row] = await db.$queryRaw<
    {
      status: BulkJobStatus;
      done: number;
      total: number;
      error: string | null;
      change: unknown;
      stalled: boolean;
    }[]
  >`
    SELECT "status", "done", "total", "error", "change",
      ("status" = 'running' AND ("leaseUntil" IS NULL OR "leaseUntil" < now())) AS "stalled"
    FROM "BulkJob" WHERE "accountId" = ${accountId}::uuid AND "id" = ${jobId}::uuid`;
  if (!row) throw new UserError("not_found", "No such job.");
  const change = changeSchema.parse(row.change);
  const n = row.done === 1 ? "Message" : `${row.done.toLocaleString("en")} messages`;
  const label =
    change.kind === "seen"
      ? `${n} marked as ${change.seen ? "read" : "unread"}.`
      : `${n} ${VERB[change.kind]}.`;
  return {
    id: jobId,
    status: row.status,
    done: row.done,
    total: row.total,
    label,
    error: row.error,
    stalled: row.stalled,
  };
}
