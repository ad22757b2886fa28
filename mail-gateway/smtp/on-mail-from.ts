// MAIL FROM (RFC 5321 §4.1.1.2): starts a transaction. Syntax, SIZE (RFC
// 1870 §6.2: a declared size over the limit is refused with 552 before any
// data) and SMTPUTF8 are checked by smtp-server before this hook runs.
import type { SMTPServerAddress, SMTPServerSession } from "smtp-server";
import type { TransactionState } from "./transaction.ts";

export function createOnMailFrom(state: TransactionState) {
  return (
    _address: SMTPServerAddress,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ) => {
    state.begin(session.envelope);
    callback();
  };
}
