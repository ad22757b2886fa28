// What became of a sent message, per recipient, for its sender: the Sent
// folder's delivery status and the admin queue view read this.
import { db } from "../db.ts";

export type RecipientStatus = {
  recipient: string;
  status: "queued" | "deferred" | "delivered" | "bounced" | "cancelled";
  /** The remote server's last reply (delivered: its 250; deferred/bounced: why). */
  lastReply: string | null;
  attempts: number;
  /** Deferred or queued: when the next try is due. */
  nextAttemptAt: Date | null;
  finishedAt: Date | null;
};

/**
 * Per-recipient status of the messages an account sent with this source
 * (its Sent copy's sourceSha256). Scoped to the account: another account's
 * submissions are never returned.
 */
export async function deliveryStatusForSentMessage(
  accountId: string,
  sourceSha256: string,
): Promise<RecipientStatus[]> {
  const rows = await db.outboundRecipient.findMany({
    where: { accountId, sourceSha256 },
    orderBy: [{ createdAt: "asc" }, { recipient: "asc" }],
    select: {
      recipient: true,
      status: true,
      lastReply: true,
      attempts: true,
      nextAttemptAt: true,
      finishedAt: true,
    },
  });
  return rows.map((r) => {
    const status = r.status.toLowerCase() as RecipientStatus["status"];
    return {
      recipient: r.recipient,
      status,
      lastReply: r.lastReply,
      attempts: r.attempts,
      nextAttemptAt: status === "queued" || status === "deferred" ? r.nextAttemptAt : null,
      finishedAt: r.finishedAt,
    };
  });
}
