// Moving messages between an account's folders (RFC 6851 MOVE semantics for
// IMAP clients): each moved message gets a new uid from the target's uidNext
// and the target's new highestModseq; both folders' counters move with it.
// The message keeps its id (the webmail's handle for it). A move into Junk,
// or out of it (not to Trash), is a user's spam verdict: it is recorded in
// the move's transaction and taught to the classifier after the commit
// (lib/spam/training.ts), whichever path moved it (webmail, IMAP MOVE,
// POP3, folder deletion).
import { db, type Tx } from "../db.ts";
import { UserError } from "../errors.ts";
import type { SpecialUse } from "../generated/prisma/enums.ts";
import { isUuid } from "./list-messages.ts";
import { groupByMailbox, lockMessages, type LockedMessage } from "./lock-messages.ts";
import { notifyMailboxChanges } from "./notify-change.ts";
import { junkMoveVerdict, recordSpamVerdicts, trainAfterCommit } from "../spam/training.ts";

/** The account's folder with that special use; UserError "not_found" if it has none. */
export async function specialMailboxId(
  tx: Tx,
  accountId: string,
  specialUse: SpecialUse,
): Promise<string> {
  const [row] = await tx.$queryRaw<{ id: string }[]>`
    SELECT "id"::text AS "id" FROM "Mailbox" WHERE "accountId" = ${accountId}::uuid AND "specialUse" = ${specialUse}::"SpecialUse"`;
  if (!row) throw new UserError("not_found", "No such folder.");
  return row.id;
}

/**
 * Moves already locked messages (lockMessages, or a folder's whole content)
 * into `targetId`, in the caller's transaction. Rows already in the target
 * are skipped. Returns how many moved.
 */
export async function moveLockedMessages(
  tx: Tx,
  accountId: string,
  rows: LockedMessage[],
  targetId: string,
): Promise<number> {
  return (await moveLockedWithUids(tx, accountId, rows, targetId, "arrival")).length;
}

/**
 * moveLockedMessages, returning each moved message's old and new uid.
 * `order`: new uids follow the messages' arrival ("arrival", the webmail) or
 * their old uids ("uid", IMAP MOVE: RFC 6851 COPYUID pairs stay ascending).
 */
export async function moveLockedWithUids(
  tx: Tx,
  accountId: string,
  rows: LockedMessage[],
  targetId: string,
  order: "arrival" | "uid",
): Promise<{ id: string; fromUid: number; uid: number }[]> {
  const moving = rows
    .filter((r) => r.mailboxId !== targetId)
    .sort((a, b) =>
      order === "uid"
        ? a.uid - b.uid
        : a.receivedAt.getTime() - b.receivedAt.getTime() || (a.id < b.id ? -1 : 1),
    );
  if (moving.length === 0) {
    // Still insist the target is the account's: a foreign target is a 404, not a no-op.
    const [exists] = await tx.$queryRaw<{ id: string }[]>`
      SELECT "id"::text AS "id" FROM "Mailbox" WHERE "accountId" = ${accountId}::uuid AND "id" = ${targetId}::uuid`;
    if (!exists) throw new UserError("not_found", "No such folder.");
    return [];
  }
  const sources = groupByMailbox(moving);
  const mailboxIds = [...sources.map(([id]) => id), targetId].sort();
  let firstUid = 0;
  let targetModseq = 0n;
  let targetUse: SpecialUse | null = null;
  const junkSources = new Set<string>();
  // Mailbox rows are locked in id order (lock-messages.ts).
  for (const mailboxId of mailboxIds) {
    if (mailboxId === targetId) {
      const bytes = moving.reduce((n, r) => n + r.size, 0);
      const unread = moving.filter((r) => !r.seen).length;
      const [box] = await tx.$queryRaw<
        { firstUid: number; modseq: bigint; specialUse: SpecialUse | null }[]
      >`
        UPDATE "Mailbox" SET
          "uidNext" = "uidNext" + ${moving.length}::int,
          "highestModseq" = "highestModseq" + 1,
          "messageCount" = "messageCount" + ${moving.length}::int,
          "unreadCount" = "unreadCount" + ${unread}::int,
          "totalBytes" = "totalBytes" + ${bytes}::int8
        WHERE "accountId" = ${accountId}::uuid AND "id" = ${targetId}::uuid
        RETURNING "uidNext" - ${moving.length}::int AS "firstUid", "highestModseq" AS modseq, "specialUse"`;
      if (!box) throw new UserError("not_found", "No such folder.");
      firstUid = Number(box.firstUid);
      targetModseq = box.modseq;
      targetUse = box.specialUse;
    } else {
      const group = sources.find(([id]) => id === mailboxId)![1];
      const bytes = group.reduce((n, r) => n + r.size, 0);
      const unread = group.filter((r) => !r.seen).length;
      const [box] = await tx.$queryRaw<{ specialUse: SpecialUse | null }[]>`
        UPDATE "Mailbox" SET
          "highestModseq" = "highestModseq" + 1,
          "messageCount" = "messageCount" - ${group.length}::int,
          "unreadCount" = "unreadCount" - ${unread}::int,
          "totalBytes" = "totalBytes" - ${bytes}::int8
        WHERE "accountId" = ${accountId}::uuid AND "id" = ${mailboxId}::uuid
        RETURNING "specialUse"`;
      if (box?.specialUse === "JUNK") junkSources.add(mailboxId);
    }
  }
  const ids = moving.map((r) => r.id);
  const uids = moving.map((_, i) => firstUid + i);
  await tx.$executeRaw`
    UPDATE "Message" m SET "mailboxId" = ${targetId}::uuid, "uid" = v.uid, "modseq" = ${targetModseq}::int8
    FROM unnest(${ids}::uuid[], ${uids}::int[]) AS v(id, uid)
    WHERE m."accountId" = ${accountId}::uuid AND m."id" = v.id`;
  await recordSpamVerdicts(
    tx,
    accountId,
    moving.flatMap((r) => {
      const verdict = junkMoveVerdict(junkSources.has(r.mailboxId), targetUse);
      return verdict ? [{ messageId: r.id, verdict }] : [];
    }),
  );
  await notifyMailboxChanges(
    tx,
    accountId,
    sources.map(([id]) => id),
    "removed",
  );
  await notifyMailboxChanges(tx, accountId, [targetId], "added");
  return moving.map((r, i) => ({ id: r.id, fromUid: r.uid, uid: uids[i]! }));
}

/**
 * Moves the account's messages among `ids` to one of its folders. Throws
 * UserError "not_found" when no id is the account's or the folder is not.
 */
export async function moveMessages(
  accountId: string,
  ids: string[],
  targetMailboxId: string,
): Promise<number> {
  if (!isUuid(targetMailboxId)) throw new UserError("not_found", "No such folder.");
  const moved = await db.$transaction(async (tx) => {
    const rows = await lockMessages(tx, accountId, ids);
    return moveLockedMessages(tx, accountId, rows, targetMailboxId);
  });
  await trainAfterCommit(accountId);
  return moved;
}

/** Moves to the account's Archive, Junk, Trash or Inbox (archive, mark as junk, not junk). */
export async function moveMessagesToSpecial(
  accountId: string,
  ids: string[],
  specialUse: SpecialUse,
): Promise<number> {
  const moved = await db.$transaction(async (tx) => {
    const rows = await lockMessages(tx, accountId, ids);
    const target = await specialMailboxId(tx, accountId, specialUse);
    return moveLockedMessages(tx, accountId, rows, target);
  });
  await trainAfterCommit(accountId);
  return moved;
}
