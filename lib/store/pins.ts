// Pinning: a pinned message heads its folder's list (list-messages.ts reads
// the pins; Outlook.com's "Pin"). A pin is a row of its own, not a keyword,
// so IMAP clients see no made-up flag; it goes with its message.
import { db } from "../db.ts";
import { lockMessages } from "./lock-messages.ts";
import { notifyMailboxChanges } from "./notify-change.ts";

/** Most pins one account keeps: the list shows up to MAX_PINNED_SHOWN per folder. */
export const MAX_PINS_PER_ACCOUNT = 500;

/** Pins or unpins the account's messages among `ids`; returns how many. */
export async function setPinned(
  accountId: string,
  ids: string[],
  pinned: boolean,
): Promise<number> {
  return db.$transaction(async (tx) => {
    const rows = await lockMessages(tx, accountId, ids);
    const messageIds = rows.map((r) => r.id);
    if (pinned) {
      await tx.$executeRaw`
        INSERT INTO "PinnedMessage" ("accountId", "messageId")
        SELECT ${accountId}::uuid, v.id FROM unnest(${messageIds}::uuid[]) AS v(id)
        ON CONFLICT DO NOTHING`;
      // The oldest pins give way to new ones.
      await tx.$executeRaw`
        DELETE FROM "PinnedMessage" WHERE "accountId" = ${accountId}::uuid AND "messageId" IN (
          SELECT "messageId" FROM "PinnedMessage" WHERE "accountId" = ${accountId}::uuid
          ORDER BY "pinnedAt" DESC OFFSET ${MAX_PINS_PER_ACCOUNT})`;
    } else {
      await tx.$executeRaw`
        DELETE FROM "PinnedMessage"
        WHERE "accountId" = ${accountId}::uuid AND "messageId" = ANY(${messageIds}::uuid[])`;
    }
    // Open tabs re-read their lists.
    await notifyMailboxChanges(tx, accountId, [...new Set(rows.map((r) => r.mailboxId))], "flags");
    return rows.length;
  });
}
