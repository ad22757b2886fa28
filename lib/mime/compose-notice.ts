// Notices the service writes to one of its users (a sign-in from a new
// device). Pure: values in, bytes out, nodemailer's composer doing MIME and
// header encoding. Marked auto-generated (RFC 3834 §5) so that responders,
// the user's vacation reply among them, do not answer it.
import { randomUUID } from "node:crypto";
import MailComposer from "nodemailer/lib/mail-composer/index.js";

export type NoticeInput = {
  from: { name: string; address: string };
  to: { name: string; address: string };
  subject: string;
  text: string;
  date: Date;
};

export async function composeNotice(input: NoticeInput): Promise<Buffer> {
  const domain = input.from.address.slice(input.from.address.lastIndexOf("@") + 1);
  const composer = new MailComposer({
    from: input.from,
    to: input.to,
    subject: input.subject,
    text: input.text,
    date: input.date,
    messageId: `<${randomUUID()}@${domain}>`,
    headers: { "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All" },
  });
  return composer.compile().build();
}
