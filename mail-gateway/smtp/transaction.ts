// What a server remembers about the mail transaction in progress: the
// recipients accepted at RCPT time, with how lib resolved them (inbound:
// AcceptedRecipient; submission: its route), so DATA does not ask again. Keyed by the
// envelope object, which smtp-server replaces on RSET, HELO/EHLO and after
// DATA (RFC 5321 §4.1.1.5, §4.1.1.1), so state never leaks between messages.
import type { SMTPServerEnvelope } from "smtp-server";
import type { AcceptedRecipient } from "../../lib/delivery/index.ts";

export class TransactionState<T extends { address: string } = AcceptedRecipient> {
  private readonly recipients = new WeakMap<SMTPServerEnvelope, Map<string, T>>();

  /** Starts a transaction's state (MAIL FROM). */
  begin(envelope: SMTPServerEnvelope): void {
    this.recipients.set(envelope, new Map());
  }

  /** Records an accepted recipient; a repeated RCPT TO replaces the earlier one, as smtp-server does. */
  addRecipient(envelope: SMTPServerEnvelope, recipient: T): void {
    let map = this.recipients.get(envelope);
    if (!map) {
      map = new Map();
      this.recipients.set(envelope, map);
    }
    map.set(recipient.address, recipient);
  }

  /** The accepted recipients, in the order of the envelope (only those smtp-server kept). */
  acceptedRecipients(envelope: SMTPServerEnvelope): T[] {
    const map = this.recipients.get(envelope);
    if (!map) return [];
    return envelope.rcptTo
      .map((r) => map.get(r.address.trim().toLowerCase()))
      .filter((r): r is T => r !== undefined);
  }
}
