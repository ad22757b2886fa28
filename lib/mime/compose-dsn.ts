// Delivery status notifications (RFC 3464) as a multipart/report (RFC 6522):
// a human-readable part, the machine-readable message/delivery-status, and
// the original message's headers (text/rfc822-headers). Pure: bytes in,
// bytes out.
import { randomBytes } from "node:crypto";
import { findHeaderEnd, formatRfc5322Date, headerValue, parseHeaderFields } from "./headers.ts";

export type DsnRecipient = {
  recipient: string;
  /** "failed" for a bounce, "delayed" for a warning (RFC 3464 §2.3.3). */
  action: "failed" | "delayed";
  /** Enhanced status code (RFC 3463), e.g. "5.1.1". */
  status: string;
  /** The remote server's reply, if one was received. */
  diagnostic: string | null;
  remoteMta: string | null;
  lastAttemptAt: Date | null;
  /** For delays: when the service gives up. */
  willRetryUntil: Date | null;
};

export type DsnInput = {
  reportingHost: string;
  /** The original envelope sender, who gets the report. */
  to: string;
  arrivalDate: Date;
  recipients: DsnRecipient[];
  /** The original message's header block (bytes up to the blank line). */
  originalHeaders: Buffer;
  originalSubject: string;
  now?: Date;
};

// RFC 5322 §2.1.1: lines stay under 998 characters; CR and LF never come
// from data into a header (they would start a new header: injection).
function oneLine(value: string, max = 900): string {
  return value
    .replace(/[\r\n\t]+/g, " ")
    .replace(/[^\x20-\x7e\u00a0-\uffff]/g, "")
    .slice(0, max);
}

function asciiOnly(value: string, max = 900): string {
  return oneLine(value, max).replace(/[^\x20-\x7e]/g, "?");
}

/** The enhanced status code in an SMTP reply ("550 5.1.1 ..."), or the fallback. */
export function enhancedStatusOf(reply: string | null, fallback: string): string {
  const match = reply ? /\b([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(reply) : null;
  return match ? `${match[1]}.${match[2]}.${match[3]}` : fallback;
}

/** The header block of a raw message without its ending blank line, capped. */
export function headerBlockOf(raw: Buffer, maxBytes = 64 * 1024): Buffer {
  const end = findHeaderEnd(raw);
  const headers = end < 0 ? raw : raw.subarray(0, end);
  return Buffer.from(headers.toString("latin1").trimEnd(), "latin1").subarray(0, maxBytes);
}

/** The raw Subject of a header block (still encoded), for the report's subject. */
export function subjectOf(headerBlock: Buffer): string {
  return headerValue(parseHeaderFields(headerBlock), "subject") ?? "";
}

const rfc5322Date = formatRfc5322Date;

export function composeDsn(input: DsnInput): { raw: Buffer; messageId: string } {
  const now = input.now ?? new Date();
  const boundary = `dsn-${randomBytes(12).toString("hex")}`;
  const messageId = `<${randomBytes(16).toString("hex")}@${input.reportingHost}>`;
  const failed = input.recipients.filter((r) => r.action === "failed");
  const delayed = input.recipients.filter((r) => r.action === "delayed");
  const subject =
    failed.length > 0
      ? "Undelivered Mail Returned to Sender"
      : "Delivery Status Notification (Delay)";
  const original = asciiOnly(input.originalSubject, 200);

  const human: string[] = [`This is the mail system at ${input.reportingHost}.`, ""];
  if (failed.length > 0) {
    human.push(
      "Your message could not be delivered to one or more recipients.",
      "Its headers are attached below.",
      "",
    );
    for (const r of failed)
      human.push(`<${oneLine(r.recipient, 320)}>: ${oneLine(r.diagnostic ?? r.status)}`);
  }
  if (delayed.length > 0) {
    if (failed.length > 0) human.push("");
    human.push(
      "Your message has not been delivered yet to these recipients. This is only a warning:",
      "the mail system keeps trying.",
      "",
    );
    for (const r of delayed) {
      const until = r.willRetryUntil ? ` (trying until ${rfc5322Date(r.willRetryUntil)})` : "";
      human.push(
        `<${oneLine(r.recipient, 320)}>: ${oneLine(r.diagnostic ?? "not delivered yet")}${until}`,
      );
    }
  }

  const status: string[] = [
    `Reporting-MTA: dns; ${asciiOnly(input.reportingHost, 255)}`,
    `Arrival-Date: ${rfc5322Date(input.arrivalDate)}`,
  ];
  for (const r of input.recipients) {
    status.push("");
    status.push(`Final-Recipient: rfc822; ${asciiOnly(r.recipient, 320)}`);
    status.push(`Action: ${r.action}`);
    status.push(`Status: ${r.status}`);
    if (r.remoteMta) status.push(`Remote-MTA: dns; ${asciiOnly(r.remoteMta, 255)}`);
    if (r.diagnostic) status.push(`Diagnostic-Code: smtp; ${asciiOnly(r.diagnostic)}`);
    if (r.lastAttemptAt) status.push(`Last-Attempt-Date: ${rfc5322Date(r.lastAttemptAt)}`);
    if (r.willRetryUntil) status.push(`Will-Retry-Until: ${rfc5322Date(r.willRetryUntil)}`);
  }

  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${input.reportingHost}>`,
    `To: <${asciiOnly(input.to, 320)}>`,
    `Subject: ${subject}${original ? `: ${original}` : ""}`,
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: ${messageId}`,
    // RFC 3834 §5: a report is an automatic reply; vacation responders and
    // other robots must not answer it.
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
  ];
  const crlf = (lines: string[]) => lines.join("\r\n");
  const text = Buffer.from(
    crlf([
      ...head,
      "",
      "This is a MIME-encapsulated delivery status notification.",
      "",
      `--${boundary}`,
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      ...human,
      "",
      `--${boundary}`,
      "Content-Type: message/delivery-status",
      "",
      ...status,
      "",
      `--${boundary}`,
      "Content-Type: text/rfc822-headers",
      "",
      "",
    ]),
  );
  const originalHeaders = input.originalHeaders.toString("latin1").replace(/\r?\n/g, "\r\n");
  const raw = Buffer.concat([
    text,
    Buffer.from(originalHeaders, "latin1"),
    Buffer.from(`\r\n\r\n--${boundary}--\r\n`),
  ]);
  return { raw, messageId };
}
