// Address lists as people paste and type them: "a@x, b@y", Outlook's
// "A <a@x>; B <b@y>", one address a line, or just spaces between them, with
// RFC 5322 §3.4 display names, quoted names ("Doe, Jane" <j@x>, where the
// comma is not a separator), comments and groups. This module only finds the
// pieces; each piece's address is read by nodemailer's addressparser, and
// whether an address is acceptable is the caller's rule. Pure: no I/O, no
// Node built-ins, so the webmail's composer runs it in the browser too.
import addressparser from "nodemailer/lib/addressparser/index.js";

export type ListedAddress = {
  /** The display name, unquoted; "" when there is none. */
  name: string;
  /** The addr-spec as written; "" when the piece holds none. */
  address: string;
  /** The piece as written (trimmed), to show when it is not an address. */
  text: string;
};

type Unit = { kind: "quoted" | "angle" | "comment" | "word"; start: number; end: number };

// RFC 5322 separates addresses with commas; people (and Outlook) use
// semicolons and line breaks too. Whitespace between complete addresses
// separates them as well (see piecesOf).
const SEPARATOR = new Set([",", ";", "\n", "\r"]);
const WORD_END = new Set([" ", "\t", '"', "<", "(", ...SEPARATOR]);

/** The end (exclusive) of a quoted string, an angle address or a comment that starts at `start`. */
function closingIndex(text: string, start: number): number {
  const open = text[start]!;
  const close = open === '"' ? '"' : open === "<" ? ">" : ")";
  let depth = 0;
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!;
    // RFC 5322 §3.2.1 quoted-pair, in quoted strings and comments.
    if (c === "\\" && open !== "<") i++;
    else if (open === "(" && c === "(") depth++;
    else if (c === close && depth-- === 0) return i + 1;
  }
  return text.length;
}

/** The units of one separator-free segment, and where each segment ends. */
function scan(text: string): { units: Unit[]; separators: { at: number; char: string }[] } {
  const units: Unit[] = [];
  const separators: { at: number; char: string }[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t") {
      i++;
    } else if (SEPARATOR.has(c)) {
      separators.push({ at: units.length, char: c });
      i++;
    } else if (c === '"' || c === "<" || c === "(") {
      const end = closingIndex(text, i);
      units.push({ kind: c === '"' ? "quoted" : c === "<" ? "angle" : "comment", start: i, end });
      i = end;
    } else {
      let end = i + 1;
      while (end < text.length && !WORD_END.has(text[end]!)) end++;
      units.push({ kind: "word", start: i, end });
      i = end;
    }
  }
  return { units, separators };
}

/**
 * Groups a segment's units into addresses. An address is complete at an
 * angle address, or at a bare word with an "@" that no angle address follows
 * (then the word was part of the name); comments after it belong to it.
 * So "Ann <a@x> Bob <b@y>" and "a@x b@y" are two addresses each, while
 * "Jane Doe jane@x" is one.
 */
function piecesOf(units: Unit[], text: string): Unit[][] {
  const pieces: Unit[][] = [];
  let current: Unit[] = [];
  let complete = false;
  units.forEach((unit, i) => {
    if (complete && unit.kind !== "comment") {
      pieces.push(current);
      current = [];
      complete = false;
    }
    current.push(unit);
    const next = units[i + 1];
    if (unit.kind === "angle") complete = true;
    else if (unit.kind === "word" && text.slice(unit.start, unit.end).includes("@")) {
      complete = next?.kind !== "angle";
    }
  });
  if (current.length > 0) pieces.push(current);
  return pieces;
}

function readPiece(text: string): ListedAddress[] {
  // flatten: a group ("team: a@x, b@y;") stands for its members.
  const found = addressparser(text, { flatten: true });
  if (found.length === 0) return [{ name: "", address: "", text }];
  return found.map((a) => ({
    name: (a.name ?? "").replace(/\s+/g, " ").trim(),
    address: (a.address ?? "").trim(),
    text,
  }));
}

function listOf(text: string, units: Unit[]): ListedAddress[] {
  return piecesOf(units, text).flatMap((piece) =>
    readPiece(text.slice(piece[0]!.start, piece[piece.length - 1]!.end).trim()),
  );
}

// "Doe, Jane <j@x>", as Outlook writes names: a piece of bare words, a comma,
// then a named angle address is one address whose name holds the comma.
const NAME_WORDS = /^[^@"<>()]+$/;
function isNameStart(piece: ListedAddress, next: ListedAddress | undefined): boolean {
  return (
    piece.address === "" &&
    NAME_WORDS.test(piece.text) &&
    next !== undefined &&
    next.address !== "" &&
    next.name !== "" &&
    /^[^"<]+<[^<>]*>$/.test(next.text)
  );
}

/** Every address in `text`, in order; a piece that is not an address comes back with address "". */
export function parseAddressList(text: string): ListedAddress[] {
  const { units, separators } = scan(text);
  const segments: { list: ListedAddress[]; comma: boolean }[] = [];
  let from = 0;
  for (const { at, char } of [...separators, { at: units.length, char: "" }]) {
    segments.push({ list: listOf(text, units.slice(from, at)), comma: char === "," });
    from = at;
  }
  const out: ListedAddress[] = [];
  segments.forEach(({ list, comma }, i) => {
    const next = segments[i + 1]?.list;
    if (comma && list.length === 1 && next && isNameStart(list[0]!, next[0])) {
      const head = next[0]!;
      next[0] = {
        ...head,
        name: `${list[0]!.text}, ${head.name}`,
        text: `${list[0]!.text}, ${head.text}`,
      };
      return;
    }
    out.push(...list);
  });
  return out;
}

/**
 * Text being typed into an address field: the addresses before its last
 * separator (a comma or semicolon outside quotes and angle brackets, or a
 * line break), and the unfinished rest after it. `"Doe, Jane` has no
 * separator yet: the comma is inside the quotes.
 */
export function splitTypedAddresses(text: string): { done: ListedAddress[]; rest: string } {
  let last = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "<" || c === "(") i = closingIndex(text, i) - 1;
    else if (SEPARATOR.has(c)) last = i;
  }
  if (last === -1) return { done: [], rest: text };
  return { done: parseAddressList(text.slice(0, last)), rest: text.slice(last + 1).trimStart() };
}
