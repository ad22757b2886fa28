// Folders of an account. lib/store is the only writer of mailbox rows and
// their counters.
import type { Tx } from "../db.ts";
import { SpecialUse } from "../generated/prisma/enums.ts";

/** The folders every account has, in display order. */
export const DEFAULT_MAILBOXES: { name: string; specialUse: SpecialUse }[] = [
  { name: "Inbox", specialUse: SpecialUse.INBOX },
  { name: "Drafts", specialUse: SpecialUse.DRAFTS },
  { name: "Sent", specialUse: SpecialUse.SENT },
  { name: "Archive", specialUse: SpecialUse.ARCHIVE },
  { name: "Junk", specialUse: SpecialUse.JUNK },
  { name: "Trash", specialUse: SpecialUse.TRASH },
];

// RFC 3501 §2.3.1.1: a folder re-created under an old name must get a larger
// UIDVALIDITY. Seconds since 2024 grow with time and fit a signed int4 until
// the 2090s.
const UIDVALIDITY_EPOCH_MS = Date.UTC(2024, 0, 1);
export function newUidValidity(now = Date.now()): number {
  return Math.max(1, Math.floor((now - UIDVALIDITY_EPOCH_MS) / 1000));
}

/** Runs in the caller's transaction, right after the account row is made. */
export async function createDefaultMailboxes(tx: Tx, accountId: string): Promise<void> {
  const uidValidity = newUidValidity();
  await tx.mailbox.createMany({
    data: DEFAULT_MAILBOXES.map((m) => ({
      accountId,
      name: m.name,
      specialUse: m.specialUse,
      uidValidity,
    })),
  });
  // Subscribed, as the webmail's folders are (RFC 3501 §6.3.6).
  await tx.folderSubscription.createMany({
    data: DEFAULT_MAILBOXES.map((m) => ({ accountId, name: m.name })),
  });
}
