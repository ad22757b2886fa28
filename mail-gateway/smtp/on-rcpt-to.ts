// RCPT TO (RFC 5321 §4.1.1.3): recipients are decided here, not after DATA,
// so a refused address costs the sender no upload and us no bounce
// (RFC 5321 §6.2 warns against accepting then bouncing: backscatter).
import type { SMTPServerAddress, SMTPServerSession } from "smtp-server";
import { resolveRecipient } from "../../lib/delivery/index.ts";
import { recipientReply, replyError, TEMPORARY_FAILURE } from "./replies.ts";
import type { TransactionState } from "./transaction.ts";

export function createOnRcptTo(state: TransactionState, log: (line: string) => void) {
  return (
    address: SMTPServerAddress,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ) => {
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
    resolveRecipient(address.address, { mailFrom }).then(
      (resolution) => {
        if (!resolution.ok) return callback(replyError(recipientReply(resolution.reason)));
        state.addRecipient(session.envelope, address.address, resolution);
        callback();
      },
      (error: unknown) => {
        log(`smtp ${session.id}: recipient lookup failed: ${(error as Error).message}`);
        callback(replyError(TEMPORARY_FAILURE));
      },
    );
  };
}
