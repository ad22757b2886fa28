// Folder subscriptions (RFC 3501 §6.3.6): which folders a client shows.
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import { isUuid } from "./list-messages.ts";

export async function setFolderSubscribed(
  accountId: string,
  mailboxId: string,
  subscribed: boolean,
): Promise<void> {
  const updated = isUuid(mailboxId)
    ? await db.mailbox.updateMany({ where: { accountId, id: mailboxId }, data: { subscribed } })
    : { count: 0 };
  if (updated.count === 0) throw new UserError("not_found", "No such folder.");
}
