// Replies and forwards, pure: who a reply goes to, what its subject is, which
// message ids it refers to (RFC 5322 §3.6.4), and the quoted original.
import { isSenderAddress } from "../accounts/sender-addresses.ts";
import { sanitizeEmailHtml } from "../mime/sanitize-html.ts";
import type { MailAddress } from "./model.ts";

export type OriginalMessage = {
  from: MailAddress | null;
  replyTo: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  subject: string;
  date: Date | null;
  messageId: string | null;
  references: string[];
  html: string | null;
  text: string;
};

// Markers other clients put in front of replies and forwards (see
// lib/mime/normalize-subject.ts for the list and the languages).
const REPLY_MARKER = /^\s*(?:re|aw|sv|antw|odp|rif)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]/i;
const FORWARD_MARKER = /^\s*(?:fwd?|wg|tr|rv)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]/i;

/** "Re: " in front unless the subject already starts with a reply marker. */
export function replySubject(subject: string): string {
  const s = subject.trim();
  return REPLY_MARKER.test(s) ? s : `Re: ${s}`;
}

/** "Fwd: " in front unless the subject already starts with a forward marker. */
export function forwardSubject(subject: string): string {
  const s = subject.trim();
  return FORWARD_MARKER.test(s) ? s : `Fwd: ${s}`;
}

/**
 * RFC 5322 §3.6.4: In-Reply-To is the parent's Message-ID; References is the
 * parent's References (or its In-Reply-To) followed by the parent's id.
 */
export function replyThreading(original: OriginalMessage): {
  inReplyTo: string | null;
  references: string[];
} {
  if (!original.messageId) return { inReplyTo: null, references: original.references.slice(-49) };
  const references = [...original.references.filter((r) => r !== original.messageId)];
  references.push(original.messageId);
  return { inReplyTo: original.messageId, references: references.slice(-50) };
}

function dedupe(list: MailAddress[], skip: Set<string>): MailAddress[] {
  const out: MailAddress[] = [];
  for (const a of list) {
    if (!a.address || skip.has(a.address)) continue;
    skip.add(a.address);
    out.push(a);
  }
  return out;
}

/**
 * Recipients of a reply. Reply: the Reply-To (RFC 5322 §3.6.2) or the From;
 * Reply all adds everyone else in To and Cc as Cc. The user's own addresses
 * (account, owned aliases, their subaddresses) are never among them.
 *
 * Replying to one's own message (from Sent, or one's copy in a conversation)
 * continues it with its recipients, as Gmail, Outlook.com and Roundcube do:
 * To is the original's To, Reply all keeps its Cc. Sent only to Cc, those
 * people are the To; sent only to oneself (or an alias one owns), the reply
 * goes there again rather than to nobody.
 */
export function replyRecipients(
  original: OriginalMessage,
  ownAddresses: string[],
  all: boolean,
): { to: MailAddress[]; cc: MailAddress[] } {
  const own = (a: MailAddress) => isSenderAddress(ownAddresses, a.address);
  const notOwn = (list: MailAddress[]) => list.filter((a) => !own(a));
  const seen = new Set<string>();
  if (original.from !== null && own(original.from)) {
    const to = dedupe(notOwn(original.to), seen);
    const cc = dedupe(notOwn(original.cc), seen);
    if (to.length > 0) return { to, cc: all ? cc : [] };
    if (cc.length > 0) return { to: cc, cc: [] };
    return { to: dedupe(original.to.length > 0 ? original.to : [original.from], seen), cc: [] };
  }
  const to = dedupe(
    notOwn(original.replyTo.length > 0 ? original.replyTo : original.from ? [original.from] : []),
    seen,
  );
  if (!all) return { to, cc: [] };
  return { to, cc: dedupe(notOwn([...original.to, ...original.cc]), seen) };
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** Plain text as paragraphs of HTML, line breaks kept. */
export function textToHtml(text: string): string {
  return text
    .split(/\r?\n\r?\n/)
    .map((p) => `<p>${escapeHtml(p).replace(/\r?\n/g, "<br>")}</p>`)
    .join("");
}

function formatAddress(a: MailAddress | null): string {
  if (!a) return "(unknown sender)";
  return a.name ? `${a.name} <${a.address}>` : a.address;
}

function formatDate(date: Date | null): string {
  return date ? date.toUTCString().replace("GMT", "UTC") : "an unknown date";
}

/** The original's body as HTML to quote: its sanitized HTML, or its text. */
function originalBodyHtml(
  original: OriginalMessage,
  resolveCid: (contentId: string) => string | null,
): string {
  return original.html
    ? sanitizeEmailHtml(original.html, { resolveCid })
    : textToHtml(original.text);
}

/** The quoted original under a reply: a header line, then the body in a blockquote. */
export function quoteForReply(original: OriginalMessage): { html: string; text: string } {
  const line = `On ${formatDate(original.date)}, ${formatAddress(original.from)} wrote:`;
  const body = originalBodyHtml(original, () => null);
  const text = original.text
    .split(/\r?\n/)
    .map((l) => `> ${l}`)
    .join("\n");
  return {
    html: `<p>${escapeHtml(line)}</p><blockquote>${body}</blockquote>`,
    text: `${line}\n${text}`,
  };
}

/** The forwarded original: a header block, then the body (inline images kept via resolveCid). */
export function quoteForForward(
  original: OriginalMessage,
  resolveCid: (contentId: string) => string | null,
): { html: string; text: string } {
  const lines = [
    "---------- Forwarded message ----------",
    `From: ${formatAddress(original.from)}`,
    `Date: ${formatDate(original.date)}`,
    `Subject: ${original.subject}`,
    `To: ${original.to.map(formatAddress).join(", ")}`,
    ...(original.cc.length > 0 ? [`Cc: ${original.cc.map(formatAddress).join(", ")}`] : []),
  ];
  return {
    html: `<p>${lines.map(escapeHtml).join("<br>")}</p>${originalBodyHtml(original, resolveCid)}`,
    text: `${lines.join("\n")}\n\n${original.text}`,
  };
}

/** The signature block: RFC 3676 §4.3's "-- " separator line, then the text. */
export function signatureBlock(signature: string): { html: string; text: string } {
  const s = signature.trim();
  if (!s) return { html: "", text: "" };
  return {
    html: `<p>-- <br>${escapeHtml(s).replace(/\r?\n/g, "<br>")}</p>`,
    text: `-- \n${s}`,
  };
}
