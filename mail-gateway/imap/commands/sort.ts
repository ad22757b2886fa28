// SORT and UID SORT (RFC 5256 §3, RFC 5957 DISPLAYFROM/DISPLAYTO): the messages SEARCH would find, ordered
// by the sort keys, ties by sequence number. Keys come from the header
// block (read for the found messages only) and the message row.
import libmime from "libmime";
import addressparser from "nodemailer/lib/addressparser/index.js";
import { searchMailboxUids } from "../../../lib/search/imap-search.ts";
import { readMessageData, type MessageData } from "../../../lib/store/mailbox-snapshot.ts";
import { parseHeaderFields } from "../../../lib/mime/headers.ts";
import type { Command, ParsedSearchKey, SortCriterion } from "../parse.ts";
import type { CommandHandler, ImapSession } from "../session.ts";
import { toSearchKey } from "./messages.ts";

type Of<N extends Command["name"]> = Command & { name: N };

function decode(value: string): string {
  try {
    return libmime.decodeWords(Buffer.from(value, "latin1").toString("utf8"));
  } catch {
    return value;
  }
}

const BLOB = /^\[[^[\]]*\]\s*/;

/** RFC 5256 §2.1: the base subject, uppercased for i;ascii-casemap. */
export function baseSubject(subject: string): string {
  return extractSubject(subject).base;
}

/**
 * RFC 5256 §2.1 base subject extraction; `replyOrForward` when a "re:",
 * "fw:"/"fwd:" leader, a "(fwd)" trailer or a "[fwd: ...]" wrapper was
 * removed (what THREAD=REFERENCES §4 step 5 calls a reply or forward).
 */
export function extractSubject(subject: string): { base: string; replyOrForward: boolean } {
  let s = decode(subject).replace(/\s+/g, " ").trim();
  let replyOrForward = false;
  for (;;) {
    // (2) trailers: "(fwd)" and white space.
    const trimmed = s.replace(/(\s|\(fwd\))+$/i, "");
    if (/\(fwd\)/i.test(s.slice(trimmed.length))) replyOrForward = true;
    s = trimmed;
    // (3)(4) leaders: blobs, "re:", "fw:", "fwd:" (each with an optional blob).
    for (;;) {
      const before = s;
      const leader = s.replace(/^(\[[^[\]]*\]\s*)*(re|fwd?)\s*(\[[^[\]]*\]\s*)?:\s*/i, "");
      if (leader !== s) replyOrForward = true;
      s = leader;
      const blob = BLOB.exec(s);
      if (blob && s.length > blob[0].length) s = s.slice(blob[0].length);
      s = s.replace(/^\s+/, "");
      if (s === before) break;
    }
    // (5) "[fwd: ...]" wrapping.
    const wrapped = /^\[fwd:\s*(.*)\]$/i.exec(s);
    if (!wrapped) break;
    replyOrForward = true;
    s = wrapped[1]!;
  }
  return { base: s.replace(/[a-z]/g, (c) => c.toUpperCase()), replyOrForward };
}

/** RFC 5256 §3: the addr-mailbox of the first address, case-mapped; "" without one. */
function firstMailbox(value: string | undefined, display = false): string {
  if (!value) return "";
  const first = (list: ReturnType<typeof addressparser>): string => {
    for (const entry of list) {
      // A group comes first as its name, as in ENVELOPE (Dovecot sorts so too).
      if ("group" in entry && Array.isArray(entry.group)) return entry.name;
      else if ("address" in entry && (entry.address || entry.name)) {
        // RFC 5957 §3: DISPLAY* sorts by the display name, else the whole address.
        if (display) return entry.name ? decode(entry.name) : entry.address;
        // A bare word ("From: d") is read as a name; it is the mailbox.
        if (!entry.address) return entry.name;
        return entry.address.slice(0, Math.max(0, entry.address.lastIndexOf("@")) || undefined);
      }
    }
    return "";
  };
  try {
    return first(addressparser(value)).replace(/[a-z]/g, (c) => c.toUpperCase());
  } catch {
    return "";
  }
}

/** A found message with what SORT and THREAD order it by. */
export type Keys = { row: MessageData; seq: number; header: Map<string, string> };

/** RFC 5256 §2.2 sent date: the Date header in UTC, else the internal date. */
export function sentDate(k: Keys): number {
  const parsed = Date.parse(k.header.get("date") ?? "");
  return Number.isNaN(parsed) ? k.row.receivedAt.getTime() : parsed;
}

function sortValue(k: Keys, key: SortCriterion["key"]): string | number {
  switch (key) {
    case "ARRIVAL":
      return k.row.receivedAt.getTime();
    case "SIZE":
      return k.row.size;
    case "DATE":
      return sentDate(k);
    case "SUBJECT":
      return baseSubject(k.header.get("subject") ?? "");
    case "FROM":
      return firstMailbox(k.header.get("from"));
    case "TO":
      return firstMailbox(k.header.get("to"));
    case "CC":
      return firstMailbox(k.header.get("cc"));
    case "DISPLAYFROM":
      return firstMailbox(k.header.get("from"), true);
    case "DISPLAYTO":
      return firstMailbox(k.header.get("to"), true);
  }
}

/**
 * The messages of the selected folder that `key` finds, in sequence order,
 * with their first header fields of each name when `needsHeader`.
 */
export async function readSearchKeys(
  session: ImapSession,
  key: ParsedSearchKey,
  needsHeader: boolean,
): Promise<Keys[]> {
  const selected = session.selected!;
  const accountId = session.account!.id;
  const maxUid = selected.uids.length > 0 ? selected.uids[selected.uids.length - 1]! : 0;
  const found =
    maxUid === 0
      ? []
      : await searchMailboxUids(accountId, selected.id, toSearchKey(session, key), maxUid);
  const rows = await readMessageData(accountId, selected.id, found, {
    source: needsHeader ? "header" : "none",
  });
  const keyed: Keys[] = [];
  for (const row of rows) {
    const seq = session.seqOf(row.uid);
    if (seq === 0) continue;
    const header = new Map<string, string>();
    if (row.raw)
      for (const field of parseHeaderFields(row.raw)) {
        const name = field.name.toLowerCase();
        if (!header.has(name)) header.set(name, field.value);
      }
    row.raw = null;
    keyed.push({ row, seq, header });
  }
  return keyed;
}

const sort: CommandHandler = async (session, command) => {
  const c = command as Of<"SORT">;
  const needsHeader = c.criteria.some((k) => k.key !== "ARRIVAL" && k.key !== "SIZE");
  const keyed = await readSearchKeys(session, c.key, needsHeader);
  const values = keyed.map((k) => c.criteria.map((criterion) => sortValue(k, criterion.key)));
  const order = keyed.map((_, i) => i);
  order.sort((a, b) => {
    for (let i = 0; i < c.criteria.length; i++) {
      const x = values[a]![i]!;
      const y = values[b]![i]!;
      if (x === y) continue;
      const cmp = x < y ? -1 : 1;
      return c.criteria[i]!.reverse ? -cmp : cmp;
    }
    return keyed[a]!.seq - keyed[b]!.seq;
  });
  const results = order.map((i) => (c.uid ? keyed[i]!.row.uid : keyed[i]!.seq));
  session.write(`* SORT${results.length > 0 ? " " : ""}${results.join(" ")}\r\n`);
};

export const sortCommands: Record<string, CommandHandler> = { SORT: sort };
