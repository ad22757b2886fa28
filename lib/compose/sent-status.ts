// Delivery status of a message in the account's Sent folder, per remote
// recipient, from the outbound queue (lib/queue/status.ts). Empty for any
// other message and for another account's ids.
import { db } from "../db.ts";
import { deliveryStatusForSentMessage, type RecipientStatus } from "../queue/status.ts";
import { isUuid } from "../store/list-messages.ts";

export async function deliveryStatusOfSentCopy(
  accountId: string,
  messageId: string,
): Promise<RecipientStatus[]> {
  if (!isUuid(messageId)) return [];
  const copy = await db.message.findFirst({
    where: { accountId, id: messageId, mailbox: { specialUse: "SENT" } },
    select: { sourceSha256: true },
  });
  return copy ? deliveryStatusForSentMessage(accountId, copy.sourceSha256) : [];
}
