// IMAP COPY and MOVE by uid (RFC 3501 §6.4.7, RFC 6851, RFC 4315 COPYUID).
// A copy is a new Message row on the same stored source (the bytes are kept
// once), with the original's flags, charged to the quota like a delivery;
// a move is the webmail's move (move-messages.ts), ordered by uid.
import { db, type Tx } from "../db.ts";
import { UserError } from "../errors.ts";
import { OverQuotaError } from "./deliver.ts";
import { newUuidV7 } from "./ids.ts";
import { isUuid } from "./list-messages.ts";
import { lockMessagesByUid, MAX_MESSAGES_PER_CHANGE, type LockedMessage } from "./lock-messages.ts";
import { moveLockedWithUids } from "./move-messages.ts";
import { notifyMailboxChanges } from "./notify-change.ts";
import { junkMoveVerdict, recordSpamVerdicts, trainAfterCommit } from "../spam/training.ts";
import type { SpecialUse } from "../generated/prisma/enums.ts";
import { wakeSearchIndexers } from "./search-indexer.ts";

/** Old and new uid of each message copied or moved, ascending by old uid. */
export type UidMapping = [fromUid: number, toUid: number][];

function checkBatch(uids: number[], targetId: string): void {
  if (!isUuid(targetId)) throw new UserError("not_found", "No such folder.");
  if (uids.length > MAX_MESSAGES_PER_CHANGE * 100)
    throw new UserError("invalid_input", "Too many messages at once.");
}

/** Copies the folder's messages among `uids` into another folder of the account. */
export async function copyMessagesByUid(
  accountId: string,
  mailboxId: string,
  uids: number[],
  targetId: string,
): Promise<UidMapping> {
  checkBatch(uids, targetId);
  const mapping = await db.$transaction(async (tx) => {
    const rows = (await lockMessagesByUid(tx, accountId, mailboxId, uids)).sort(
      (a, b) => a.uid - b.uid,
    );
    const [target] = await tx.$queryRaw<{ id: string }[]>`
      SELECT "id"::text AS "id" FROM "Mailbox" WHERE "accountId" = ${accountId}::uuid AND "id" = ${targetId}::uuid`;
    if (!target) throw new UserError("not_found", "No such folder.");
    if (rows.length === 0) return [];
    const bytes = rows.reduce((n, r) => n + r.size, 0);
    const unread = rows.filter((r) => !r.seen).length;
    // Lock order: Account, then the Mailbox row (lock-messages.ts).
    const charged = await tx.$queryRaw<{ id: string }[]>`
      UPDATE "Account" SET "usedBytes" = "usedBytes" + ${bytes}::int8
      WHERE "id" = ${accountId}::uuid AND "usedBytes" + ${bytes}::int8 <= "quotaBytes"
      RETURNING "id"::text AS "id"`;
    if (charged.length === 0) throw new OverQuotaError(accountId);
    const [box] = await tx.$queryRaw<
      { firstUid: number; modseq: bigint; specialUse: SpecialUse | null }[]
    >`
      UPDATE "Mailbox" SET
        "uidNext" = "uidNext" + ${rows.length}::int,
        "highestModseq" = "highestModseq" + 1,
        "messageCount" = "messageCount" + ${rows.length}::int,
        "unreadCount" = "unreadCount" + ${unread}::int,
        "totalBytes" = "totalBytes" + ${bytes}::int8
      WHERE "accountId" = ${accountId}::uuid AND "id" = ${targetId}::uuid
      RETURNING "uidNext" - ${rows.length}::int AS "firstUid", "highestModseq" AS modseq, "specialUse"`;
    const firstUid = Number(box!.firstUid);
    const newIds = rows.map(() => newUuidV7());
    const newUids = rows.map((_, i) => firstUid + i);
    // A copy takes its original's search vector (MessageSearch); the copy
    // of one still waiting for it waits too (search-indexer.ts). (Foreign
    // keys are checked at the end of the statement, when the copies exist.)
    await tx.$executeRaw`
      WITH v AS (
        SELECT * FROM unnest(${rows.map((r) => r.id)}::uuid[], ${newIds}::uuid[], ${newUids}::int[])
          AS v(old_id, new_id, uid)
      ), inserted AS (
        INSERT INTO "Message" (
        "accountId", "id", "mailboxId", "uid", "modseq", "sourceSha256", "threadId", "seen", "flagged",
        "answered", "draft", "deleted", "keywords", "receivedAt", "sentAt", "size", "fromAddress", "fromName",
        "toList", "ccList", "subject", "messageIdHeader", "inReplyTo", "references", "snippet",
        "hasAttachments", "claimedLocalSender", "spamVerdict")
      SELECT m."accountId", v.new_id, ${targetId}::uuid, v.uid, ${box!.modseq}::int8, m."sourceSha256", m."threadId",
        m."seen", m."flagged", m."answered", m."draft", m."deleted", m."keywords", m."receivedAt", m."sentAt",
        m."size", m."fromAddress", m."fromName", m."toList", m."ccList", m."subject", m."messageIdHeader",
        m."inReplyTo", m."references", m."snippet", m."hasAttachments",
        m."claimedLocalSender", m."spamVerdict"
      FROM v JOIN "Message" m ON m."accountId" = ${accountId}::uuid AND m."id" = v.old_id
      ), vectors AS (
        INSERT INTO "MessageSearch" ("accountId", "messageId", "vector")
        SELECT s."accountId", v.new_id, s."vector"
        FROM v JOIN "MessageSearch" s ON s."accountId" = ${accountId}::uuid AND s."messageId" = v.old_id
      )
      INSERT INTO "UnindexedMessage" ("accountId", "messageId")
      SELECT ${accountId}::uuid, v.new_id FROM v
      WHERE NOT EXISTS (SELECT 1 FROM "MessageSearch" s
        WHERE s."accountId" = ${accountId}::uuid AND s."messageId" = v.old_id)`;
    // A copy into Junk (how clients without MOVE file junk: COPY, then
    // \Deleted and EXPUNGE) or out of it teaches the copy's verdict.
    const [source] = await tx.$queryRaw<{ specialUse: SpecialUse | null }[]>`
      SELECT "specialUse" FROM "Mailbox" WHERE "accountId" = ${accountId}::uuid AND "id" = ${mailboxId}::uuid`;
    const verdict = junkMoveVerdict(source?.specialUse === "JUNK", box!.specialUse);
    if (verdict)
      await recordSpamVerdicts(
        tx,
        accountId,
        newIds.map((messageId) => ({ messageId, verdict })),
      );
    await notifyMailboxChanges(tx, accountId, [targetId], "added");
    return rows.map((r, i): [number, number] => [r.uid, newUids[i]!]);
  });
  wakeSearchIndexers();
  await trainAfterCommit(accountId);
  return mapping;
}

/** Moves the folder's messages among `uids` into another folder of the account. */
export async function moveMessagesByUid(
  accountId: string,
  mailboxId: string,
  uids: number[],
  targetId: string,
): Promise<UidMapping> {
  checkBatch(uids, targetId);
  const mapping = await db.$transaction(async (tx) => {
    const rows = await lockMessagesByUid(tx, accountId, mailboxId, uids);
    if (rows.length === 0) {
      const [target] = await tx.$queryRaw<{ id: string }[]>`
        SELECT "id"::text AS "id" FROM "Mailbox" WHERE "accountId" = ${accountId}::uuid AND "id" = ${targetId}::uuid`;
      if (!target) throw new UserError("not_found", "No such folder.");
      return [];
    }
    // RFC 6851 §3.3 allows MOVE into the folder itself: each message gets a new uid.
    const moved =
      mailboxId === targetId
        ? await renumberLocked(tx, accountId, mailboxId, rows)
        : await moveLockedWithUids(tx, accountId, rows, targetId, "uid");
    return moved.map((m): [number, number] => [m.fromUid, m.uid]);
  });
  await trainAfterCommit(accountId);
  return mapping;
}

/** Gives locked messages new uids in their own folder, in uid order (a MOVE into it). */
async function renumberLocked(
  tx: Tx,
  accountId: string,
  mailboxId: string,
  rows: LockedMessage[],
): Promise<{ fromUid: number; uid: number }[]> {
  const sorted = [...rows].sort((a, b) => a.uid - b.uid);
  const [box] = await tx.$queryRaw<{ firstUid: number; modseq: bigint }[]>`
    UPDATE "Mailbox" SET "uidNext" = "uidNext" + ${sorted.length}::int, "highestModseq" = "highestModseq" + 1
    WHERE "accountId" = ${accountId}::uuid AND "id" = ${mailboxId}::uuid
    RETURNING "uidNext" - ${sorted.length}::int AS "firstUid", "highestModseq" AS modseq`;
  const firstUid = Number(box!.firstUid);
  const uids = sorted.map((_, i) => firstUid + i);
  await tx.$executeRaw`
    UPDATE "Message" m SET "uid" = v.uid, "modseq" = ${box!.modseq}::int8
    FROM unnest(${sorted.map((r) => r.id)}::uuid[], ${uids}::int[]) AS v(id, uid)
    WHERE m."accountId" = ${accountId}::uuid AND m."id" = v.id`;
  await notifyMailboxChanges(tx, accountId, [mailboxId], "removed");
  await notifyMailboxChanges(tx, accountId, [mailboxId], "added");
  return sorted.map((r, i) => ({ fromUid: r.uid, uid: uids[i]! }));
}
