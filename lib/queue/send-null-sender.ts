// Mail the service writes itself with the null reverse-path (RFC 5321
// §4.5.5): delivery reports and automatic replies. One recipient; a hosted
// one through the inbound rules (lib/delivery) and the store, any other
// through the outbound queue. Nothing is ever sent to the null sender.
import { resolveRecipient, type RecipientRejection } from "../delivery/resolve-recipient.ts";
import { returnPathField } from "../delivery/trace-headers.ts";
import { formatHeaderLines } from "../mime/headers.ts";
import { emptyParsedMessage, parseMessage } from "../mime/parse-message.ts";
import { storeDelivery } from "../store/deliver.ts";

export type NullSenderOutcome =
  | { kind: "stored" }
  | { kind: "queued" }
  | { kind: "dropped"; reason: RecipientRejection | "null_recipient" };

/**
 * Stores or queues `raw` for `recipient` with MAIL FROM:<>. Resolves after
 * the store committed; throws when the database fails (nothing stored then)
 * or, with enforceQuota, OverQuotaError.
 */
export async function sendNullSenderMessage(
  raw: Buffer,
  recipient: string,
  options: { enforceQuota?: boolean; receivedAt?: Date } = {},
): Promise<NullSenderOutcome> {
  if (recipient === "") return { kind: "dropped", reason: "null_recipient" };
  const parsed = await parseMessage(raw).catch(() => emptyParsedMessage());
  const target = await resolveRecipient(recipient, { mailFrom: "" });
  const receivedAt = options.receivedAt ?? new Date();
  if (target.ok) {
    await storeDelivery({
      receivedAt,
      enforceQuota: options.enforceQuota ?? true,
      sources: [
        {
          // RFC 5321 §4.4: final delivery records the (null) envelope sender.
          bytes: { kind: "memory", prefix: formatHeaderLines([returnPathField("")]), body: raw },
          parsed,
          accountIds: target.accounts.map((a) => a.accountId),
          outbound: target.external.map((external) => ({ recipient: external, mailFrom: "" })),
        },
      ],
    });
    return { kind: "stored" };
  }
  if (target.reason === "relay_denied") {
    await storeDelivery({
      receivedAt,
      sources: [
        {
          bytes: { kind: "memory", prefix: Buffer.alloc(0), body: raw },
          parsed,
          accountIds: [],
          outbound: [{ recipient, mailFrom: "" }],
        },
      ],
    });
    return { kind: "queued" };
  }
  return { kind: "dropped", reason: target.reason };
}
