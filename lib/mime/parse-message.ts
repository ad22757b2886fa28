// Message parsing with mailparser into the fields the webmail lists, shows
// and searches. Attachment contents are counted and dropped, never kept: the
// raw message stays the one copy of them (lib/store keeps it), so a 25 MiB
// attachment costs no memory here.
import { Readable } from "node:stream";
import { convert as htmlToText, type HtmlToTextOptions } from "html-to-text";
import {
  MailParser,
  type AddressObject,
  type AttachmentStream,
  type EmailAddress,
  type Headers,
  type MessageText,
} from "mailparser";
import { htmlPreviewText } from "./html-preview.ts";

export type ParsedAddress = { name: string; address: string };

export type ParsedAttachment = {
  filename: string | null;
  contentType: string;
  /** Decoded size in bytes. */
  size: number;
  /** Content-ID without angle brackets, for cid: references in the HTML. */
  contentId: string | null;
  /** Shown in the body (Content-Disposition: inline, or part of multipart/related). */
  inline: boolean;
};

export type ParsedMessage = {
  from: ParsedAddress | null;
  to: ParsedAddress[];
  cc: ParsedAddress[];
  subject: string;
  /** The Date header; null when missing or unreadable. */
  date: Date | null;
  /** Message-IDs keep their angle brackets ("<id@host>"), as RFC 5322 §3.6.4 writes them. */
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  /** Plain text body; the HTML's readable text when the message has only HTML. */
  text: string;
  html: string | null;
  /** The start of what the reader sees: of the HTML's readable text when there is HTML. */
  snippet: string;
  attachments: ParsedAttachment[];
};

/** Characters of body text shown under the subject in message lists. */
export const SNIPPET_LENGTH = 200;

// HTML longer than this is cut before it is turned into text for an HTML-only
// message: the text only feeds the snippet and the search index, and
// html-to-text on megabytes of markup costs seconds.
const MAX_HTML_TO_TEXT_CHARS = 1024 * 1024;

// mailparser reports these through its "error" event but goes on parsing: the
// HTML is kept, only its text rendering is missing.
const NON_FATAL_PARSER_ERROR = /^(HTML too long for parsing|Failed to parse HTML)/;

// A message-ID token (RFC 5322 §3.6.4 msg-id); lenient about what is inside.
const MSG_ID = /<[^<>\s]+>/g;

/** A ParsedMessage with nothing in it: what a message that cannot be parsed is listed with. */
export function emptyParsedMessage(): ParsedMessage {
  return {
    from: null,
    to: [],
    cc: [],
    subject: "",
    date: null,
    messageId: null,
    inReplyTo: null,
    references: [],
    text: "",
    html: null,
    snippet: "",
    attachments: [],
  };
}

/**
 * Parses a whole message. Resolves once the input has been read to the end;
 * rejects only if mailparser itself fails (malformed MIME is parsed as well as
 * it can be, as mailparser does).
 */
export function parseMessage(input: Buffer | Readable): Promise<ParsedMessage> {
  return new Promise((resolve, reject) => {
    const parser = new MailParser({
      // The webmail renders HTML itself (sanitised) and makes links there:
      // the text->HTML conversion and linkifying cost time and are unused.
      skipTextToHtml: true,
      skipTextLinks: true,
      skipImageLinks: true,
      // mailparser's own HTML->text keeps link targets and image URLs
      // ("Sale [http://tracker...]"): the text of HTML is rendered below,
      // readable, instead.
      skipHtmlToText: true,
    });
    const result = emptyParsedMessage();
    let headers: Headers | undefined;
    let pending = 0;
    let ended = false;
    const finish = () => {
      if (!ended || pending > 0) return;
      if (headers) readHeaders(headers, result);
      if (!result.text.trim() && result.html) result.text = renderHtmlAsText(result.html);
      // The reading pane shows the HTML when there is one, so the list
      // previews it too; the text part (often bare tracking URLs) only when
      // the HTML shows no text.
      const shown = result.html ? makeSnippet(htmlPreviewText(result.html, SNIPPET_LENGTH)) : "";
      result.snippet = shown || makeSnippet(result.text);
      resolve(result);
    };

    parser.on("headers", (h: Headers) => {
      headers = h;
    });
    parser.on("data", (part: AttachmentStream | MessageText) => {
      if (part.type === "text") {
        result.text = typeof part.text === "string" ? part.text : "";
        result.html = typeof part.html === "string" ? part.html : null;
        return;
      }
      const attachment: ParsedAttachment = {
        filename: part.filename ?? null,
        contentType: (part.contentType || "application/octet-stream").toLowerCase(),
        size: 0,
        contentId: part.cid ?? null,
        inline: part.contentDisposition === "inline" || part.related === true,
      };
      result.attachments.push(attachment);
      pending++;
      part.content.on("data", (chunk: Buffer) => {
        attachment.size += chunk.length;
      });
      part.content.on("end", () => {
        pending--;
        finish();
      });
      part.content.on("error", reject);
      part.release();
    });
    parser.on("error", (error: Error) => {
      if (!NON_FATAL_PARSER_ERROR.test(error.message)) reject(error);
    });
    parser.on("end", () => {
      ended = true;
      finish();
    });

    if (Buffer.isBuffer(input)) {
      parser.end(input);
    } else {
      input.on("error", (error) => parser.destroy(error));
      input.pipe(parser);
    }
  });
}

// mailparser keeps the last copy of a field RFC 5322 §3.6 allows once (a
// second From, Subject, Date...) and joins repeated To and Cc fields; IMAP's
// ENVELOPE (mime-structure.ts buildEnvelope) reads them the same way, so the
// webmail and mail apps show one sender. Submission refuses such messages.
function readHeaders(headers: Headers, out: ParsedMessage): void {
  const subject = headers.get("subject");
  out.subject = typeof subject === "string" ? subject.replace(/[\r\n]+/g, " ").trim() : "";
  out.from = addressList(headers.get("from"))[0] ?? null;
  out.to = addressList(headers.get("to"));
  out.cc = addressList(headers.get("cc"));
  const date = headers.get("date");
  out.date = date instanceof Date && !Number.isNaN(date.getTime()) ? date : null;
  out.messageId = messageIds(headers.get("message-id"))[0] ?? null;
  out.inReplyTo = messageIds(headers.get("in-reply-to"))[0] ?? null;
  out.references = messageIds(headers.get("references"));
}

function addressList(value: unknown): ParsedAddress[] {
  const objects = (Array.isArray(value) ? value : [value]).filter(
    (v): v is AddressObject => typeof v === "object" && v !== null && "value" in v,
  );
  const out: ParsedAddress[] = [];
  const visit = (addresses: EmailAddress[]) => {
    for (const a of addresses) {
      // RFC 5322 §3.4 groups ("team: a@x, b@y;") are flattened.
      if (a.group) visit(a.group);
      else if (a.address || a.name)
        out.push({ name: a.name ?? "", address: (a.address ?? "").toLowerCase() });
    }
  };
  for (const object of objects) visit(object.value);
  return out;
}

function messageIds(value: unknown): string[] {
  const text = Array.isArray(value) ? value.join(" ") : typeof value === "string" ? value : "";
  return text.match(MSG_ID) ?? [];
}

// The text a reader sees: link texts without their targets, no images (nor
// their URLs or alt texts, which previews leave out too), headings as
// written rather than upper-cased, no rules of dashes, list items without "*".
const READABLE_TEXT: HtmlToTextOptions = {
  wordwrap: false,
  selectors: [
    { selector: "a", options: { ignoreHref: true } },
    { selector: "img", format: "skip" },
    { selector: "hr", format: "skip" },
    { selector: "ul", options: { itemPrefix: " " } },
    ...["h1", "h2", "h3", "h4", "h5", "h6"].map((selector) => ({
      selector,
      options: { uppercase: false },
    })),
  ],
};

/** The readable text of an HTML body (of its first MAX_HTML_TO_TEXT_CHARS). */
function renderHtmlAsText(html: string): string {
  try {
    return htmlToText(html.slice(0, MAX_HTML_TO_TEXT_CHARS), READABLE_TEXT).trim();
  } catch {
    return "";
  }
}

// Invisible characters newsletters pad their preview text with (zero-width
// spaces and joiners, soft hyphens, the combining grapheme joiner, BOMs).
const INVISIBLE = /[\u00ad\u034f\u200b-\u200f\u2060\ufeff]/g;

/** The first SNIPPET_LENGTH characters of the text, whitespace collapsed. */
export function makeSnippet(text: string): string {
  // Only the start of a long body is looked at: collapsing megabytes for 200 characters is waste.
  const collapsed = text
    .slice(0, SNIPPET_LENGTH * 8)
    .replace(INVISIBLE, "")
    .replace(/\s+/g, " ")
    .trim();
  return collapsed.length > SNIPPET_LENGTH
    ? collapsed.slice(0, SNIPPET_LENGTH - 1).trimEnd() + "…"
    : collapsed;
}
