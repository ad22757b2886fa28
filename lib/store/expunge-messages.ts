// IMAP EXPUNGE and UID EXPUNGE (RFC 3501 §6.4.3, RFC 4315 §2.1): the
// folder's messages marked \Deleted are deleted for good, with the same
// counters, quota and NOTIFY as the webmail's "delete forever".
import { db } from "../db.ts";
import { deleteLocked } from "./delete-messages.ts";
import { lockMessagesByUid } from "./lock-messages.ts";

/**
 * Deletes the folder's \Deleted messages (only those among `uids` when
 * given). Returns the uids deleted, ascending.
 */
export async function expungeMessages(
  accountId: string,
  mailboxId: string,
  uids: number[] | null,
): Promise<number[]> {
  return db.$transaction(async (tx) => {
    const rows = await lockMessagesByUid(tx, accountId, mailboxId, uids, true);
    await deleteLocked(tx, accountId, rows);
    return rows.map((r) => r.uid).sort((a, b) => a - b);
  });
}
