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
