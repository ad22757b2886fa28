// Encoding of response data (RFC 3501 §4, §9): values are atoms, numbers,
// NIL, quoted strings or literals, and parenthesised lists of them. Strings
// that a quoted string cannot carry (line breaks, 8-bit octets, long ones)
// go out as literals, so any byte sequence is sent exactly.
export type ImapValue =
  | null
  | number
  | bigint
  | string
  | Buffer
  | { atom: string }
  | { literal: Buffer }
  /** A value encoded before (encodeValueBytes), sent as it is. */
  | { encoded: Buffer }
  | ImapValue[];

export const atom = (text: string): { atom: string } => ({ atom: text });

const QUOTABLE = /^[\x20-\x7e]*$/;

/** Writes a value as bytes (strings are latin1: one char per octet). */
export function encodeValue(value: ImapValue, out: Buffer[]): void {
  if (value === null) out.push(NIL);
  else if (typeof value === "number" || typeof value === "bigint")
    out.push(Buffer.from(String(value)));
  else if (typeof value === "string") encodeString(Buffer.from(value, "latin1"), value, out);
  else if (Buffer.isBuffer(value)) encodeString(value, null, out);
  else if (Array.isArray(value)) {
    out.push(OPEN);
    value.forEach((item, i) => {
      if (i > 0) out.push(SPACE);
      encodeValue(item, out);
    });
    out.push(CLOSE);
  } else if ("atom" in value) out.push(Buffer.from(value.atom, "latin1"));
  else if ("encoded" in value) out.push(value.encoded);
  else literal(value.literal, out);
}

/** One value's bytes, to be kept and sent again as `{ encoded }`. */
export function encodeValueBytes(value: ImapValue): Buffer {
  const out: Buffer[] = [];
  encodeValue(value, out);
  return Buffer.concat(out);
}

const NIL = Buffer.from("NIL");
const OPEN = Buffer.from("(");
const CLOSE = Buffer.from(")");
const SPACE = Buffer.from(" ");

function encodeString(bytes: Buffer, text: string | null, out: Buffer[]): void {
  const s = text ?? bytes.toString("latin1");
  if (bytes.length <= 1024 && QUOTABLE.test(s)) {
    out.push(Buffer.from(`"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`, "latin1"));
  } else {
    literal(bytes, out);
  }
}

function literal(bytes: Buffer, out: Buffer[]): void {
  out.push(Buffer.from(`{${bytes.length}}\r\n`), bytes);
}

/** A whole response line: "* " + values joined by spaces + CRLF. */
export function encodeLine(prefix: string, values: ImapValue[]): Buffer {
  const out: Buffer[] = [Buffer.from(prefix, "latin1")];
  for (const value of values) {
    out.push(SPACE);
    encodeValue(value, out);
  }
  out.push(Buffer.from("\r\n"));
  return Buffer.concat(out);
}

/** The UTF-8 text of a string in the latin1 form the encoder writes octet by octet. */
export function utf8AsLatin1(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** INTERNALDATE: "22-Nov-2026 10:00:00 +0000" (RFC 3501 §9 date-time), in UTC. */
export function formatInternalDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${pad(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** A sequence set for responses (COPYUID, APPENDUID): "1:3,7". */
export function formatSet(numbers: number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < numbers.length) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    parts.push(j === i ? String(numbers[i]) : `${numbers[i]}:${numbers[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}
