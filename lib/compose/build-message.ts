// A composed message as RFC 5322 bytes, built with nodemailer's MailComposer:
// multipart/alternative with a generated text part for HTML mail (html-to-
// text), inline images as multipart/related parts referenced by cid:, other
// attachments as multipart/mixed parts. Pure: callers load the uploads.
//
// The HTML is sanitized with the same rules as mail we show
// (lib/mime/sanitize-html.ts), so we never send markup we would refuse to
// display. Header values were checked by composeSchema (no CR/LF); this
// file checks them again, because a header built from unchecked input is
// the one mistake that cannot be taken back once sent.
import { convert as htmlToText } from "html-to-text";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { sanitizeEmailHtml } from "../mime/sanitize-html.ts";
import { isValidRecipientAddress, type MailAddress } from "./model.ts";
import { UPLOAD_URL_PREFIX } from "./upload-url.ts";

export type OutgoingAttachment = {
  /** The upload's id: inline images are referenced as its upload URL in the HTML. */
  id: string;
  filename: string;
  contentType: string;
  content: Buffer;
};

export type OutgoingMessage = {
  from: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  subject: string;
  format: "html" | "text";
  body: string;
  attachments: OutgoingAttachment[];
  inReplyTo: string | null;
  references: string[];
  messageId: string;
  date: Date;
  /** Keep the Bcc field (drafts and pending sends: submitMessage drops it when sending). */
  keepBcc: boolean;
};

const HEADER_BREAKING = /[\r\n\0]/;

function assertHeaderSafe(value: string, what: string): void {
  if (HEADER_BREAKING.test(value)) throw new Error(`header injection refused in ${what}`);
}

function assertAddress(a: MailAddress, what: string): void {
  assertHeaderSafe(a.name, what);
  if (!isValidRecipientAddress(a.address)) throw new Error(`invalid address in ${what}`);
}

const UPLOAD_SRC = new RegExp(
  `(<img\\b[^>]*?\\bsrc=")${UPLOAD_URL_PREFIX.replaceAll("/", "\\/")}([0-9a-f-]{36})"`,
  "gi",
);

/** The Content-ID an inline upload gets in the built message. */
export function inlineContentId(uploadId: string, domain: string): string {
  return `${uploadId}@${domain}`;
}

/** Plain text for the text/plain alternative of an HTML body. */
export function htmlToPlainText(html: string): string {
  return htmlToText(html, {
    wordwrap: 78,
    selectors: [
      { selector: "img", format: "skip" },
      { selector: "a", options: { hideLinkHrefIfSameAsText: true } },
    ],
  }).trim();
}

export async function buildMessage(message: OutgoingMessage): Promise<Buffer> {
  assertAddress(message.from, "From");
  for (const [field, list] of [
    ["To", message.to],
    ["Cc", message.cc],
    ["Bcc", message.bcc],
  ] as const) {
    for (const a of list) assertAddress(a, field);
  }
  assertHeaderSafe(message.subject, "Subject");
  for (const id of [message.messageId, message.inReplyTo ?? "", ...message.references]) {
    assertHeaderSafe(id, "a message id");
  }
  for (const a of message.attachments) assertHeaderSafe(a.filename, "an attachment name");

  const domain = message.from.address.slice(message.from.address.lastIndexOf("@") + 1);
  let html: string | undefined;
  let text: string;
  const inlineIds = new Set<string>();
  if (message.format === "html") {
    // Images the editor shows from our upload URL become cid: references to
    // their part (RFC 2392); the sanitizer has vetted the markup around them.
    html = sanitizeEmailHtml(message.body).replace(
      UPLOAD_SRC,
      (_all, start: string, id: string) => {
        if (!message.attachments.some((a) => a.id === id)) return `${start}"`;
        inlineIds.add(id);
        return `${start}cid:${inlineContentId(id, domain)}"`;
      },
    );
    text = htmlToPlainText(html);
  } else {
    text = message.body;
  }

  const composer = new MailComposer({
    from: message.from,
    to: message.to,
    cc: message.cc,
    bcc: message.bcc,
    subject: message.subject,
    text,
    html,
    messageId: message.messageId,
    date: message.date,
    inReplyTo: message.inReplyTo ?? undefined,
    references: message.references.length > 0 ? message.references : undefined,
    attachments: message.attachments.map((a) =>
      inlineIds.has(a.id)
        ? {
            filename: a.filename,
            contentType: a.contentType,
            content: a.content,
            cid: inlineContentId(a.id, domain),
            contentDisposition: "inline" as const,
          }
        : { filename: a.filename, contentType: a.contentType, content: a.content },
    ),
  });
  const node = composer.compile();
  (node as unknown as { keepBcc: boolean }).keepBcc = message.keepBcc;
  return node.build();
}
