// Header-block work on raw message bytes, without decoding the message:
// where the header ends, which fields it holds, and how trace fields are
// added on top. Bytes are handled as latin1 so any octet survives a round
// trip (RFC 6532 lets header values carry UTF-8; we never re-encode them).

export type HeaderField = { name: string; value: string };

const CR = 0x0d;
const LF = 0x0a;

/**
 * Offset just past the empty line that ends the header block (RFC 5322 §2.1),
 * or -1 when `data` holds no empty line. Bare LF line ends are accepted too:
 * they are not allowed on the wire (RFC 5321 §2.3.8) but real mail has them.
 * A message that starts with an empty line has an empty header block (0+eol).
 */
export function findHeaderEnd(data: Uint8Array): number {
  if (data[0] === LF) return 1;
  if (data[0] === CR && data[1] === LF) return 2;
  for (let i = data.indexOf(LF); i !== -1 && i + 1 < data.length; i = data.indexOf(LF, i + 1)) {
    const next = data[i + 1];
    if (next === LF) return i + 2;
    if (next === CR && data[i + 2] === LF) return i + 3;
  }
  return -1;
}

/**
 * The fields of a header block, in order, names lower-cased and values
 * unfolded (RFC 5322 §2.2.3: CRLF followed by WSP is a fold). Lines that are
 * not fields (no colon, RFC 5322 §3.6.8 grammar) are skipped, not fatal.
 */
export function parseHeaderFields(block: Uint8Array): HeaderField[] {
  const text = Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString("latin1");
  const fields: HeaderField[] = [];
  let current: HeaderField | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (line === "") break;
    if ((line[0] === " " || line[0] === "\t") && current) {
      current.value += line;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) {
      current = null;
      continue;
    }
    current = {
      name: line.slice(0, colon).trim().toLowerCase(),
      value: line.slice(colon + 1).trim(),
    };
    fields.push(current);
  }
  return fields;
}

/**
 * A header field together with the bytes it was written as: the name, the
 * colon, the value and its folds (CRLF followed by WSP), without the CRLF
 * that ends it, as a latin1 string (any octet survives). A DKIM signer
 * signs exactly these bytes, so a check that reads `name` and `value` and
 * the signature that covers `raw` speak of the same field.
 */
export type RawHeaderField = HeaderField & { raw: string };

/** A message split once into its header fields and its body. */
export type HeaderBlock = { fields: RawHeaderField[]; body: Buffer };

export type StrictHeaderResult = { ok: true; block: HeaderBlock } | { ok: false; problem: string };

/** RFC 5322 §2.1.1: a line is at most 998 characters, CRLF not counted. */
export const MAX_HEADER_LINE_CHARS = 998;
// RFC 5322 §3.6.8: field-name = 1*ftext, printable US-ASCII except ":".
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;
// A CR not followed by LF, or an LF not preceded by CR (RFC 5322 §2.3: CR and
// LF only ever occur together, as CRLF).
const BARE_CR_OR_LF = /\r(?!\n)|(?<!\r)\n/;

/**
 * The header section of a message we are about to originate (submission),
 * parsed by the rules of RFC 5322 with nothing left to interpretation: the
 * section ends at the first CRLF CRLF, and it is refused when another
 * program could read it differently: a bare CR or LF (one reader ends the
 * line there, another does not), NUL, a line that is not a field or a fold,
 * a fold of white space only (§3.2.2), the obsolete white space before the
 * colon (§4.5.8) or a line longer than 998 characters (§2.1.1; a relay that
 * wraps it could start a new field). The problem is said in words.
 */
export function parseStrictHeaderBlock(raw: Buffer): StrictHeaderResult {
  const text = raw.toString("latin1");
  let headEnd: number;
  let bodyStart: number;
  if (text.startsWith("\r\n")) {
    [headEnd, bodyStart] = [0, 2];
  } else {
    const blank = text.indexOf("\r\n\r\n");
    // RFC 5322 §3.5: the body is optional; then the whole message is header.
    [headEnd, bodyStart] = blank === -1 ? [text.length, text.length] : [blank + 2, blank + 4];
  }
  const head = text.slice(0, headEnd);
  const fail = (problem: string): StrictHeaderResult => ({ ok: false, problem });
  const lineOf = (offset: number) => head.slice(0, offset).split("\r\n").length;

  const bare = BARE_CR_OR_LF.exec(head);
  if (bare) {
    const what = bare[0] === "\r" ? "a carriage return (CR)" : "a line feed (LF)";
    return fail(
      `Line ${lineOf(bare.index)} of the header has ${what} without its pair: header lines must end with CRLF.`,
    );
  }
  const nul = head.indexOf("\0");
  if (nul !== -1) return fail(`Line ${lineOf(nul)} of the header holds a NUL character.`);

  const lines = head.split("\r\n");
  if (lines.at(-1) === "") lines.pop();
  const fields: RawHeaderField[] = [];
  let current: RawHeaderField | null = null;
  for (const [index, line] of lines.entries()) {
    const number = index + 1;
    if (line.length > MAX_HEADER_LINE_CHARS) {
      return fail(
        `Line ${number} of the header is longer than ${MAX_HEADER_LINE_CHARS} characters.`,
      );
    }
    if (line[0] === " " || line[0] === "\t") {
      if (!current) return fail("The header starts with a continuation line.");
      if (/^[ \t]*$/.test(line)) return fail(`Line ${number} of the header is only white space.`);
      current.raw += `\r\n${line}`;
      current.value += line;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0 || !FIELD_NAME.test(line.slice(0, colon))) {
      return fail(`Line ${number} of the header is not a header field ("Name: value").`);
    }
    current = { name: line.slice(0, colon).toLowerCase(), value: line.slice(colon + 1), raw: line };
    fields.push(current);
  }
  for (const field of fields) field.value = field.value.trim();
  return { ok: true, block: { fields, body: raw.subarray(bodyStart) } };
}

/** A new field for a header block; `value` may hold folds ("\r\n\t"). */
export function rawHeaderField(name: string, value: string): RawHeaderField {
  const raw = Buffer.from(`${name}: ${value}`, "utf8").toString("latin1");
  return {
    name: name.toLowerCase(),
    value: raw
      .slice(name.length + 1)
      .replace(/\r\n/g, "")
      .trim(),
    raw,
  };
}

/** The message a header block stands for: its fields (CRLF after each), the empty line, the body. */
export function formatHeaderBlock(block: HeaderBlock): Buffer {
  const head = block.fields.map((f) => `${f.raw}\r\n`).join("");
  return Buffer.concat([Buffer.from(`${head}\r\n`, "latin1"), block.body]);
}

/** How many fields named `name` (case-insensitive) the list holds. */
export function countHeaderFields(fields: HeaderField[], name: string): number {
  const wanted = name.toLowerCase();
  let count = 0;
  for (const field of fields) if (field.name === wanted) count++;
  return count;
}

/** The first value of field `name`, or undefined. */
export function headerValue(fields: HeaderField[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  return fields.find((f) => f.name === wanted)?.value;
}

/**
 * Header lines to put in front of a message, in the given order (the first
 * ends up on top). RFC 5321 §4.4 and RFC 5322 §3.6.7: trace fields are
 * prepended, never inserted below existing ones. Values may already contain
 * folds ("\r\n\t"); lines end with CRLF whatever the message uses.
 */
export function formatHeaderLines(fields: HeaderField[]): Buffer {
  return Buffer.from(fields.map((f) => `${f.name}: ${f.value}\r\n`).join(""), "utf8");
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** RFC 5322 §3.3 date-time in UTC: "Sun, 22 Nov 2026 16:31:02 +0000". */
export function formatRfc5322Date(date: Date): string {
  return (
    `${DAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
