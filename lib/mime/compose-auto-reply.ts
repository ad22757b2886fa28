// Automatic replies (RFC 3834): the vacation responder's message. Pure:
// values in, bytes out; nodemailer's composer does the MIME and header
// encoding, so user text never reaches a header unencoded.
import { randomUUID } from "node:crypto";
import MailComposer from "nodemailer/lib/mail-composer/index.js";

export type AutoReplyInput = {
  from: { name: string; address: string };
  /** Where the reply goes: the original envelope sender (RFC 3834 §4). */
  to: string;
  /** The user's chosen subject; empty for "Auto: " + the original's (RFC 3834 §3.1.5). */
  subject: string;
  originalSubject: string;
  body: string;
  /** The original's Message-ID and References, angle brackets included. */
  originalMessageId: string | null;
  originalReferences: string[];
  date: Date;
};

/** References kept in a reply: enough to thread, bounded for header size. */
const MAX_REFERENCES = 20;
// A msg-id (RFC 5322 §3.6.4) in printable ASCII: anything else from the
// original is dropped rather than copied into our header.
const MESSAGE_ID = /^<[\x21-\x3b\x3d\x3f-\x7e]{1,900}>$/;

const oneLine = (value: string) => value.replace(/[\r\n\t]+/g, " ").trim();

export async function composeAutoReply(
  input: AutoReplyInput,
): Promise<{ raw: Buffer; messageId: string }> {
  const domain = input.from.address.slice(input.from.address.lastIndexOf("@") + 1);
  const messageId = `<${randomUUID()}@${domain}>`;
  const inReplyTo =
    input.originalMessageId && MESSAGE_ID.test(input.originalMessageId)
      ? input.originalMessageId
      : null;
  const references = [...input.originalReferences, ...(inReplyTo ? [inReplyTo] : [])]
    .filter((id) => MESSAGE_ID.test(id))
    .slice(-MAX_REFERENCES);
  const subject = oneLine(input.subject) || `Auto: ${oneLine(input.originalSubject)}`.trim();
  const composer = new MailComposer({
    from: { name: oneLine(input.from.name), address: input.from.address },
    to: input.to,
    subject,
    text: input.body,
    date: input.date,
    messageId,
    inReplyTo: inReplyTo ?? undefined,
    references: references.length ? references : undefined,
    headers: {
      // RFC 3834 §5: marks the message as an automatic reply, so other
      // responders do not answer it (no reply loops).
      "Auto-Submitted": "auto-replied",
      // Exchange and Outlook: do not send their automatic replies to this.
      "X-Auto-Response-Suppress": "All",
    },
  });
  return { raw: await composer.compile().build(), messageId };
}
