// What a server remembers about the mail transaction in progress: the
// recipients accepted at RCPT time, with how lib resolved them (inbound:
// AcceptedRecipient; submission: its route), so DATA does not ask again. Keyed by the
// envelope object, which smtp-server replaces on RSET, HELO/EHLO and after
// DATA (RFC 5321 §4.1.1.5, §4.1.1.1), so state never leaks between messages.
import type { SMTPServerEnvelope } from "smtp-server";
import type { AcceptedRecipient } from "../../lib/delivery/index.ts";

// The key of a recipient: its RCPT TO address as given, in one case. Not
// the resolved address, which may differ (a bare "postmaster" is qualified).
const keyOf = (rcptTo: string) => rcptTo.trim().toLowerCase();

export class TransactionState<T = AcceptedRecipient> {
  private readonly recipients = new WeakMap<SMTPServerEnvelope, Map<string, T>>();

  /** Starts a transaction's state (MAIL FROM). */
  begin(envelope: SMTPServerEnvelope): void {
    this.recipients.set(envelope, new Map());
  }

  /**
   * Records what the RCPT TO of `rcptTo` was accepted as; a repeated RCPT TO
   * replaces the earlier one, as smtp-server does.
   */
  addRecipient(envelope: SMTPServerEnvelope, rcptTo: string, recipient: T): void {
    let map = this.recipients.get(envelope);
    if (!map) {
      map = new Map();
      this.recipients.set(envelope, map);
    }
    map.set(keyOf(rcptTo), recipient);
  }

  /** The accepted recipients, in the order of the envelope (only those smtp-server kept). */
  acceptedRecipients(envelope: SMTPServerEnvelope): T[] {
    const map = this.recipients.get(envelope);
    if (!map) return [];
    return envelope.rcptTo
      .map((r) => map.get(keyOf(r.address)))
      .filter((r): r is T => r !== undefined);
  }
}
