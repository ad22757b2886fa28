// IMAP EXPUNGE and UID EXPUNGE (RFC 3501 §6.4.3, RFC 4315 §2.1): the
// folder's messages marked \Deleted are deleted for good, with the same
// counters, quota and NOTIFY as the webmail's "delete forever"
// (delete-messages.ts deleteLocked).
import { query, sql } from "../db/sql.ts";
import { isUuid } from "./list-messages.ts";
import { notifyUpdatedMailboxSql } from "./notify-change.ts";
import type { ChangedMailbox } from "./set-message-flags.ts";

/**
 * Deletes the folder's \Deleted messages (only those among `uids` when
 * given). Returns the uids deleted, ascending, and the folder's state right
 * after (null when nothing was deleted).
 *
 * One statement (one round trip, no transaction held open across round
 * trips while the Account and Mailbox rows are locked). Lock order as in
 * lock-messages.ts: the Message rows by id, then the Account row, then the
 * Mailbox row (each UPDATE reads the one before it).
 */
export async function expungeMessages(
  accountId: string,
  mailboxId: string,
  uids: number[] | null,
): Promise<{ expunged: number[]; mailbox: ChangedMailbox | null }> {
  if (!isUuid(mailboxId) || (uids !== null && uids.length === 0))
    return { expunged: [], mailbox: null };
  const rows = await query<{
    uid: number;
    boxModseq: string | null;
    uidNext: number | null;
    messageCount: number | null;
  }>(sql`
    WITH locked AS (
      SELECT "id", "uid", "seen", "size" FROM "Message"
      WHERE "accountId" = ${accountId}::uuid AND "mailboxId" = ${mailboxId}::uuid
        AND (${uids}::int[] IS NULL OR "uid" = ANY(${uids}::int[])) AND "deleted"
      ORDER BY "id" FOR UPDATE
    ), total AS (
      SELECT count(*)::int AS n, (count(*) FILTER (WHERE NOT "seen"))::int AS unread,
        COALESCE(sum("size"), 0)::int8 AS bytes
      FROM locked
    ), account AS (
      UPDATE "Account" a SET "usedBytes" = GREATEST(a."usedBytes" - total.bytes, 0)
      FROM total WHERE total.n > 0 AND a."id" = ${accountId}::uuid
      RETURNING a."id" AS "lockedAccount"
    ), box AS (
      UPDATE "Mailbox" b SET
        "highestModseq" = b."highestModseq" + 1,
        "messageCount" = b."messageCount" - total.n,
        "unreadCount" = b."unreadCount" - total.unread,
        "totalBytes" = b."totalBytes" - total.bytes
      FROM total, account
      WHERE b."accountId" = ${accountId}::uuid AND b."id" = ${mailboxId}::uuid
      RETURNING b."highestModseq", b."uidNext", b."messageCount", ${notifyUpdatedMailboxSql(accountId, "removed")} AS sent
    ), gone AS (
      DELETE FROM "Message" m USING locked l
      WHERE m."accountId" = ${accountId}::uuid AND m."id" = l."id"
    )
    SELECT l."uid", box."highestModseq"::text AS "boxModseq", box."uidNext", box."messageCount"
    FROM locked l LEFT JOIN box ON TRUE
    ORDER BY l."uid"`);
  const box = rows[0];
  return {
    expunged: rows.map((r) => r.uid),
    mailbox:
      box && box.boxModseq !== null
        ? {
            highestModseq: BigInt(box.boxModseq),
            uidNext: Number(box.uidNext),
            messageCount: Number(box.messageCount),
          }
        : null,
  };
}
