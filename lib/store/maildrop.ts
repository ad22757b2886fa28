// The POP3 maildrop (RFC 1939): an account's Inbox as a numbered list taken
// once at login, and the deletions a session applies at QUIT. Reading the
// bytes is getRawMessageOrThrow (get-message.ts); marking read is
// updateFlags (update-flags.ts): POP3 has no rules of its own for those.
//
// Deleted by POP3 means moved to Trash, as the webmail's Delete button does
// for Inbox mail: a phone set to "delete from server" must not destroy mail
// the user still sees in the webmail's Trash for recovery (Outlook.com moves
// POP-deleted mail to Deleted Items the same way). The client cannot tell:
// the message is gone from its maildrop either way.
import { db } from "../db.ts";
import type { LockedMessage } from "./lock-messages.ts";
import { moveLockedMessages, specialMailboxId } from "./move-messages.ts";

export type MaildropMessage = {
  /** Message.id: the UIDL value, kept by the message for life (moves keep it too). */
  id: string;
  size: number;
  seen: boolean;
};

export type Maildrop = { mailboxId: string; messages: MaildropMessage[] };

/**
 * The account's Inbox, oldest first (uid order, so message numbers follow
 * arrival). Throws when the account has no Inbox (it always has one).
 */
export async function openMaildrop(accountId: string): Promise<Maildrop> {
  const rows = await db.$queryRaw<
    { mailboxId: string; id: string | null; size: number | null; seen: boolean | null }[]
  >`
    SELECT b."id"::text AS "mailboxId", m."id"::text AS "id", m."size", m."seen"
    FROM "Mailbox" b
    LEFT JOIN "Message" m ON m."accountId" = b."accountId" AND m."mailboxId" = b."id"
    WHERE b."accountId" = ${accountId}::uuid AND b."specialUse" = 'INBOX'::"SpecialUse"
    ORDER BY m."uid"`;
  if (rows.length === 0) throw new Error(`account ${accountId} has no Inbox`);
  return {
    mailboxId: rows[0]!.mailboxId,
    messages: rows
      .filter((r) => r.id !== null)
      .map((r) => ({ id: r.id!, size: Number(r.size), seen: Boolean(r.seen) })),
  };
}

/**
 * The UPDATE state of one POP3 session (RFC 1939 §6): moves the messages
 * among `ids` that are still in the maildrop's folder to Trash, all in one
 * transaction, with the folders' counters and NOTIFY of any move. Messages
 * another session or the webmail moved or deleted meanwhile are left as they
 * are (the user's later choice wins). Any number of ids; returns how many moved.
 */
export async function deleteFromMaildrop(
  accountId: string,
  mailboxId: string,
  ids: string[],
): Promise<number> {
  if (ids.length === 0) return 0;
  return db.$transaction(async (tx) => {
    // Lock order as in lock-messages.ts: Message rows by id first.
    const rows = await tx.$queryRaw<LockedMessage[]>`
      SELECT "id"::text AS "id", "mailboxId"::text AS "mailboxId", "seen", "flagged", "size", "receivedAt"
      FROM "Message"
      WHERE "accountId" = ${accountId}::uuid AND "mailboxId" = ${mailboxId}::uuid AND "id" = ANY(${ids}::uuid[])
      ORDER BY "id" FOR UPDATE`;
    if (rows.length === 0) return 0;
    const trash = await specialMailboxId(tx, accountId, "TRASH");
    return moveLockedMessages(
      tx,
      accountId,
      rows.map((r) => ({ ...r, size: Number(r.size) })),
      trash,
    );
  });
}
