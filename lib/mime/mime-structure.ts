// The MIME tree of a raw message as byte offsets (RFC 2045, RFC 2046): what
// IMAP FETCH needs to serve BODYSTRUCTURE, ENVELOPE and BODY[<section>]
// straight from the stored bytes. Nothing is decoded or re-encoded: header
// values stay as they are on the wire (encoded words included, RFC 3501
// §7.4.2 leaves decoding to the client), bytes are handled as latin1 so every
// octet survives. Malformed MIME is read as well as it can be, never thrown.
import addressparser from "nodemailer/lib/addressparser/index.js";
import { parseHeaderFields, type HeaderField } from "./headers.ts";

/** Nesting deeper than this is read as an opaque leaf (a crafted message could nest thousands). */
export const MAX_MIME_DEPTH = 40;
/** Parts read per message at most; the rest of a huge multipart stays inside its last part. */
export const MAX_MIME_PARTS = 5000;

export type ContentParams = [name: string, value: string][];

export type MimePart = {
  /** Offsets into the message: header block [headerStart, bodyStart), body [bodyStart, end). */
  headerStart: number;
  bodyStart: number;
  end: number;
  fields: HeaderField[];
  type: string;
  subtype: string;
  params: ContentParams;
  id: string | null;
  description: string | null;
  /** Content-Transfer-Encoding as written (default "7BIT"). */
  encoding: string;
  md5: string | null;
  disposition: { type: string; params: ContentParams } | null;
  language: string[] | null;
  location: string | null;
  /** LF count of the body (text/* and message/rfc822 report it). */
  lines: number;
  /** Sub-parts of a multipart. */
  children: MimePart[];
  /** The enclosed message of a message/rfc822 part. */
  message: MimePart | null;
};

export type EnvelopeAddress =
  | {
      kind: "address";
      name: string | null;
      /** An obsolete source route ("@a,@b"), RFC 5322 §4.4 obs-route. */
      route?: string;
      mailbox: string | null;
      host: string | null;
    }
  | { kind: "group-start"; name: string }
  | { kind: "group-end" };

/** RFC 3501 §7.4.2 ENVELOPE fields, raw header values (unfolded). */
export type Envelope = {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[];
  sender: EnvelopeAddress[];
  replyTo: EnvelopeAddress[];
  to: EnvelopeAddress[];
  cc: EnvelopeAddress[];
  bcc: EnvelopeAddress[];
  inReplyTo: string | null;
  messageId: string | null;
};

/** Parses the whole message (latin1 text of its bytes). */
export function parseMimeStructure(raw: Buffer): MimePart {
  const text = raw.toString("latin1");
  const budget = { parts: 0 };
  return parsePart(text, 0, text.length, 0, "text/plain", budget);
}

function headerEndOf(text: string, start: number, end: number): { bodyStart: number } {
  // A part that starts with an empty line has no header fields.
  if (text.startsWith("\r\n", start)) return { bodyStart: start + 2 };
  if (text[start] === "\n") return { bodyStart: start + 1 };
  let i = text.indexOf("\n", start);
  while (i !== -1 && i + 1 < end) {
    if (text[i + 1] === "\n") return { bodyStart: i + 2 };
    if (text[i + 1] === "\r" && text[i + 2] === "\n" && i + 2 < end) return { bodyStart: i + 3 };
    i = text.indexOf("\n", i + 1);
  }
  // No empty line: the whole part is header (RFC 5322 allows no body).
  return { bodyStart: end };
}

function parsePart(
  text: string,
  start: number,
  end: number,
  depth: number,
  defaultType: string,
  budget: { parts: number },
): MimePart {
  budget.parts++;
  const { bodyStart } = headerEndOf(text, start, end);
  const fields = parseHeaderFields(Buffer.from(text.slice(start, bodyStart), "latin1"));
  const field = (name: string) => fields.find((f) => f.name === name)?.value ?? null;
  const contentType = parseParameterized(field("content-type") ?? "");
  let [type, subtype] = contentType.value.toLowerCase().split("/", 2) as [string, string?];
  if (!type || !subtype || !/^[!#$&^_.+\-0-9a-z]+$/.test(type + subtype)) {
    [type, subtype] = defaultType.split("/", 2) as [string, string];
    // RFC 2045 §5.2: a missing or unreadable Content-Type is text/plain; charset=us-ascii.
    if (type === "text" && contentType.params.length === 0)
      contentType.params = [["charset", "us-ascii"]];
  }
  const disposition = field("content-disposition");
  const language = field("content-language");
  const part: MimePart = {
    headerStart: start,
    bodyStart,
    end,
    fields,
    type,
    subtype,
    params: contentType.params,
    id: field("content-id"),
    description: field("content-description"),
    encoding: (field("content-transfer-encoding") ?? "7BIT").trim() || "7BIT",
    md5: field("content-md5"),
    disposition: disposition
      ? (({ value, params }) => ({ type: value, params }))(parseParameterized(disposition))
      : null,
    language: language
      ? language
          .split(",")
          .map((l) => l.trim())
          .filter(Boolean)
      : null,
    location: field("content-location"),
    lines: countLines(text, bodyStart, end),
    children: [],
    message: null,
  };
  if (depth >= MAX_MIME_DEPTH || budget.parts >= MAX_MIME_PARTS) return part;
  if (type === "multipart") {
    const boundary = part.params.find(([n]) => n === "boundary")?.[1];
    if (boundary) {
      const childDefault = subtype === "digest" ? "message/rfc822" : "text/plain";
      for (const [s, e] of splitMultipart(text, bodyStart, end, boundary)) {
        if (budget.parts >= MAX_MIME_PARTS) break;
        part.children.push(parsePart(text, s, e, depth + 1, childDefault, budget));
      }
    }
  } else if (type === "message" && (subtype === "rfc822" || subtype === "global")) {
    part.message = parsePart(text, bodyStart, end, depth + 1, "text/plain", budget);
  }
  return part;
}

function countLines(text: string, start: number, end: number): number {
  let lines = 0;
  for (let i = text.indexOf("\n", start); i !== -1 && i < end; i = text.indexOf("\n", i + 1))
    lines++;
  return lines;
}

/**
 * The [start, end) ranges of a multipart body's parts (RFC 2046 §5.1.1): each
 * starts after a delimiter line and ends before the line break that precedes
 * the next delimiter. A missing close delimiter ends the last part at the end.
 */
export function splitMultipart(
  text: string,
  start: number,
  end: number,
  boundary: string,
): [number, number][] {
  const delimiter = `--${boundary}`;
  const ranges: [number, number][] = [];
  let partStart = -1;
  let at = text.indexOf(delimiter, start);
  while (at !== -1 && at + delimiter.length <= end) {
    const lineStart = at === start || text[at - 1] === "\n";
    const after = at + delimiter.length;
    const next = text[after];
    const closing = next === "-" && text[after + 1] === "-";
    const plain =
      after >= end || next === "\r" || next === "\n" || next === " " || next === "\t" || closing;
    if (lineStart && plain) {
      if (partStart !== -1) {
        let partEnd = at;
        if (partEnd > partStart && text[partEnd - 1] === "\n") partEnd--;
        if (partEnd > partStart && text[partEnd - 1] === "\r") partEnd--;
        ranges.push([partStart, Math.max(partStart, partEnd)]);
      }
      if (closing) return ranges;
      const lineEnd = text.indexOf("\n", after);
      partStart = lineEnd === -1 || lineEnd >= end ? end : lineEnd + 1;
    }
    at = text.indexOf(delimiter, at + delimiter.length);
  }
  if (partStart !== -1) ranges.push([partStart, end]);
  return ranges;
}

/**
 * A structured header value "value; a=b; c=\"d\"" (RFC 2045 §5.1): the value
 * and its parameters, names lower-cased, quotes and comments removed.
 * RFC 2231 parameters are kept under their own names ("filename*0*").
 */
export function parseParameterized(input: string): { value: string; params: ContentParams } {
  const tokens = splitParameters(input);
  const value = (tokens.shift() ?? "").trim();
  const params: ContentParams = [];
  for (const token of tokens) {
    const eq = token.indexOf("=");
    if (eq <= 0) continue;
    const name = token.slice(0, eq).trim().toLowerCase();
    let paramValue = token.slice(eq + 1).trim();
    if (paramValue.startsWith('"')) {
      paramValue = paramValue
        .slice(1, paramValue.endsWith('"') && paramValue.length > 1 ? -1 : undefined)
        .replace(/\\(.)/g, "$1");
    }
    if (name && !params.some(([n]) => n === name)) params.push([name, paramValue]);
  }
  return { value, params };
}

function splitParameters(input: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  let comment = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      current += c;
      if (c === "\\" && i + 1 < input.length) current += input[++i];
      else if (c === '"') quoted = false;
    } else if (comment > 0) {
      if (c === "(") comment++;
      else if (c === ")") comment--;
    } else if (c === '"') {
      quoted = true;
      current += c;
    } else if (c === "(") {
      comment = 1;
    } else if (c === ";") {
      out.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  out.push(current);
  return out;
}

/**
 * The ENVELOPE of a message (or of an enclosed message/rfc822). A field
 * RFC 5322 §3.6 allows once but the message repeats is read as the webmail
 * reads it (lib/mime/parse-message.ts, mailparser): the last copy, the one a
 * DKIM signature covers (RFC 6376 §5.4.2 signs bottom-up, forgers prepend);
 * repeated To, Cc and Bcc fields are joined.
 */
export function buildEnvelope(fields: HeaderField[]): Envelope {
  const values = (name: string) =>
    fields.filter((f) => f.name === name).map((f) => f.value.replace(/\r?\n/g, "").trim());
  const field = (name: string) => values(name).at(-1) ?? null;
  const list = (name: string) => values(name).flatMap((v) => parseAddressList(v));
  const from = parseAddressList(field("from"));
  const sender = parseAddressList(field("sender"));
  const replyTo = parseAddressList(field("reply-to"));
  return {
    date: field("date"),
    subject: field("subject"),
    from,
    // RFC 3501 §7.4.2: Sender and Reply-To default to From.
    sender: sender.length > 0 ? sender : from,
    replyTo: replyTo.length > 0 ? replyTo : from,
    to: list("to"),
    cc: list("cc"),
    bcc: list("bcc"),
    inReplyTo: field("in-reply-to"),
    messageId: field("message-id"),
  };
}

function parseAddressList(value: string | null): EnvelopeAddress[] {
  if (!value) return [];
  let parsed: ReturnType<typeof addressparser>;
  try {
    parsed = addressparser(value);
  } catch {
    return [];
  }
  const out: EnvelopeAddress[] = [];
  for (const entry of parsed) {
    if ("group" in entry && Array.isArray(entry.group)) {
      out.push({ kind: "group-start", name: entry.name || "" });
      // A comment alone ("group: (foo) ;") is no member (RFC 5322 §3.4).
      for (const member of entry.group)
        if (member.address) out.push(address(member.name, member.address));
      out.push({ kind: "group-end" });
    } else if ("address" in entry) {
      if (!entry.address && !entry.name) continue;
      out.push(address(entry.name, entry.address));
    }
  }
  return out;
}

function address(name: string, addrWithRoute: string): EnvelopeAddress {
  const route = /^(@[^:]*):(.*)$/.exec(addrWithRoute);
  const addr = route ? route[2]! : addrWithRoute;
  const at = addr.lastIndexOf("@");
  return {
    kind: "address",
    name: name || null,
    ...(route ? { route: route[1]! } : {}),
    mailbox: at === -1 ? addr || null : addr.slice(0, at),
    host: at === -1 ? null : addr.slice(at + 1),
  };
}

/**
 * The part a section's part number names (RFC 3501 §6.4.5): "1.2" is the
 * second child of the first; a non-multipart message has only part 1 (its
 * body); the parts of an enclosed message/rfc822 continue its numbering.
 * Null when there is no such part.
 */
export function findPart(root: MimePart, path: number[]): MimePart | null {
  let current = root;
  let top = true;
  for (const index of path) {
    const container = !top && current.message ? current.message : current;
    top = false;
    if (container.type === "multipart") {
      const child = container.children[index - 1];
      if (!child) return null;
      current = child;
    } else if (index === 1) {
      // Part 1 of a non-multipart message is its body.
      current = container;
    } else {
      return null;
    }
  }
  return current;
}
