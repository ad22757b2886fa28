// Read/unread and flagged on a selection of messages. Keeps each folder's
// unreadCount exact, bumps the folder's highestModseq once per change and
// gives the changed messages that modseq (RFC 7162 §3.1: every change of a
// message's metadata gets a new, higher mod-sequence), then NOTIFYs.
import { db, type Tx } from "../db.ts";
import { groupByMailbox, lockMessages, type LockedMessage } from "./lock-messages.ts";
import { notifyMailboxChanges } from "./notify-change.ts";

export type FlagChange = { seen?: boolean; flagged?: boolean };

/**
 * Sets the given flags on the account's messages among `ids`; messages that
 * already have them are left alone (no modseq bump). Returns how many
 * changed. Throws UserError "not_found" when none of the ids is the account's.
 */
export async function updateFlags(
  accountId: string,
  ids: string[],
  change: FlagChange,
): Promise<number> {
  const { seen, flagged } = change;
  if (seen === undefined && flagged === undefined) return 0;
  return db.$transaction(async (tx) =>
    updateLockedFlags(tx, accountId, await lockMessages(tx, accountId, ids), change),
  );
}

/**
 * updateFlags on rows the caller's transaction has locked (lockMessages);
 * returns how many changed.
 */
export async function updateLockedFlags(
  tx: Tx,
  accountId: string,
  rows: LockedMessage[],
  change: FlagChange,
): Promise<number> {
  const { seen, flagged } = change;
  const changing = rows.filter(
    (r) =>
      (seen !== undefined && r.seen !== seen) || (flagged !== undefined && r.flagged !== flagged),
  );
  const groups = groupByMailbox(changing);
  for (const [mailboxId, group] of groups) {
    let unreadDelta = 0;
    if (seen !== undefined) {
      const flipping = group.filter((r) => r.seen !== seen).length;
      unreadDelta = seen ? -flipping : flipping;
    }
    const [box] = await tx.$queryRaw<{ modseq: bigint }[]>`
      UPDATE "Mailbox" SET "highestModseq" = "highestModseq" + 1, "unreadCount" = "unreadCount" + ${unreadDelta}::int
      WHERE "accountId" = ${accountId}::uuid AND "id" = ${mailboxId}::uuid
      RETURNING "highestModseq" AS modseq`;
    await tx.$executeRaw`
      UPDATE "Message" SET
        "seen" = COALESCE(${seen ?? null}::boolean, "seen"),
        "flagged" = COALESCE(${flagged ?? null}::boolean, "flagged"),
        "modseq" = ${box!.modseq}::int8
      WHERE "accountId" = ${accountId}::uuid AND "id" = ANY(${group.map((r) => r.id)}::uuid[])`;
  }
  await notifyMailboxChanges(
    tx,
    accountId,
    groups.map(([id]) => id),
    "flags",
  );
  return changing.length;
}
