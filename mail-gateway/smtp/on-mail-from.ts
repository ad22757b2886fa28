// MAIL FROM (RFC 5321 §4.1.1.2): starts a transaction. Syntax, SIZE (RFC
// 1870 §6.2: a declared size over the limit is refused with 552 before any
// data) and SMTPUTF8 are checked by smtp-server before this hook runs. Each
// transaction counts against its client network's hourly message limit
// (lib/spam/client-limits.ts): past it, 451 4.7.1 and the sender retries.
import type { SMTPServerAddress, SMTPServerSession } from "smtp-server";
import { chargeClientMessage } from "../../lib/spam/client-limits.ts";
import { getSpamSettings } from "../../lib/spam/settings.ts";
import { clientIpOf } from "./describe-session.ts";
import { CLIENT_LIMIT_REPLIES, replyError } from "./replies.ts";
import type { TransactionState } from "./transaction.ts";

export function createOnMailFrom(state: TransactionState, log: (line: string) => void) {
  return (
    _address: SMTPServerAddress,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ) => {
    getSpamSettings()
      .then((settings) => chargeClientMessage(clientIpOf(session), settings))
      .then(
        (within) => {
          if (!within) return callback(replyError(CLIENT_LIMIT_REPLIES.messageRate));
          state.begin(session.envelope);
          callback();
        },
        (error: unknown) => {
          // The count could not be kept (the database is away): not a reason to refuse.
          log(`smtp ${session.id}: message rate check failed: ${(error as Error).message}`);
          state.begin(session.envelope);
          callback();
        },
      );
  };
}
