// IMAP APPEND (RFC 3501 §6.3.11, RFC 4315 APPENDUID): a client stores a
// message into one of the account's folders with its own flags and date.
// Same path as every other new message (deliver.ts): source stored once,
// parsed fields, thread, quota, uid from the folder's row, NOTIFY.
import { UserError } from "../errors.ts";
import { parseMessage } from "../mime/parse-message.ts";
import { storeDelivery, type MessageFlags } from "./deliver.ts";
import { isUuid } from "./list-messages.ts";

/**
 * Stores `raw` in the folder; resolves after COMMIT with the new uid.
 * Throws OverQuotaError when it does not fit, UserError "not_found" for a
 * folder that is not the account's.
 */
export async function appendMessage(
  accountId: string,
  mailboxId: string,
  raw: Buffer,
  flags: MessageFlags,
  receivedAt: Date,
): Promise<{ uid: number }> {
  if (!isUuid(mailboxId)) throw new UserError("not_found", "No such folder.");
  const parsed = await parseMessage(raw);
  const copies = await storeDelivery({
    receivedAt,
    sources: [
      {
        bytes: { kind: "memory", prefix: Buffer.alloc(0), body: raw },
        parsed,
        accountIds: [],
        folderCopies: [{ accountId, mailboxId, flags }],
        outbound: [],
      },
    ],
  });
  const copy = copies[0];
  if (!copy) throw new UserError("not_found", "No such folder.");
  return { uid: copy.uid };
}
