// Deleting messages: "delete" moves to Trash; in Trash it deletes for good
// (Gmail's and Outlook's rule). Deleting for good gives the bytes back to the
// account's quota and keeps the folder's counters and highestModseq exact.
//
// The shared MessageSource rows stay: another account's copy or an outbound
// row may use them, and a delivery may be re-using them right now.
// todo: a periodic sweep of unreferenced sources (needs an index on
// Message("sourceSha256") alone to be cheap; none exists yet).
import { db, type Tx } from "../db.ts";
import { UserError } from "../errors.ts";
import { isUuid } from "./list-messages.ts";
import { groupByMailbox, lockMessages, type LockedMessage } from "./lock-messages.ts";
import { moveLockedMessages, specialMailboxId } from "./move-messages.ts";
import { notifyMailboxChanges, notifyUpdatedMailbox } from "./notify-change.ts";

/** Deletes already locked rows for good, in the caller's transaction (IMAP EXPUNGE too). */
export async function deleteLocked(
  tx: Tx,
  accountId: string,
  rows: LockedMessage[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const bytes = rows.reduce((n, r) => n + r.size, 0);
  // Lock order: Account before Mailbox rows (lock-messages.ts).
  await tx.$executeRaw`
    UPDATE "Account" SET "usedBytes" = GREATEST("usedBytes" - ${bytes}::int8, 0) WHERE "id" = ${accountId}::uuid`;
  const groups = groupByMailbox(rows);
  for (const [mailboxId, group] of groups) {
    await tx.$queryRaw`
      UPDATE "Mailbox" SET
        "highestModseq" = "highestModseq" + 1,
        "messageCount" = "messageCount" - ${group.length}::int,
        "unreadCount" = "unreadCount" - ${group.filter((r) => !r.seen).length}::int,
        "totalBytes" = "totalBytes" - ${group.reduce((n, r) => n + r.size, 0)}::int8
      WHERE "accountId" = ${accountId}::uuid AND "id" = ${mailboxId}::uuid
      RETURNING ${notifyUpdatedMailbox(accountId, "removed")} AS sent`;
  }
  await tx.$executeRaw`
    DELETE FROM "Message" WHERE "accountId" = ${accountId}::uuid AND "id" = ANY(${rows.map((r) => r.id)}::uuid[])`;
  return rows.length;
}

/** Deletes the account's messages among `ids` for good, wherever they are. */
export async function deleteMessagesForever(accountId: string, ids: string[]): Promise<number> {
  return db.$transaction(async (tx) =>
    deleteLocked(tx, accountId, await lockMessages(tx, accountId, ids)),
  );
}

/**
 * The Delete button: messages in Trash are deleted for good, all others move
 * to Trash. Returns both numbers.
 */
export async function deleteMessages(
  accountId: string,
  ids: string[],
): Promise<{ trashed: number; deleted: number }> {
  return db.$transaction(async (tx) => {
    const { trashed, deleted } = await trashOrDeleteLocked(
      tx,
      accountId,
      await lockMessages(tx, accountId, ids),
    );
    return { trashed: trashed.length, deleted };
  });
}

/**
 * deleteMessages on rows already locked, in the caller's transaction.
 * Returns the rows moved to Trash (as they were before) and how many were
 * deleted for good.
 */
export async function trashOrDeleteLocked(
  tx: Tx,
  accountId: string,
  rows: LockedMessage[],
): Promise<{ trashed: LockedMessage[]; deleted: number }> {
  const trash = await specialMailboxId(tx, accountId, "TRASH");
  const inTrash = rows.filter((r) => r.mailboxId === trash);
  const elsewhere = rows.filter((r) => r.mailboxId !== trash);
  const deleted = await deleteLocked(tx, accountId, inTrash);
  await moveLockedMessages(tx, accountId, elsewhere, trash);
  return { trashed: elsewhere, deleted };
}

/**
 * Deletes everything in the account's Trash or Junk folder for good ("Empty
 * Trash"). Other folders are refused: emptying the Inbox is not a button.
 */
export async function emptyMailbox(accountId: string, mailboxId: string): Promise<number> {
  if (!isUuid(mailboxId)) throw new UserError("not_found", "No such folder.");
  return db.$transaction(async (tx) => {
    const [box] = await tx.$queryRaw<{ specialUse: string | null }[]>`
      SELECT "specialUse"::text AS "specialUse" FROM "Mailbox"
      WHERE "accountId" = ${accountId}::uuid AND "id" = ${mailboxId}::uuid`;
    if (!box) throw new UserError("not_found", "No such folder.");
    if (box.specialUse !== "TRASH" && box.specialUse !== "JUNK") {
      throw new UserError("invalid_input", "Only Trash and Junk can be emptied.");
    }
    // One statement for the whole folder (it may hold many thousands), then
    // the counters by exactly what it removed.
    const [gone] = await tx.$queryRaw<{ count: bigint; bytes: bigint | null; unread: bigint }[]>`
      WITH gone AS (
        DELETE FROM "Message" WHERE "accountId" = ${accountId}::uuid AND "mailboxId" = ${mailboxId}::uuid
        RETURNING "size", "seen")
      SELECT count(*) AS count, sum("size") AS bytes, count(*) FILTER (WHERE NOT "seen") AS unread FROM gone`;
    const count = Number(gone!.count);
    if (count === 0) return 0;
    await tx.$executeRaw`
      UPDATE "Account" SET "usedBytes" = GREATEST("usedBytes" - ${gone!.bytes ?? 0n}::int8, 0) WHERE "id" = ${accountId}::uuid`;
    await tx.$executeRaw`
      UPDATE "Mailbox" SET
        "highestModseq" = "highestModseq" + 1,
        "messageCount" = "messageCount" - ${count}::int,
        "unreadCount" = "unreadCount" - ${Number(gone!.unread)}::int,
        "totalBytes" = "totalBytes" - ${gone!.bytes ?? 0n}::int8
      WHERE "accountId" = ${accountId}::uuid AND "id" = ${mailboxId}::uuid`;
    await notifyMailboxChanges(tx, accountId, [mailboxId], "removed");
    return count;
  });
}

/**
 * Deletes for good up to `limit` of the account's messages in its Junk
 * folder received before `before` (Junk's retention,
 * lib/spam/junk-retention.ts). Rows another transaction holds are skipped
 * and left for the next run. Returns how many went.
 */
export async function deleteJunkReceivedBefore(
  accountId: string,
  before: Date,
  limit = 1000,
): Promise<number> {
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<LockedMessage[]>`
      SELECT m."id"::text AS "id", m."mailboxId"::text AS "mailboxId", m."uid", m."seen", m."flagged",
        m."size", m."receivedAt"
      FROM "Message" m JOIN "Mailbox" b ON b."accountId" = m."accountId" AND b."id" = m."mailboxId"
      WHERE m."accountId" = ${accountId}::uuid AND b."specialUse" = 'JUNK' AND m."receivedAt" < ${before}
      ORDER BY m."id" LIMIT ${limit}::int FOR UPDATE OF m SKIP LOCKED`;
    return deleteLocked(tx, accountId, rows);
  });
}
