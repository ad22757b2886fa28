// What the reading pane's tools show of the open message beyond its
// content: pinned (pins.ts), snoozed until (snooze.ts), its keywords (the
// labels among them, lib/labels/keywords.ts). One account-scoped query.
import { db } from "../db.ts";
import { isUuid } from "./list-messages.ts";

export type MessageMarks = { pinned: boolean; snoozedUntil: Date | null; keywords: string[] };

/** Null when the message is not the account's. */
export async function getMessageMarks(
  accountId: string,
  messageId: string,
): Promise<MessageMarks | null> {
  if (!isUuid(messageId)) return null;
  const [row] = await db.$queryRaw<MessageMarks[]>`
    SELECT m."keywords",
      EXISTS (SELECT 1 FROM "PinnedMessage" p WHERE p."accountId" = m."accountId" AND p."messageId" = m."id") AS "pinned",
      (SELECT s."until" FROM "SnoozedMessage" s WHERE s."accountId" = m."accountId" AND s."messageId" = m."id") AS "snoozedUntil"
    FROM "Message" m WHERE m."accountId" = ${accountId}::uuid AND m."id" = ${messageId}::uuid`;
  return row ?? null;
}
