// What a reader would take for an email address in a header's text: the
// display-name trick ("admin@mail.test" <me@mail.test>, where most mail
// apps show only the name) and its disguises. The text is read the way a
// mail app would show it: RFC 2047 encoded words decoded (also inside
// quotes, as Thunderbird and Outlook do), quoted-pairs unescaped, Unicode
// compatibility forms folded (NFKC: fullwidth ＠ and letters, small ﹫),
// invisible characters dropped, ideographic full stops read as dots. Pure.
import libmime from "libmime";

// Zero-width, joiner, bidi-control, soft hyphen, filler and variation
// characters: shown as nothing, so "adm\u200bin@mail.test" reads as an address.
const INVISIBLE =
  /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]/g;
// IDNA (RFC 3490 §3.1) reads these as label dots; NFKC leaves U+3002 alone.
const DOTS = /[\u3002\uff0e\uff61]/g;
// local@domain.tld with the characters RFC 5322 uses as delimiters left out;
// white space around the "@" is allowed ("admin @ mail.test" reads as one).
const ADDRESS_LIKE =
  /([^\s<>()[\]\\,;:"@]+)\s*@\s*((?:[^\s<>()[\]\\,;:"@.]+\.)+[^\s<>()[\]\\,;:"@.]+)/g;

/** Header text as a reader sees it (see the file comment). */
export function readableText(text: string): string {
  let decoded = text;
  try {
    decoded = libmime.decodeWords(text);
  } catch {
    // An encoded word libmime cannot read is shown raw by mail apps too.
  }
  return decoded
    .replace(/\\(.)/g, "$1")
    .normalize("NFKC")
    .replace(INVISIBLE, "")
    .replace(DOTS, ".");
}

/** Every address a reader would see in `text`, lower-cased, in order, each once. */
export function addressesNamedIn(text: string): string[] {
  const found = new Set<string>();
  for (const match of readableText(text).matchAll(ADDRESS_LIKE)) {
    found.add(`${match[1]}@${match[2]}`.toLowerCase());
  }
  return [...found];
}

/**
 * A header value as text: values are kept as latin1 strings of their bytes
 * (lib/mime/headers.ts), and RFC 6532 lets them carry UTF-8.
 */
export function headerValueText(value: string): string {
  const bytes = Buffer.from(value, "latin1");
  const utf8 = bytes.toString("utf8");
  return Buffer.from(utf8, "utf8").equals(bytes) ? utf8 : value;
}
