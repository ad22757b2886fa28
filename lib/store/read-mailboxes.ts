// Read side of folders, always scoped to one account. Counts come from the
// counters lib/store keeps on each Mailbox row, never from COUNT(*).
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import type { SpecialUse } from "../generated/prisma/enums.ts";
import { DEFAULT_MAILBOXES } from "./mailboxes.ts";
import { isUuid } from "./list-messages.ts";

export type MailboxSummary = {
  id: string;
  name: string;
  specialUse: SpecialUse | null;
  messageCount: number;
  unreadCount: number;
};

// Snoozed (made on first use, snooze.ts) sits right below the Inbox.
const SPECIAL_ORDER = new Map(
  [
    DEFAULT_MAILBOXES[0]!.specialUse,
    "SNOOZED",
    ...DEFAULT_MAILBOXES.slice(1).map((m) => m.specialUse),
  ].map((use, i) => [use as string, i]),
);

function rank(m: MailboxSummary): number {
  return SPECIAL_ORDER.get(m.specialUse ?? "") ?? SPECIAL_ORDER.size;
}

/** The account's folders: special folders in their usual order, then the rest by name. */
export async function listMailboxes(accountId: string): Promise<MailboxSummary[]> {
  const rows = await db.mailbox.findMany({
    where: { accountId },
    select: { id: true, name: true, specialUse: true, messageCount: true, unreadCount: true },
  });
  return rows.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** One folder of the account; UserError "not_found" for any other id. */
export async function getMailboxOrThrow(
  accountId: string,
  mailboxId: string,
): Promise<MailboxSummary> {
  const row = isUuid(mailboxId)
    ? await db.mailbox.findUnique({
        where: { accountId_id: { accountId, id: mailboxId } },
        select: { id: true, name: true, specialUse: true, messageCount: true, unreadCount: true },
      })
    : null;
  if (!row) throw new UserError("not_found", "No such folder.");
  return row;
}
