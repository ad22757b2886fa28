// The IMAP command grammar (RFC 3501 §9, plus RFC 7888 LITERAL+, RFC 4315
// UIDPLUS, RFC 6851 MOVE, RFC 7162 CONDSTORE, RFC 2971 ID, RFC 5161 ENABLE):
// a complete command (its line and literals, as reader.ts assembled it)
// becomes a typed Command. Pure: no I/O, no store. Anything that does not
// follow the grammar throws ParseError with a reason for the BAD reply.
import type { ImapSearchKey } from "../../lib/search/imap-search.ts";
import { MAX_NESTING, MAX_SEQUENCE_RANGES } from "./limits.ts";
import { decodeMailboxName } from "./mutf7.ts";
import { ParseError } from "./parse-error.ts";

export { ParseError };

// RFC 3501 §9 / RFC 9051 §9: quoted strings are CHARs (%x01-7F) and literals
// CHAR8s (%x01-FF): NUL appears nowhere in a command but inside the message
// of an APPEND, which is stored as bytes (RFC 3516's literal8 allows it too).
// Anything else with a NUL is BAD here, before it could reach the store.
const NUL_IN_COMMAND = "NUL is not allowed in a command";

/** "*" in a sequence set: the largest number in use, resolved by the session. */
export const STAR = Number.POSITIVE_INFINITY;

export type SequenceSet = [number, number][];

export type SectionText = "HEADER" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT" | "TEXT" | "MIME" | null;

export type Section = { path: number[]; text: SectionText; fields: string[] };

export type FetchItem =
  | { kind: "FLAGS" | "UID" | "INTERNALDATE" | "RFC822.SIZE" | "ENVELOPE" | "BODYSTRUCTURE" }
  | { kind: "BODY" | "MODSEQ" | "RFC822" | "RFC822.HEADER" | "RFC822.TEXT" }
  | {
      kind: "SECTION";
      peek: boolean;
      section: Section;
      partial: { start: number; length: number } | null;
    };

export type StatusItem =
  "MESSAGES" | "RECENT" | "UIDNEXT" | "UIDVALIDITY" | "UNSEEN" | "HIGHESTMODSEQ" | "SIZE";

/** RFC 5256 §3 sort-key, with REVERSE folded in. */
export type SortCriterion = {
  key: "ARRIVAL" | "CC" | "DATE" | "FROM" | "SIZE" | "SUBJECT" | "TO" | "DISPLAYFROM" | "DISPLAYTO";
  reverse: boolean;
};

export type StoreAction = { mode: "set" | "add" | "remove"; silent: boolean; flags: string[] };

/** Search keys as parsed: sequence numbers still to be turned into uids. */
export type ParsedSearchKey =
  | Exclude<ImapSearchKey, { op: "not" } | { op: "or" } | { op: "and" }>
  | { op: "seq"; set: SequenceSet }
  | { op: "uidset"; set: SequenceSet }
  | { op: "recent" }
  | { op: "not"; key: ParsedSearchKey }
  | { op: "or"; left: ParsedSearchKey; right: ParsedSearchKey }
  | { op: "and"; keys: ParsedSearchKey[] };

export type Command = { tag: string } & (
  | {
      name:
        | "CAPABILITY"
        | "NOOP"
        | "LOGOUT"
        | "STARTTLS"
        | "CHECK"
        | "CLOSE"
        | "UNSELECT"
        | "EXPUNGE"
        | "IDLE"
        | "NAMESPACE";
    }
  | { name: "LOGIN"; user: string; password: string }
  | { name: "AUTHENTICATE"; mechanism: string; initial: string | null }
  | { name: "SELECT" | "EXAMINE"; mailbox: string; condstore: boolean }
  | { name: "DELETE" | "SUBSCRIBE" | "UNSUBSCRIBE"; mailbox: string }
  | { name: "CREATE"; mailbox: string; use: string[] }
  | { name: "RENAME"; mailbox: string; newName: string }
  | {
      name: "LIST" | "LSUB";
      reference: string;
      patterns: string[];
      selectSubscribed: boolean;
      /** RFC 5258 §3.5 RECURSIVEMATCH: parents of selected folders get CHILDINFO. */
      recursiveMatch: boolean;
      returnSpecialUse: boolean;
      returnSubscribed: boolean;
      returnStatus: StatusItem[] | null;
    }
  | { name: "STATUS"; mailbox: string; items: StatusItem[] }
  | { name: "APPEND"; mailbox: string; flags: string[]; date: Date | null; message: Buffer }
  | { name: "SEARCH"; uid: boolean; key: ParsedSearchKey; returnOptions: string[] | null }
  | { name: "SORT"; uid: boolean; criteria: SortCriterion[]; key: ParsedSearchKey }
  | {
      name: "THREAD";
      uid: boolean;
      algorithm: "REFERENCES" | "ORDEREDSUBJECT";
      key: ParsedSearchKey;
    }
  | {
      name: "FETCH";
      uid: boolean;
      set: SequenceSet;
      items: FetchItem[];
      changedSince: bigint | null;
    }
  | {
      name: "STORE";
      uid: boolean;
      set: SequenceSet;
      action: StoreAction;
      unchangedSince: bigint | null;
    }
  | { name: "COPY" | "MOVE"; uid: boolean; set: SequenceSet; mailbox: string }
  | { name: "UID EXPUNGE"; set: SequenceSet }
  | { name: "ID"; fields: [string, string | null][] | null }
  | { name: "ENABLE"; capabilities: string[] }
);

export type CommandName = Command["name"];

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** Reads tokens off one assembled command. */
export class Tokens {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  peek(): number {
    return this.pos < this.buf.length ? this.buf[this.pos]! : -1;
  }

  char(): string {
    return this.pos < this.buf.length ? String.fromCharCode(this.buf[this.pos]!) : "";
  }

  expect(text: string, what = `"${text}"`): void {
    for (let i = 0; i < text.length; i++) {
      if (this.buf[this.pos + i] !== text.charCodeAt(i)) {
        // Where it went wrong, so parseCommand can name a NUL found there.
        this.pos += i;
        throw new ParseError(`Expected ${what}`);
      }
    }
    this.pos += text.length;
  }

  sp(): void {
    if (this.peek() !== 0x20) throw new ParseError("Expected a space");
    this.pos++;
  }

  maybe(text: string): boolean {
    for (let i = 0; i < text.length; i++) {
      if (this.buf[this.pos + i] !== text.charCodeAt(i)) return false;
    }
    this.pos += text.length;
    return true;
  }

  end(): void {
    if (!this.done) throw new ParseError(`Unexpected "${this.rest(20)}" at the end of the command`);
  }

  rest(max: number): string {
    return this.buf
      .subarray(this.pos, this.pos + max)
      .toString("latin1")
      .replace(/[^\x20-\x7e]/g, "?");
  }

  /** atom: 1*ATOM-CHAR (RFC 3501 §9), optionally also "]" (astring) or list wildcards. */
  atom(extra = "", what = "an atom"): string {
    const start = this.pos;
    while (this.pos < this.buf.length) {
      const c = this.buf[this.pos]!;
      if (c <= 0x20 || c >= 0x7f) break;
      const ch = String.fromCharCode(c);
      if ('(){%*"\\]'.includes(ch) && !extra.includes(ch)) break;
      this.pos++;
    }
    if (this.pos === start) throw new ParseError(`Expected ${what}`);
    return this.buf.subarray(start, this.pos).toString("latin1");
  }

  /** A keyword made of letters, digits, "." and "-" (FETCH items stop before "[" and "<"). */
  word(what: string): string {
    const start = this.pos;
    for (;;) {
      const c = this.peek();
      const ok =
        (c >= 0x41 && c <= 0x5a) ||
        (c >= 0x61 && c <= 0x7a) ||
        (c >= 0x30 && c <= 0x39) ||
        c === 0x2e ||
        c === 0x2d;
      if (!ok) break;
      this.pos++;
    }
    if (this.pos === start) throw new ParseError(`Expected ${what}`);
    return this.buf.subarray(start, this.pos).toString("latin1");
  }

  number(what = "a number"): number {
    const start = this.pos;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) this.pos++;
    if (this.pos === start || this.pos - start > 10) throw new ParseError(`Expected ${what}`);
    const value = Number(this.buf.subarray(start, this.pos).toString("latin1"));
    if (value > 0xffffffff) throw new ParseError(`${what} is too large`);
    return value;
  }

  bigNumber(what: string): bigint {
    const start = this.pos;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) this.pos++;
    if (this.pos === start || this.pos - start > 19) throw new ParseError(`Expected ${what}`);
    return BigInt(this.buf.subarray(start, this.pos).toString("latin1"));
  }

  nzNumber(what = "a nonzero number"): number {
    const value = this.number(what);
    if (value === 0) throw new ParseError(`Expected ${what}`);
    return value;
  }

  quoted(): Buffer {
    this.expect('"');
    const bytes: number[] = [];
    for (;;) {
      if (this.done) throw new ParseError("Unterminated quoted string");
      const c = this.buf[this.pos++]!;
      if (c === 0x22) break;
      if (c === 0x0d || c === 0x0a) throw new ParseError("Line break in a quoted string");
      if (c === 0x00) throw new ParseError(NUL_IN_COMMAND);
      if (c === 0x5c) {
        const next = this.buf[this.pos++];
        if (next !== 0x22 && next !== 0x5c)
          throw new ParseError('Only \\" and \\\\ may be escaped in a quoted string');
        bytes.push(next);
      } else {
        bytes.push(c);
      }
    }
    return Buffer.from(bytes);
  }

  /**
   * {n}CRLF or {n+}CRLF followed by n octets (reader.ts has already collected
   * them). `message`: the octets are an APPEND's message, which may hold NUL.
   */
  literal(message = false): Buffer {
    this.expect("{");
    const size = this.number("a literal size");
    this.maybe("+");
    this.expect("}\r\n", "a literal");
    if (this.pos + size > this.buf.length)
      throw new ParseError("Literal is shorter than announced");
    const data = this.buf.subarray(this.pos, this.pos + size);
    if (!message && data.includes(0x00)) throw new ParseError(NUL_IN_COMMAND);
    this.pos += size;
    return data;
  }

  string(): Buffer {
    if (this.peek() === 0x22) return this.quoted();
    if (this.peek() === 0x7b) return this.literal();
    throw new ParseError("Expected a string");
  }

  astring(what = "a string"): string {
    const c = this.peek();
    if (c === 0x22 || c === 0x7b) return this.string().toString("latin1");
    return this.atom("]", what);
  }

  nstringOrNil(): string | null {
    if (this.peek() === 0x22 || this.peek() === 0x7b) return this.string().toString("latin1");
    const value = this.atom("", "NIL or a string");
    if (value.toUpperCase() !== "NIL") throw new ParseError("Expected NIL or a string");
    return null;
  }

  /** mailbox: astring, INBOX in any case, modified UTF-7 decoded (RFC 3501 §5.1.3). */
  mailbox(): string {
    const name = this.astring("a mailbox name");
    if (name.toUpperCase() === "INBOX") return "INBOX";
    return decodeMailboxName(name);
  }

  /** list-mailbox: a pattern with % and * (RFC 3501 §6.3.8). */
  listMailbox(): string {
    const c = this.peek();
    const wire =
      c === 0x22 || c === 0x7b
        ? this.string().toString("latin1")
        : this.atom("]%*", "a mailbox pattern");
    try {
      return decodeMailboxName(wire);
    } catch (error) {
      // A pattern that is not valid modified UTF-7 matches no folder name, as
      // it stands; LIST answers OK with nothing (imaptest's atoms).
      if (error instanceof ParseError && error.status === "NO") return wire;
      throw error;
    }
  }

  flagList(): string[] {
    this.expect("(");
    const flags: string[] = [];
    while (this.peek() !== 0x29) {
      if (flags.length > 0) this.sp();
      flags.push(this.flag());
    }
    this.expect(")");
    return flags;
  }

  flag(): string {
    if (this.maybe("\\")) {
      if (this.maybe("*")) return "\\*";
      return `\\${this.atom("", "a flag")}`;
    }
    return this.atom("", "a flag");
  }

  sequenceSet(): SequenceSet {
    const ranges: SequenceSet = [];
    do {
      if (ranges.length >= MAX_SEQUENCE_RANGES) throw new ParseError("Too many ranges in a set");
      const from = this.seqNumber();
      const to = this.maybe(":") ? this.seqNumber() : from;
      ranges.push(from <= to ? [from, to] : [to, from]);
    } while (this.maybe(","));
    return ranges;
  }

  private seqNumber(): number {
    if (this.maybe("*")) return STAR;
    return this.nzNumber("a sequence number");
  }

  /** date: "1-Feb-2026" or quoted, as YYYY-MM-DD. */
  date(): string {
    const quoted = this.maybe('"');
    const text = this.atom("", "a date");
    if (quoted) this.expect('"');
    const match = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
    const month = match ? MONTHS.indexOf(match[2]!.toLowerCase()) : -1;
    if (!match || month === -1 || Number(match[1]) < 1 || Number(match[1]) > 31)
      throw new ParseError(`"${text}" is not a date like 1-Feb-2026`);
    return `${match[3]}-${String(month + 1).padStart(2, "0")}-${match[1]!.padStart(2, "0")}`;
  }

  /** date-time: "22-Nov-2026 10:00:00 +0000" (RFC 3501 §9). */
  dateTime(): Date {
    const text = this.quoted().toString("latin1");
    const match =
      /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/.exec(text);
    const month = match ? MONTHS.indexOf(match[2]!.toLowerCase()) : -1;
    if (!match || month === -1) throw new ParseError(`"${text}" is not an IMAP date-time`);
    const [, d, , y, hh, mm, ss, sign, zh, zm] = match;
    const offset = (sign === "-" ? -1 : 1) * (Number(zh) * 60 + Number(zm));
    const ms =
      Date.UTC(Number(y), month, Number(d), Number(hh), Number(mm), Number(ss)) - offset * 60_000;
    if (Number.isNaN(ms)) throw new ParseError(`"${text}" is not an IMAP date-time`);
    return new Date(ms);
  }
}

/** The tag of a command line, or null when there is none to answer to. */
export function readTag(buf: Buffer): string | null {
  const t = new Tokens(buf);
  try {
    const tag = t.atom("", "a tag");
    return tag.includes("+") ? null : tag;
  } catch {
    return null;
  }
}

/** Parses one complete command; throws ParseError (BAD) with a reason. */
export function parseCommand(buf: Buffer): Command {
  const t = new Tokens(buf);
  try {
    return parseTokens(t);
  } catch (error) {
    // A token that stopped at a NUL (an atom, a space expected) fails for
    // that reason, whatever it expected instead.
    if (error instanceof ParseError && t.peek() === 0x00) throw new ParseError(NUL_IN_COMMAND);
    throw error;
  }
}

function parseTokens(t: Tokens): Command {
  const tag = t.atom("", "a tag");
  if (tag.includes("+")) throw new ParseError("A tag cannot contain +");
  t.sp();
  let name = t.atom("", "a command").toUpperCase();
  let uid = false;
  if (name === "UID") {
    uid = true;
    t.sp();
    name = t.atom("", "a UID command").toUpperCase();
    if (!["FETCH", "STORE", "COPY", "MOVE", "SEARCH", "EXPUNGE", "SORT", "THREAD"].includes(name))
      throw new ParseError(`UID ${name} is not a command`);
  }
  const command = parseArguments(t, tag, name, uid);
  t.end();
  return command;
}

function parseArguments(t: Tokens, tag: string, name: string, uid: boolean): Command {
  switch (name) {
    case "CAPABILITY":
    case "NOOP":
    case "LOGOUT":
    case "STARTTLS":
    case "CHECK":
    case "CLOSE":
    case "UNSELECT":
    case "IDLE":
    case "NAMESPACE":
      return { tag, name };
    case "EXPUNGE":
      if (uid) {
        t.sp();
        return { tag, name: "UID EXPUNGE", set: t.sequenceSet() };
      }
      return { tag, name };
    case "LOGIN": {
      t.sp();
      const user = utf8(t.astring("a user name"));
      t.sp();
      const password = utf8(t.astring("a password"));
      return { tag, name, user, password };
    }
    case "AUTHENTICATE": {
      t.sp();
      const mechanism = t.atom("", "a mechanism").toUpperCase();
      let initial: string | null = null;
      if (t.maybe(" ")) initial = t.atom("=", "an initial response");
      return { tag, name, mechanism, initial };
    }
    case "SELECT":
    case "EXAMINE": {
      t.sp();
      const mailbox = t.mailbox();
      let condstore = false;
      if (t.maybe(" (")) {
        while (!t.maybe(")")) {
          const param = t.atom("", "a SELECT parameter").toUpperCase();
          if (param !== "CONDSTORE") throw new ParseError(`Unknown SELECT parameter ${param}`);
          condstore = true;
          t.maybe(" ");
        }
      }
      return { tag, name, mailbox, condstore };
    }
    case "CREATE": {
      t.sp();
      const mailbox = t.mailbox();
      // RFC 6154 §3 CREATE-SPECIAL-USE: CREATE name (USE (\Archive ...)).
      const use: string[] = [];
      if (t.maybe(" (")) {
        const param = t.atom("", "a CREATE parameter").toUpperCase();
        if (param !== "USE") throw new ParseError(`Unknown CREATE parameter ${param}`);
        t.sp();
        use.push(...t.flagList());
        t.expect(")");
      }
      return { tag, name, mailbox, use };
    }
    case "DELETE":
    case "SUBSCRIBE":
    case "UNSUBSCRIBE": {
      t.sp();
      return { tag, name, mailbox: t.mailbox() };
    }
    case "RENAME": {
      t.sp();
      const mailbox = t.mailbox();
      t.sp();
      return { tag, name, mailbox, newName: t.mailbox() };
    }
    case "LIST":
    case "LSUB":
      return parseList(t, tag, name);
    case "STATUS": {
      t.sp();
      const mailbox = t.mailbox();
      t.sp();
      return { tag, name, mailbox, items: statusItems(t) };
    }
    case "APPEND":
      return parseAppend(t, tag);
    case "SEARCH":
      return parseSearch(t, tag, uid);
    case "SORT":
      return parseSort(t, tag, uid);
    case "THREAD":
      return parseThread(t, tag, uid);
    case "FETCH":
      return parseFetch(t, tag, uid);
    case "STORE":
      return parseStore(t, tag, uid);
    case "COPY":
    case "MOVE": {
      t.sp();
      const set = t.sequenceSet();
      t.sp();
      return { tag, name, uid, set, mailbox: t.mailbox() };
    }
    case "ID": {
      t.sp();
      if (!t.maybe("(")) {
        t.nstringOrNil();
        return { tag, name, fields: null };
      }
      const fields: [string, string | null][] = [];
      while (!t.maybe(")")) {
        if (fields.length > 0) t.sp();
        if (fields.length >= 30) throw new ParseError("Too many ID fields");
        const key = t.string().toString("latin1");
        t.sp();
        fields.push([key, t.nstringOrNil()]);
      }
      return { tag, name, fields };
    }
    case "ENABLE": {
      const capabilities: string[] = [];
      while (t.maybe(" ")) capabilities.push(t.atom("", "a capability").toUpperCase());
      if (capabilities.length === 0) throw new ParseError("ENABLE needs a capability");
      return { tag, name, capabilities };
    }
    default:
      throw new ParseError(`Unknown command ${name.slice(0, 30)}`);
  }
}

function utf8(latin1: string): string {
  return Buffer.from(latin1, "latin1").toString("utf8");
}

const STATUS_ITEMS: StatusItem[] = [
  "MESSAGES",
  "RECENT",
  "UIDNEXT",
  "UIDVALIDITY",
  "UNSEEN",
  "HIGHESTMODSEQ",
  "SIZE",
];

function statusItems(t: Tokens): StatusItem[] {
  t.expect("(");
  const items: StatusItem[] = [];
  while (!t.maybe(")")) {
    if (items.length > 0) t.sp();
    const item = t.atom("", "a status item").toUpperCase() as StatusItem;
    if (!STATUS_ITEMS.includes(item)) throw new ParseError(`Unknown status item ${item}`);
    items.push(item);
  }
  if (items.length === 0) throw new ParseError("STATUS needs at least one item");
  return items;
}

function parseList(t: Tokens, tag: string, name: "LIST" | "LSUB"): Command {
  t.sp();
  let selectSubscribed = false;
  let recursiveMatch = false;
  // RFC 5258 LIST-EXTENDED selection options.
  if (name === "LIST" && t.maybe("(")) {
    while (!t.maybe(")")) {
      const option = t.atom("", "a selection option").toUpperCase();
      if (option === "SUBSCRIBED") selectSubscribed = true;
      else if (option === "RECURSIVEMATCH") recursiveMatch = true;
      else if (option !== "SPECIAL-USE" && option !== "REMOTE")
        throw new ParseError(`Unknown LIST selection option ${option}`);
      t.maybe(" ");
    }
    // RFC 5258 §3.1: RECURSIVEMATCH alone (or with only REMOTE) is an error.
    if (recursiveMatch && !selectSubscribed)
      throw new ParseError("RECURSIVEMATCH needs another selection option");
    t.sp();
  }
  const reference = t.listMailbox();
  t.sp();
  const patterns: string[] = [];
  if (t.maybe("(")) {
    while (!t.maybe(")")) {
      if (patterns.length > 0) t.sp();
      patterns.push(t.listMailbox());
    }
  } else {
    patterns.push(t.listMailbox());
  }
  let returnSpecialUse = false;
  let returnSubscribed = false;
  let returnStatus: StatusItem[] | null = null;
  if (
    name === "LIST" &&
    t.buf
      .subarray(t.pos, t.pos + 9)
      .toString("latin1")
      .toUpperCase() === " RETURN ("
  ) {
    t.pos += 9;
    while (!t.maybe(")")) {
      const option = t.atom("", "a return option").toUpperCase();
      if (option === "SPECIAL-USE") returnSpecialUse = true;
      else if (option === "SUBSCRIBED") returnSubscribed = true;
      else if (option === "STATUS") {
        t.sp();
        returnStatus = statusItems(t);
      } else if (option !== "CHILDREN")
        throw new ParseError(`Unknown LIST return option ${option}`);
      t.maybe(" ");
    }
  }
  return {
    tag,
    name,
    reference,
    patterns,
    selectSubscribed,
    recursiveMatch,
    returnSpecialUse,
    returnSubscribed,
    returnStatus,
  };
}

function parseAppend(t: Tokens, tag: string): Command {
  t.sp();
  const mailbox = t.mailbox();
  t.sp();
  let flags: string[] = [];
  let date: Date | null = null;
  if (t.peek() === 0x28) {
    flags = t.flagList();
    t.sp();
  }
  if (t.peek() === 0x22) {
    date = t.dateTime();
    t.sp();
  }
  if (t.peek() !== 0x7b) throw new ParseError("APPEND needs the message as a literal");
  return { tag, name: "APPEND", mailbox, flags, date, message: t.literal(true) };
}

function parseStore(t: Tokens, tag: string, uid: boolean): Command {
  t.sp();
  const set = t.sequenceSet();
  t.sp();
  let unchangedSince: bigint | null = null;
  if (t.maybe("(")) {
    const modifier = t.atom("", "a STORE modifier").toUpperCase();
    if (modifier !== "UNCHANGEDSINCE") throw new ParseError(`Unknown STORE modifier ${modifier}`);
    t.sp();
    unchangedSince = t.bigNumber("a mod-sequence");
    t.expect(")");
    t.sp();
  }
  const item = t.atom("", "FLAGS, +FLAGS or -FLAGS").toUpperCase();
  const match = /^([+-]?)FLAGS(\.SILENT)?$/.exec(item);
  if (!match) throw new ParseError(`Unknown STORE item ${item}`);
  t.sp();
  let flags: string[];
  if (t.peek() === 0x28) flags = t.flagList();
  else {
    flags = [t.flag()];
    while (t.maybe(" ")) flags.push(t.flag());
  }
  const mode = match[1] === "+" ? "add" : match[1] === "-" ? "remove" : "set";
  return {
    tag,
    name: "STORE",
    uid,
    set,
    action: { mode, silent: Boolean(match[2]), flags },
    unchangedSince,
  };
}

function parseFetch(t: Tokens, tag: string, uid: boolean): Command {
  t.sp();
  const set = t.sequenceSet();
  t.sp();
  const items: FetchItem[] = [];
  if (t.maybe("(")) {
    while (!t.maybe(")")) {
      if (items.length > 0) t.sp();
      if (items.length >= 100) throw new ParseError("Too many FETCH items");
      items.push(...fetchItem(t));
    }
    if (items.length === 0) throw new ParseError("FETCH needs at least one item");
  } else {
    items.push(...fetchItem(t));
  }
  let changedSince: bigint | null = null;
  if (t.maybe(" (")) {
    while (!t.maybe(")")) {
      const modifier = t.atom("", "a FETCH modifier").toUpperCase();
      if (modifier === "CHANGEDSINCE") {
        t.sp();
        changedSince = t.bigNumber("a mod-sequence");
      } else if (modifier !== "VANISHED") {
        throw new ParseError(`Unknown FETCH modifier ${modifier}`);
      }
      t.maybe(" ");
    }
  }
  if (changedSince !== null && !items.some((i) => i.kind === "MODSEQ"))
    items.push({ kind: "MODSEQ" });
  return { tag, name: "FETCH", uid, set, items, changedSince };
}

function fetchItem(t: Tokens): FetchItem[] {
  const word = t.word("a FETCH item").toUpperCase();
  switch (word) {
    case "ALL":
      return [
        { kind: "FLAGS" },
        { kind: "INTERNALDATE" },
        { kind: "RFC822.SIZE" },
        { kind: "ENVELOPE" },
      ];
    case "FAST":
      return [{ kind: "FLAGS" }, { kind: "INTERNALDATE" }, { kind: "RFC822.SIZE" }];
    case "FULL":
      return [
        { kind: "FLAGS" },
        { kind: "INTERNALDATE" },
        { kind: "RFC822.SIZE" },
        { kind: "ENVELOPE" },
        { kind: "BODY" },
      ];
    case "FLAGS":
    case "UID":
    case "INTERNALDATE":
    case "RFC822.SIZE":
    case "ENVELOPE":
    case "BODYSTRUCTURE":
    case "MODSEQ":
    case "RFC822":
    case "RFC822.HEADER":
    case "RFC822.TEXT":
      return [{ kind: word }];
    case "BODY":
    case "BODY.PEEK": {
      if (t.peek() !== 0x5b) {
        if (word === "BODY.PEEK") throw new ParseError("BODY.PEEK needs a section");
        return [{ kind: "BODY" }];
      }
      const section = parseSection(t);
      let partial: { start: number; length: number } | null = null;
      if (t.maybe("<")) {
        const start = t.number("a partial start");
        t.expect(".");
        const length = t.nzNumber("a partial length");
        t.expect(">");
        partial = { start, length };
      }
      return [{ kind: "SECTION", peek: word === "BODY.PEEK", section, partial }];
    }
    default:
      throw new ParseError(`Unknown FETCH item ${word.slice(0, 30)}`);
  }
}

function parseSection(t: Tokens): Section {
  t.expect("[");
  const path: number[] = [];
  let text: SectionText = null;
  const fields: string[] = [];
  if (t.maybe("]")) return { path, text, fields };
  while (t.peek() >= 0x31 && t.peek() <= 0x39) {
    if (path.length >= MAX_NESTING) throw new ParseError("Section part number too deep");
    path.push(t.nzNumber("a part number"));
    if (!t.maybe(".")) break;
  }
  if (t.peek() !== 0x5d) {
    const word = t.word("a section").toUpperCase();
    if (word === "HEADER" || word === "TEXT" || word === "MIME") {
      if (word === "MIME" && path.length === 0) throw new ParseError("MIME needs a part number");
      text = word;
    } else if (word === "HEADER.FIELDS" || word === "HEADER.FIELDS.NOT") {
      text = word;
      t.sp();
      t.expect("(");
      while (!t.maybe(")")) {
        if (fields.length > 0) t.sp();
        if (fields.length >= 200) throw new ParseError("Too many header fields");
        fields.push(t.astring("a header field name"));
      }
      if (fields.length === 0) throw new ParseError(`${word} needs at least one field`);
    } else {
      throw new ParseError(`Unknown section ${word.slice(0, 30)}`);
    }
  } else if (path.length > 0 && t.buf[t.pos - 1] === 0x2e) {
    throw new ParseError("A section cannot end with a dot");
  }
  t.expect("]");
  return { path, text, fields };
}

function parseSearch(t: Tokens, tag: string, uid: boolean): Command {
  let returnOptions: string[] | null = null;
  t.sp();
  // RFC 4731 ESEARCH: SEARCH RETURN (MIN MAX COUNT ALL).
  if (t.maybe("RETURN (") || t.maybe("return (")) {
    returnOptions = [];
    while (!t.maybe(")")) {
      const option = t.atom("", "a return option").toUpperCase();
      if (!["MIN", "MAX", "COUNT", "ALL"].includes(option))
        throw new ParseError(`Unknown SEARCH return option ${option}`);
      returnOptions.push(option);
      t.maybe(" ");
    }
    if (returnOptions.length === 0) returnOptions = ["ALL"];
    t.sp();
  }
  const save = t.pos;
  // A key may start with "(" or "*" (SEARCH (SEEN), SEARCH *), which no atom does.
  const first =
    t.peek() === 0x28 || t.peek() === 0x2a ? "" : t.atom("", "a search key").toUpperCase();
  if (first === "CHARSET") {
    t.sp();
    charsetThenSpace(t);
  } else {
    t.pos = save;
  }
  return { tag, name: "SEARCH", uid, key: searchKeys(t), returnOptions };
}

/** A charset we search in (RFC 3501 §6.4.4), and the space after it. */
function charsetThenSpace(t: Tokens): void {
  const charset = t.astring("a charset").toUpperCase();
  if (charset !== "UTF-8" && charset !== "US-ASCII")
    throw new ParseError(`[BADCHARSET (UTF-8 US-ASCII)] Charset ${charset} is not supported`);
  t.sp();
}

/** One or more search keys to the end of the command, ANDed. */
function searchKeys(t: Tokens): ParsedSearchKey {
  const keys: ParsedSearchKey[] = [searchKey(t, 0)];
  while (t.maybe(" ")) keys.push(searchKey(t, 0));
  return keys.length === 1 ? keys[0]! : { op: "and", keys };
}

const SORT_KEYS: SortCriterion["key"][] = [
  "ARRIVAL",
  "CC",
  "DATE",
  "FROM",
  "SIZE",
  "SUBJECT",
  "TO",
  // RFC 5957 SORT=DISPLAY.
  "DISPLAYFROM",
  "DISPLAYTO",
];

/** RFC 5256 §3: SORT (criteria) charset search-key... */
function parseSort(t: Tokens, tag: string, uid: boolean): Command {
  t.sp();
  t.expect("(");
  const criteria: SortCriterion[] = [];
  while (!t.maybe(")")) {
    if (criteria.length > 0) t.sp();
    let word = t.atom("", "a sort key").toUpperCase();
    const reverse = word === "REVERSE";
    if (reverse) {
      t.sp();
      word = t.atom("", "a sort key").toUpperCase();
    }
    const key = SORT_KEYS.find((k) => k === word);
    if (!key) throw new ParseError(`Unknown sort key ${word.slice(0, 30)}`);
    criteria.push({ key, reverse });
    if (criteria.length > 10) throw new ParseError("Too many sort keys");
  }
  if (criteria.length === 0) throw new ParseError("SORT needs a sort key");
  t.sp();
  charsetThenSpace(t);
  return { tag, name: "SORT", uid, criteria, key: searchKeys(t) };
}

/** RFC 5256 §3: THREAD algorithm charset search-key... */
function parseThread(t: Tokens, tag: string, uid: boolean): Command {
  t.sp();
  const algorithm = t.atom("", "a threading algorithm").toUpperCase();
  if (algorithm !== "REFERENCES" && algorithm !== "ORDEREDSUBJECT")
    throw new ParseError(`Unknown threading algorithm ${algorithm.slice(0, 30)}`);
  t.sp();
  charsetThenSpace(t);
  return { tag, name: "THREAD", uid, algorithm, key: searchKeys(t) };
}

function searchString(t: Tokens): string {
  t.sp();
  return utf8(t.astring("a search string"));
}

function searchKey(t: Tokens, depth: number): ParsedSearchKey {
  if (depth > MAX_NESTING) throw new ParseError("Search keys nested too deep");
  if (t.maybe("(")) {
    const keys: ParsedSearchKey[] = [searchKey(t, depth + 1)];
    while (!t.maybe(")")) {
      t.sp();
      keys.push(searchKey(t, depth + 1));
    }
    return keys.length === 1 ? keys[0]! : { op: "and", keys };
  }
  const c = t.peek();
  if ((c >= 0x31 && c <= 0x39) || c === 0x2a) return { op: "seq", set: t.sequenceSet() };
  const word = t.atom("", "a search key").toUpperCase();
  const flag = (f: "seen" | "flagged" | "answered" | "deleted" | "draft", set: boolean) =>
    ({ op: "flag", flag: f, set }) as const;
  switch (word) {
    case "ALL":
      return { op: "all" };
    case "SEEN":
    case "UNSEEN":
      return flag("seen", word === "SEEN");
    case "FLAGGED":
    case "UNFLAGGED":
      return flag("flagged", word === "FLAGGED");
    case "ANSWERED":
    case "UNANSWERED":
      return flag("answered", word === "ANSWERED");
    case "DELETED":
    case "UNDELETED":
      return flag("deleted", word === "DELETED");
    case "DRAFT":
    case "UNDRAFT":
      return flag("draft", word === "DRAFT");
    // \Recent is the session's (RFC 3501 §6.4.4): NEW is RECENT UNSEEN, OLD NOT RECENT.
    case "RECENT":
      return { op: "recent" };
    case "NEW":
      return { op: "and", keys: [{ op: "recent" }, flag("seen", false)] };
    case "OLD":
      return { op: "not", key: { op: "recent" } };
    case "KEYWORD":
    case "UNKEYWORD":
      t.sp();
      return { op: "keyword", keyword: t.atom("", "a keyword"), set: word === "KEYWORD" };
    case "FROM":
    case "TO":
    case "CC":
    case "BCC":
      return {
        op: "address",
        field: word.toLowerCase() as "from" | "to" | "cc" | "bcc",
        value: searchString(t),
      };
    case "SUBJECT":
      return { op: "subject", value: searchString(t) };
    case "BODY":
      return { op: "body", value: searchString(t) };
    case "TEXT":
      return { op: "text", value: searchString(t) };
    case "HEADER": {
      t.sp();
      const field = t.astring("a header field name");
      if (!/^[\x21-\x39\x3b-\x7e]+$/.test(field)) throw new ParseError("Not a header field name");
      return { op: "header", field, value: searchString(t) };
    }
    case "BEFORE":
    case "ON":
    case "SINCE":
    case "SENTBEFORE":
    case "SENTON":
    case "SENTSINCE": {
      t.sp();
      const sent = word.startsWith("SENT");
      return {
        op: "date",
        field: sent ? "sent" : "internal",
        cmp: (sent ? word.slice(4) : word).toLowerCase() as "before" | "on" | "since",
        day: t.date(),
      };
    }
    case "LARGER":
    case "SMALLER":
      t.sp();
      return {
        op: "size",
        cmp: word === "LARGER" ? "larger" : "smaller",
        bytes: t.number("a size"),
      };
    case "UID":
      t.sp();
      return { op: "uidset", set: t.sequenceSet() };
    case "NOT":
      t.sp();
      return { op: "not", key: searchKey(t, depth + 1) };
    case "OR": {
      t.sp();
      const left = searchKey(t, depth + 1);
      t.sp();
      return { op: "or", left, right: searchKey(t, depth + 1) };
    }
    case "MODSEQ": {
      t.sp();
      // RFC 7162 §3.1.5: an optional entry name and type come first.
      if (t.peek() === 0x22) {
        t.quoted();
        t.sp();
        t.atom("", "an entry type");
        t.sp();
      }
      return { op: "modseq", modseq: t.bigNumber("a mod-sequence") };
    }
    default:
      throw new ParseError(`Unknown search key ${word.slice(0, 30)}`);
  }
}
