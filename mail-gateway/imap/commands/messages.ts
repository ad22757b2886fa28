// Message commands of the selected state (RFC 3501 §6.4): FETCH, STORE,
// SEARCH, COPY, MOVE (RFC 6851), EXPUNGE, UID EXPUNGE (RFC 4315), CLOSE,
// UNSELECT (RFC 3691), with CONDSTORE's MODSEQ, CHANGEDSINCE and
// UNCHANGEDSINCE (RFC 7162). Sequence numbers are the session's; every
// change goes through lib/store, whose NOTIFY tells the other sessions.
import {
  searchMailboxUids,
  type ImapSearchKey,
  type UidRange,
} from "../../../lib/search/imap-search.ts";
import { copyMessagesByUid, moveMessagesByUid } from "../../../lib/store/copy-messages.ts";
import { expungeMessages } from "../../../lib/store/expunge-messages.ts";
import {
  findMailboxByName,
  readMessageData,
  type MessageData,
  type MessageDataRead,
} from "../../../lib/store/mailbox-snapshot.ts";
import {
  fillImapFetchCache,
  type ImapFetchCacheEntry,
} from "../../../lib/store/imap-fetch-cache.ts";
import { setMessageFlags, type FlagEdit } from "../../../lib/store/set-message-flags.ts";
import { buildEnvelope, parseMimeStructure } from "../../../lib/mime/mime-structure.ts";
import {
  bodyStructureValue,
  envelopeValue,
  sectionBytes,
  sectionName,
  StructureCache,
} from "../fetch-data.ts";
import { FETCH_BATCH, FETCH_BATCH_BYTES, FETCH_BATCH_WHOLE } from "../limits.ts";
import {
  STAR,
  type Command,
  type FetchItem,
  type ParsedSearchKey,
  type SequenceSet,
} from "../parse.ts";
import { CommandFailure, type CommandHandler, type ImapSession } from "../session.ts";
import { atom, encodeValueBytes, formatInternalDate, formatSet, type ImapValue } from "../write.ts";
import { parseHeaderFields } from "../../../lib/mime/headers.ts";

type Of<N extends Command["name"]> = Command & { name: N };

const SYSTEM_FLAGS: Record<string, keyof FlagEdit["system"]> = {
  "\\seen": "seen",
  "\\flagged": "flagged",
  "\\answered": "answered",
  "\\draft": "draft",
  "\\deleted": "deleted",
};

/** Flag names from the wire: system flags, or keywords (atoms, RFC 3501 §2.3.2). */
export function parseFlags(flags: string[]): {
  system: { seen: boolean; flagged: boolean; answered: boolean; draft: boolean; deleted: boolean };
  keywords: string[];
} {
  const system = { seen: false, flagged: false, answered: false, draft: false, deleted: false };
  const keywords: string[] = [];
  for (const flag of flags) {
    const named = SYSTEM_FLAGS[flag.toLowerCase()];
    if (named) system[named] = true;
    else if (flag.toLowerCase() === "\\recent") continue;
    else if (flag.startsWith("\\"))
      throw new CommandFailure("BAD", null, `${flag} is not a flag that can be set`);
    else if (!keywords.includes(flag)) keywords.push(flag.slice(0, 100));
  }
  return { system, keywords };
}

/** Uids the session knows among a set of sequence numbers or uids (RFC 3501 §9 seq-number). */
export function resolveSet(session: ImapSession, set: SequenceSet, byUid: boolean): number[] {
  const uids = session.selected!.uids;
  if (uids.length === 0) return [];
  const out = new Set<number>();
  if (byUid) {
    const max = uids[uids.length - 1]!;
    const ranges = set.map(([a, b]) => {
      const lo = a === STAR ? max : a;
      const hi = b === STAR ? max : b;
      return lo <= hi ? [lo, hi] : [hi, lo];
    });
    for (const uid of uids) if (ranges.some(([lo, hi]) => uid >= lo! && uid <= hi!)) out.add(uid);
  } else {
    for (const [a, b] of set) {
      const lo = a === STAR ? uids.length : a;
      const hi = b === STAR ? uids.length : b;
      const [from, to] = lo <= hi ? [lo, hi] : [hi, lo];
      if (from > uids.length)
        throw new CommandFailure("BAD", null, `No message ${from} (there are ${uids.length})`);
      for (let seq = from; seq <= Math.min(to, uids.length); seq++) out.add(uids[seq - 1]!);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * What FETCH must read for `items`. ENVELOPE and BODYSTRUCTURE come from the
 * source's cache (lib/store/imap-fetch-cache.ts), and from the header block
 * or the whole source only where that is not filled yet.
 */
function sourceNeeded(items: FetchItem[]): MessageDataRead {
  let source: MessageDataRead["source"] = "none";
  let envelope = false;
  let bodyStructure = false;
  for (const item of items) {
    if (item.kind === "ENVELOPE") envelope = true;
    else if (item.kind === "BODYSTRUCTURE") bodyStructure = true;
    else if (item.kind === "RFC822.HEADER") source = source === "none" ? "header" : source;
    else if (item.kind === "SECTION") {
      const headerOnly =
        item.section.path.length === 0 &&
        (item.section.text === "HEADER" ||
          item.section.text === "HEADER.FIELDS" ||
          item.section.text === "HEADER.FIELDS.NOT");
      source = headerOnly ? (source === "none" ? "header" : source) : "full";
    } else if (["BODY", "RFC822", "RFC822.TEXT"].includes(item.kind)) source = "full";
  }
  return { source, envelope, bodyStructure };
}

export function fetchSetsSeen(items: FetchItem[]): boolean {
  return items.some(
    (i) => (i.kind === "SECTION" && !i.peek) || i.kind === "RFC822" || i.kind === "RFC822.TEXT",
  );
}

function fetchValues(
  session: ImapSession,
  message: MessageData,
  items: FetchItem[],
  byUid: boolean,
  computed: ImapFetchCacheEntry[],
): ImapValue[] {
  const out: ImapValue[] = [];
  const fill: ImapFetchCacheEntry = {
    sourceSha256: message.sourceSha256,
    envelope: null,
    bodyStructure: null,
  };
  const cache = message.raw ? new StructureCache(message.raw) : null;
  const raw = message.raw ?? Buffer.alloc(0);
  if (byUid && !items.some((i) => i.kind === "UID")) out.push(atom("UID"), message.uid);
  for (const item of items) {
    switch (item.kind) {
      case "UID":
        out.push(atom("UID"), message.uid);
        break;
      case "FLAGS":
        out.push(atom("FLAGS"), session.flagValues(message));
        break;
      case "INTERNALDATE":
        out.push(atom("INTERNALDATE"), formatInternalDate(message.receivedAt));
        break;
      case "RFC822.SIZE":
        out.push(atom("RFC822.SIZE"), message.size);
        break;
      case "MODSEQ":
        out.push(atom("MODSEQ"), [message.modseq]);
        break;
      case "ENVELOPE": {
        if (!message.imapEnvelope)
          fill.envelope = encodeValueBytes(envelopeValue(buildEnvelope(parseHeaderFields(raw))));
        out.push(atom("ENVELOPE"), { encoded: message.imapEnvelope ?? fill.envelope! });
        break;
      }
      case "BODYSTRUCTURE":
        if (!message.imapBodyStructure)
          fill.bodyStructure = encodeValueBytes(bodyStructureValue(cache!.structure, true));
        out.push(atom("BODYSTRUCTURE"), {
          encoded: message.imapBodyStructure ?? fill.bodyStructure!,
        });
        break;
      case "BODY":
        out.push(atom("BODY"), bodyStructureValue(cache!.structure, false));
        break;
      case "RFC822":
        out.push(atom("RFC822"), { literal: raw });
        break;
      case "RFC822.HEADER": {
        const root = parseMimeStructure(raw);
        out.push(atom("RFC822.HEADER"), { literal: raw.subarray(0, root.bodyStart) });
        break;
      }
      case "RFC822.TEXT": {
        const root = cache!.structure;
        out.push(atom("RFC822.TEXT"), { literal: raw.subarray(root.bodyStart) });
        break;
      }
      case "SECTION": {
        let bytes = sectionBytes(
          raw,
          cache ? cache.structure : parseMimeStructure(raw),
          item.section,
        );
        let name = `BODY[${sectionName(item.section)}]`;
        if (item.partial) {
          bytes = bytes.subarray(item.partial.start, item.partial.start + item.partial.length);
          name += `<${item.partial.start}>`;
        }
        out.push(atom(name), { literal: bytes });
        break;
      }
    }
  }
  if (fill.envelope || fill.bodyStructure) computed.push(fill);
  return out;
}

/**
 * BODYSTRUCTURE not cached yet is computed from the whole source: reads the
 * sources of the next few such rows from `from` on (a few at a time, as
 * whole sources may each be as large as the message size limit).
 */
async function readWholeSources(
  session: ImapSession,
  rows: MessageData[],
  from: number,
  whole: Set<number>,
): Promise<void> {
  const wanted = rows
    .slice(from)
    .filter((r) => !r.imapBodyStructure)
    .slice(0, FETCH_BATCH_WHOLE);
  const sources = await readMessageData(
    session.account!.id,
    session.selected!.id,
    wanted.map((r) => r.uid),
    { source: "full" },
  );
  const byUid = new Map(sources.map((s) => [s.uid, s.raw]));
  for (const row of wanted) {
    row.raw = byUid.get(row.uid) ?? null;
    whole.add(row.uid);
  }
}

const fetch: CommandHandler = async (session, command) => {
  const c = command as Of<"FETCH">;
  const selected = session.selected!;
  const accountId = session.account!.id;
  if (c.items.some((i) => i.kind === "MODSEQ")) session.enableCondstore();
  let uids = resolveSet(session, c.set, c.uid);
  let items = c.items;
  if (fetchSetsSeen(items) && !selected.readOnly) {
    const { changed } = await setMessageFlags(accountId, selected.id, uids, {
      mode: "add",
      system: { seen: true },
      keywords: [],
    });
    // RFC 3501 §6.4.5: the \Seen this sets is reported with the data.
    if (changed.length > 0 && !items.some((i) => i.kind === "FLAGS"))
      items = [...items, { kind: "FLAGS" }];
  }
  const need = sourceNeeded(items);
  const batch = need.source === "full" ? FETCH_BATCH_WHOLE : FETCH_BATCH;
  for (let i = 0; i < uids.length; i += batch) {
    const rows = await readMessageData(accountId, selected.id, uids.slice(i, i + batch), need);
    const computed: ImapFetchCacheEntry[] = [];
    /** Uids of `rows` whose whole source has been read (readWholeSources). */
    const whole = new Set<number>();
    let bytes = 0;
    // One write to the socket per batch rather than one per message.
    const socket = session.socket;
    socket.cork();
    try {
      for (let j = 0; j < rows.length; j++) {
        const row = rows[j]!;
        if (c.changedSince !== null && row.modseq <= c.changedSince) continue;
        const seq = session.seqOf(row.uid);
        if (seq === 0) continue;
        if (need.bodyStructure && !row.imapBodyStructure && need.source !== "full") {
          if (!whole.has(row.uid)) await readWholeSources(session, rows, j, whole);
          // Deleted since the batch was read.
          if (!row.raw) continue;
        }
        session.send(`* ${seq} FETCH`, [fetchValues(session, row, items, c.uid, computed)]);
        bytes += row.raw?.length ?? 0;
        row.raw = null;
        if (bytes > FETCH_BATCH_BYTES) {
          // A corked socket never drains.
          socket.uncork();
          await session.drain();
          socket.cork();
          bytes = 0;
        }
      }
    } finally {
      socket.uncork();
    }
    await fillImapFetchCache(computed).catch((error: unknown) =>
      // Only an optimisation: the client has its data; the next FETCH computes again.
      session.options.log(`imap: FETCH cache not filled: ${(error as Error).message}`),
    );
    await session.drain();
  }
  uids = [];
};

const store: CommandHandler = async (session, command) => {
  const c = command as Of<"STORE">;
  const selected = session.selected!;
  if (selected.readOnly)
    throw new CommandFailure("NO", "READ-ONLY", "The folder is open read-only");
  if (c.unchangedSince !== null) session.enableCondstore();
  const uids = resolveSet(session, c.set, c.uid);
  const flags = parseFlags(c.action.flags);
  const system: FlagEdit["system"] = {};
  for (const [name, on] of Object.entries(flags.system))
    if (on) system[name as keyof typeof system] = true;
  const { changed, modified, current, mailbox } = await setMessageFlags(
    session.account!.id,
    selected.id,
    uids,
    { mode: c.action.mode, system, keywords: flags.keywords },
    c.unchangedSince,
  );
  // Our own change is reported here: the sync after the command need not
  // read the folder again when nothing else happened in between.
  session.ownChange(mailbox);
  const report = c.action.silent ? changed : current;
  if (!c.action.silent || session.condstore) {
    for (const row of report) {
      const seq = session.seqOf(row.uid);
      if (seq === 0) continue;
      const values: ImapValue[] = [];
      if (c.uid) values.push(atom("UID"), row.uid);
      if (!c.action.silent) values.push(atom("FLAGS"), session.flagValues(row));
      if (session.condstore) values.push(atom("MODSEQ"), [row.modseq]);
      session.send(`* ${seq} FETCH`, [values]);
    }
  }
  if (modified.length > 0) {
    const list = c.uid ? modified : modified.map((uid) => session.seqOf(uid));
    return `[MODIFIED ${formatSet(list)}] Conditional STORE failed for some messages`;
  }
};

export function toSearchKey(session: ImapSession, key: ParsedSearchKey): ImapSearchKey {
  switch (key.op) {
    case "seq":
      return { op: "uids", ranges: toRanges(resolveSetLenient(session, key.set, false)) };
    case "uidset":
      return { op: "uids", ranges: toRanges(resolveSetLenient(session, key.set, true)) };
    case "recent":
      return {
        op: "uids",
        ranges: toRanges([...session.selected!.recent].sort((a, b) => a - b)),
      };
    case "not":
      return { op: "not", key: toSearchKey(session, key.key) };
    case "or":
      return {
        op: "or",
        left: toSearchKey(session, key.left),
        right: toSearchKey(session, key.right),
      };
    case "and":
      return { op: "and", keys: key.keys.map((k) => toSearchKey(session, k)) };
    default:
      return key;
  }
}

/** SEARCH may name numbers beyond the last message: they just match nothing. */
function resolveSetLenient(session: ImapSession, set: SequenceSet, byUid: boolean): number[] {
  const count = session.selected!.uids.length;
  const clipped: SequenceSet = byUid
    ? set
    : set
        .map(([a, b]): [number, number] => [
          a === STAR ? count : a,
          b === STAR ? count : Math.min(b, count),
        ])
        .filter(([a, b]) => a <= b && a <= count);
  return resolveSet(session, clipped, byUid);
}

function toRanges(uids: number[]): UidRange[] {
  const ranges: UidRange[] = [];
  for (const uid of uids) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === uid - 1) last[1] = uid;
    else ranges.push([uid, uid]);
  }
  return ranges;
}

function hasModseqKey(key: ParsedSearchKey): boolean {
  if (key.op === "modseq") return true;
  if (key.op === "not") return hasModseqKey(key.key);
  if (key.op === "or") return hasModseqKey(key.left) || hasModseqKey(key.right);
  if (key.op === "and") return key.keys.some(hasModseqKey);
  return false;
}

/** The highest mod-sequence among the folder's messages `uids` (RFC 7162 §3.1.5). */
async function highestModseqOf(session: ImapSession, uids: number[]): Promise<bigint> {
  const rows = await readMessageData(session.account!.id, session.selected!.id, uids, {
    source: "none",
  });
  return rows.reduce((max, r) => (r.modseq > max ? r.modseq : max), 0n);
}

const search: CommandHandler = async (session, command) => {
  const c = command as Of<"SEARCH">;
  const selected = session.selected!;
  const uids = selected.uids;
  // RFC 7162 §3.1.5: a MODSEQ key enables CONDSTORE and adds the highest
  // mod-sequence of the messages returned to the result.
  const withModseq = hasModseqKey(c.key);
  if (withModseq) session.enableCondstore();
  const maxUid = uids.length > 0 ? uids[uids.length - 1]! : 0;
  const found = (
    maxUid === 0
      ? []
      : await searchMailboxUids(
          session.account!.id,
          selected.id,
          toSearchKey(session, c.key),
          maxUid,
        )
  ).filter((uid) => session.seqOf(uid) > 0);
  const results = c.uid ? found : found.map((uid) => session.seqOf(uid));
  if (c.returnOptions) {
    // RFC 4731 ESEARCH.
    const parts: string[] = [`(TAG "${c.tag}")`];
    if (c.uid) parts.push("UID");
    const returned = new Set<number>();
    if (results.length > 0) {
      if (c.returnOptions.includes("MIN")) {
        parts.push(`MIN ${results[0]}`);
        returned.add(found[0]!);
      }
      if (c.returnOptions.includes("MAX")) {
        parts.push(`MAX ${results[results.length - 1]}`);
        returned.add(found[found.length - 1]!);
      }
      if (c.returnOptions.includes("ALL")) parts.push(`ALL ${formatSet(results)}`);
    }
    if (c.returnOptions.includes("COUNT")) parts.push(`COUNT ${results.length}`);
    if (withModseq && results.length > 0) {
      const all = c.returnOptions.includes("ALL") || c.returnOptions.includes("COUNT");
      parts.push(`MODSEQ ${await highestModseqOf(session, all ? found : [...returned])}`);
    }
    session.untagged(`ESEARCH ${parts.join(" ")}`);
    return;
  }
  const modseq =
    withModseq && results.length > 0 ? ` (MODSEQ ${await highestModseqOf(session, found)})` : "";
  // Long result lists go out in one line, built without a giant intermediate array of strings.
  session.write(`* SEARCH${results.length > 0 ? " " : ""}${results.join(" ")}${modseq}\r\n`);
};

async function targetOrTryCreate(session: ImapSession, name: string) {
  const target = await findMailboxByName(session.account!.id, name);
  // RFC 3501 §6.4.7: TRYCREATE when the destination does not exist.
  if (!target) throw new CommandFailure("NO", "TRYCREATE", `No folder named ${name}`);
  return target;
}

const copyOrMove: CommandHandler = async (session, command) => {
  const c = command as Of<"COPY" | "MOVE">;
  const selected = session.selected!;
  if (c.name === "MOVE" && selected.readOnly)
    throw new CommandFailure("NO", "READ-ONLY", "The folder is open read-only");
  const target = await targetOrTryCreate(session, c.mailbox);
  const uids = resolveSet(session, c.set, c.uid);
  if (uids.length === 0) return `${c.name} completed (no messages)`;
  const mapping =
    c.name === "COPY"
      ? await copyMessagesByUid(session.account!.id, selected.id, uids, target.id)
      : await moveMessagesByUid(session.account!.id, selected.id, uids, target.id);
  if (mapping.length === 0) return `${c.name} completed (no messages)`;
  const code = `COPYUID ${target.uidValidity} ${formatSet(mapping.map(([a]) => a))} ${formatSet(mapping.map(([, b]) => b))}`;
  if (c.name === "MOVE") {
    // RFC 6851 §4.3: COPYUID in an untagged OK, then the EXPUNGEs (sync sends them).
    session.untagged(`OK [${code}] Moved`);
    return;
  }
  return `[${code}] COPY completed`;
};

const expunge: CommandHandler = async (session, command) => {
  const selected = session.selected!;
  if (selected.readOnly)
    throw new CommandFailure("NO", "READ-ONLY", "The folder is open read-only");
  const uids =
    command.name === "UID EXPUNGE"
      ? resolveSet(session, (command as Of<"UID EXPUNGE">).set, true)
      : null;
  if (uids !== null && uids.length === 0) return;
  const { expunged, mailbox } = await expungeMessages(session.account!.id, selected.id, uids);
  // The EXPUNGE responses: from ownChange when nothing else changed, else
  // from the sync that ends every command.
  session.ownChange(mailbox, expunged);
};

const close: CommandHandler = async (session, command) => {
  const selected = session.selected!;
  // RFC 3501 §6.4.2: CLOSE expunges silently; UNSELECT (RFC 3691) does not.
  if (command.name === "CLOSE" && !selected.readOnly)
    await expungeMessages(session.account!.id, selected.id, null);
  session.deselect();
};

export const messageCommands: Record<string, CommandHandler> = {
  FETCH: fetch,
  STORE: store,
  SEARCH: search,
  COPY: copyOrMove,
  MOVE: copyOrMove,
  EXPUNGE: expunge,
  "UID EXPUNGE": expunge,
  CLOSE: close,
  UNSELECT: close,
};
