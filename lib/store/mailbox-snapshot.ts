// Reads for IMAP sessions (and any client that keeps its own view of a
// folder): folders with their IMAP state, the uid list of a folder, what
// changed since a mod-sequence, and message data by uid. Always scoped to one
// account: another account's folder id is simply not found.
import { query, sql } from "../db/sql.ts";
import type { SpecialUse } from "../generated/prisma/enums.ts";
import type { MessageFlags } from "./deliver.ts";
import { isUuid } from "./list-messages.ts";
import {
  cachedUidList,
  rememberUidList,
  rememberUidListName,
  uidListIdForName,
} from "./uid-list-cache.ts";

export type MailboxState = {
  id: string;
  name: string;
  specialUse: SpecialUse | null;
  uidValidity: number;
  uidNext: number;
  /** Messages from this uid on are \Recent for the next read-write SELECT (recent-messages.ts). */
  recentUid: number;
  highestModseq: bigint;
  messageCount: number;
  unreadCount: number;
  totalBytes: bigint;
};

type MailboxRow = Omit<MailboxState, "highestModseq" | "totalBytes" | "uidNext" | "uidValidity"> & {
  highestModseq: string;
  totalBytes: string;
  uidNext: number | string;
  uidValidity: number | string;
};

const MAILBOX_COLUMNS = sql`"id"::text AS "id", "name", "specialUse"::text AS "specialUse",
  "uidValidity", "uidNext", "recentUid", "highestModseq"::text AS "highestModseq", "messageCount", "unreadCount",
  "totalBytes"::text AS "totalBytes"`;

function toState(row: MailboxRow): MailboxState {
  return {
    ...row,
    uidValidity: Number(row.uidValidity),
    uidNext: Number(row.uidNext),
    highestModseq: BigInt(row.highestModseq),
    totalBytes: BigInt(row.totalBytes),
  };
}

/** Every folder of the account with its IMAP state. */
export async function listMailboxStates(accountId: string): Promise<MailboxState[]> {
  const rows = await query<MailboxRow>(
    sql`SELECT ${MAILBOX_COLUMNS} FROM "Mailbox" WHERE "accountId" = ${accountId}::uuid ORDER BY "name"`,
  );
  return rows.map(toState);
}

/**
 * The folder IMAP calls `name`: "INBOX" is the Inbox (RFC 3501 §5.1), other
 * names match exactly, or else ignoring case (names are unique that way).
 */
export async function findMailboxByName(
  accountId: string,
  name: string,
): Promise<MailboxState | null> {
  const rows = await query<MailboxRow>(
    sql`SELECT ${MAILBOX_COLUMNS} FROM "Mailbox" b
      WHERE b."accountId" = ${accountId}::uuid AND b."id" = ${mailboxNamed(accountId, name)}`,
  );
  return rows[0] ? toState(rows[0]) : null;
}

/** SQL: the id of the folder IMAP calls `name` (findMailboxByName), or NULL. */
function mailboxNamed(accountId: string, name: string) {
  return sql`(SELECT x."id" FROM "Mailbox" x WHERE x."accountId" = ${accountId}::uuid
    AND CASE WHEN ${name}::text = 'INBOX' THEN x."specialUse" = 'INBOX'
      ELSE lower(x."name") = lower(${name}::text) AND (x."specialUse" IS NULL OR x."specialUse" <> 'INBOX') END
    ORDER BY (x."name" = ${name}::text) DESC LIMIT 1)`;
}

export type MessageFlagState = MessageFlags & { uid: number; modseq: bigint };

type FlagRow = Omit<MessageFlagState, "modseq"> & { modseq: string };

const FLAG_COLUMNS = sql`m."uid", m."seen", m."flagged", m."answered", m."draft", m."deleted", m."keywords",
  m."modseq"::text AS "modseq"`;

const toFlagState = (row: FlagRow): MessageFlagState => ({ ...row, modseq: BigInt(row.modseq) });

/**
 * The uid list comes as 4-byte big-endian integers (int4send) in one bytea:
 * pg parses an int[] of 10,000 elements character by character in about
 * 10 ms, this in well under one.
 */
export function uidsFromBytes(bytes: Buffer): number[] {
  const uids = new Array<number>(bytes.length >> 2);
  for (let i = 0; i < uids.length; i++) uids[i] = bytes.readInt32BE(i * 4);
  return uids;
}

/** What a session last saw of a folder; a later read reports only what differs. */
export type KnownMailbox = {
  highestModseq: bigint;
  uidNext: number;
  /** How many uids the session holds (expunged ones it has not been told of included). */
  messageCount: number;
};

export type MailboxView = {
  /** Null when nothing changed since the known state (uids and changed are empty then). */
  mailbox: MailboxState | null;
  /**
   * Every uid in the folder, ascending: position + 1 is the sequence number.
   * Null when the folder holds exactly the known messages (see readMailboxView).
   */
  uids: number[] | null;
  /** Messages whose flags or presence changed after the known mod-sequence (all messages when known is null). */
  changed: MessageFlagState[];
  /** The first unseen message (SELECT's [UNSEEN n]); only read when known is null. */
  firstUnseenUid: number | null;
};

/**
 * The folder as one consistent snapshot (one statement sees one snapshot):
 * its state, its uids and, when `known` is given, the messages changed after
 * its mod-sequence. `mailbox` is null when nothing changed since then; the
 * whole result is null when the folder is gone.
 *
 * A session's sync calls this after every command, so the unchanged case
 * reads only the Mailbox row. The uid list is read again only when the
 * folder's uidNext or message count differ from the known ones: uids are
 * allocated from uidNext and never reused, so with uidNext unchanged no
 * message was added, and with the count (kept by lib/store in the same
 * transaction as each change) unchanged too, none was removed. By the same
 * argument the process's copy of the list (lib/store/uid-list-cache.ts) is
 * used instead of reading it when it matches, so a SELECT of an unchanged
 * large folder reads no uids either.
 */
export async function readMailboxView(
  accountId: string,
  mailbox: string | { name: string },
  known: KnownMailbox | null,
): Promise<MailboxView | null> {
  const byName = typeof mailbox !== "string";
  if (!byName && !isUuid(mailbox)) return null;
  const sinceText = known === null ? null : known.highestModseq.toString();
  const uidNext = known === null ? null : known.uidNext;
  const count = known === null ? null : known.messageCount;
  // By name (SELECT), in the same statement as the rest: the folder that had
  // the name last time is the candidate; if it is another now, no id matches.
  const cachedId = byName ? uidListIdForName(accountId, mailbox.name) : mailbox;
  const cached = cachedId === null ? null : cachedUidList(cachedId);
  // OFFSET 0 keeps the lateral subquery from being flattened into the join:
  // flattened, its WHERE became a join filter evaluated after the uid list
  // and the changed rows had been read, on every sync.
  const rows = await query<
    MailboxRow & {
      changedSince: boolean | null;
      uids: Buffer | null;
      changed: FlagRow[] | null;
      firstUnseen: number | null;
    }
  >(
    sql`SELECT ${MAILBOX_COLUMNS}, v."changedSince", v."uids", v."changed", v."firstUnseen"
      FROM "Mailbox" b
      LEFT JOIN LATERAL (
        SELECT
          TRUE AS "changedSince",
          -- A comparison with a NULL (nothing known, nothing cached) is not TRUE: read.
          CASE WHEN (b."uidNext" = ${uidNext}::int4 AND b."messageCount" = ${count}::int4)
              OR (b."id" = ${cached ? cachedId : null}::uuid AND b."uidNext" = ${cached?.uidNext ?? null}::int4
                AND b."messageCount" = ${cached?.messageCount ?? null}::int4)
            THEN NULL ELSE (SELECT COALESCE(string_agg(int4send(m."uid"), ''::bytea ORDER BY m."uid"), ''::bytea)
              FROM "Message" m WHERE m."accountId" = b."accountId" AND m."mailboxId" = b."id") END AS "uids",
          (SELECT COALESCE(json_agg(json_build_object('uid', m."uid", 'seen', m."seen", 'flagged', m."flagged",
              'answered', m."answered", 'draft', m."draft", 'deleted', m."deleted", 'keywords', m."keywords",
              'modseq', m."modseq"::text) ORDER BY m."uid"), '[]') FROM "Message" m
            WHERE ${sinceText}::int8 IS NOT NULL AND m."accountId" = b."accountId" AND m."mailboxId" = b."id"
              AND m."modseq" > ${sinceText}::int8) AS "changed",
          (SELECT min(m."uid") FROM "Message" m
            WHERE ${sinceText}::int8 IS NULL AND m."accountId" = b."accountId" AND m."mailboxId" = b."id"
              AND NOT m."seen") AS "firstUnseen"
        WHERE ${sinceText}::int8 IS NULL OR b."highestModseq" > ${sinceText}::int8
        OFFSET 0
      ) v ON TRUE
      WHERE b."accountId" = ${accountId}::uuid
        AND b."id" = ${byName ? mailboxNamed(accountId, mailbox.name) : sql`${mailbox}::uuid`}`,
    byName ? "imap-view-by-name" : "imap-view",
  );
  const row = rows[0];
  if (!row) return null;
  if (row.changedSince === null)
    return { mailbox: null, uids: [], changed: [], firstUnseenUid: null };
  const state = toState(row);
  if (byName) rememberUidListName(accountId, mailbox.name, state.id);
  let uids: number[] | null;
  if (row.uids !== null) {
    uids = uidsFromBytes(row.uids);
    rememberUidList(state.id, state.uidNext, state.messageCount, uids);
  } else if (known && state.uidNext === uidNext && state.messageCount === count) {
    uids = null;
  } else {
    // Not read because the cached list matched.
    uids = Array.from(cached!.uids);
  }
  return {
    mailbox: state,
    uids,
    changed: (row.changed ?? []).map(toFlagState),
    firstUnseenUid: row.firstUnseen === null ? null : Number(row.firstUnseen),
  };
}

export type MessageData = MessageFlagState & {
  receivedAt: Date;
  size: number;
  sourceSha256: string;
  /**
   * The stored source as `read.source` asks (whole, or its header block), or
   * the header block when the cached ENVELOPE was asked for and is not filled.
   */
  raw: Buffer | null;
  /** The cached IMAP ENVELOPE and BODYSTRUCTURE (MessageSource), when asked for and filled. */
  imapEnvelope: Buffer | null;
  imapBodyStructure: Buffer | null;
};

/** A MessageData as pg returns it (modseq as text). */
type DataRow = FlagRow & Omit<MessageData, keyof MessageFlagState>;

export type MessageDataRead = {
  /** "none": only the message rows; "header": the source's header block; "full": the source. */
  source: "none" | "header" | "full";
  /** The cached ENVELOPE; the header block is read instead where it is not filled yet. */
  envelope?: boolean;
  /** The cached BODYSTRUCTURE (where it is not filled yet, the caller reads the source). */
  bodyStructure?: boolean;
};

/** Messages of the folder among `uids`, ascending, with what `read` names. */
export async function readMessageData(
  accountId: string,
  mailboxId: string,
  uids: number[],
  read: MessageDataRead,
): Promise<MessageData[]> {
  if (uids.length === 0 || !isUuid(mailboxId)) return [];
  const envelope = read.envelope === true;
  const bodyStructure = read.bodyStructure === true;
  const full = read.source === "full" ? sql`TRUE` : sql`FALSE`;
  const header =
    read.source === "header" ? sql`TRUE` : envelope ? sql`s."imapEnvelope" IS NULL` : sql`FALSE`;
  const join =
    read.source === "none" && !envelope && !bodyStructure
      ? null
      : sql`JOIN "MessageSource" s ON s."sha256" = m."sourceSha256"`;
  const columns = join
    ? sql`CASE WHEN ${full} THEN s."raw"
          WHEN ${header} THEN CASE WHEN position('\\x0d0a0d0a'::bytea in s."raw") = 0 THEN s."raw"
            ELSE substring(s."raw" from 1 for position('\\x0d0a0d0a'::bytea in s."raw") + 3) END
        END AS "raw",
        ${envelope ? sql`s."imapEnvelope"` : sql`NULL::bytea`} AS "imapEnvelope",
        ${bodyStructure ? sql`s."imapBodyStructure"` : sql`NULL::bytea`} AS "imapBodyStructure"`
    : sql`NULL::bytea AS "raw", NULL::bytea AS "imapEnvelope", NULL::bytea AS "imapBodyStructure"`;
  const rows = await query<DataRow>(
    sql`SELECT ${FLAG_COLUMNS}, m."receivedAt", m."size", m."sourceSha256", ${columns}
      FROM "Message" m ${join ?? sql``}
      WHERE m."accountId" = ${accountId}::uuid AND m."mailboxId" = ${mailboxId}::uuid
        AND m."uid" = ANY(${uids}::int[])
      ORDER BY m."uid"`,
  );
  return rows.map((row) => ({ ...row, ...toFlagState(row) }));
}
