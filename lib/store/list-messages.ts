// Message lists: one folder's messages newest first, a page at a time.
// Keyset pagination on the index (accountId, mailboxId, receivedAt DESC,
// id DESC): every page costs the same whether the folder holds 100 messages
// or 100,000 (no OFFSET, no COUNT: counts come from the Mailbox counters).
import { Prisma } from "../generated/prisma/client.ts";
import { db } from "../db.ts";

export type Address = { name: string; address: string };

export type MessageSummary = {
  id: string;
  mailboxId: string;
  threadId: string;
  from: Address;
  /** The first recipient: Sent and Drafts list "to" instead of "from". */
  firstTo: Address | null;
  subject: string;
  snippet: string;
  receivedAt: Date;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  hasAttachments: boolean;
  size: number;
  /** IMAP keywords: the labels (lib/store/labels.ts) among them show in the list. */
  keywords: string[];
  /** Pinned to the top of its folder (pins.ts). */
  pinned: boolean;
  /** When a snoozed message comes back (snooze.ts); null when not snoozed. */
  snoozedUntil: Date | null;
};

export type MessagePage = {
  items: MessageSummary[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
};

/** Messages per page unless the caller asks otherwise. */
export const DEFAULT_PAGE_SIZE = 50;
/** Largest page a caller may ask for. */
export const MAX_PAGE_SIZE = 200;

type Cursor = { receivedAt: Date; id: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** "<epoch ms>.<id>" of the last row of a page. */
export function encodeCursor(row: { receivedAt: Date; id: string }): string {
  return `${row.receivedAt.getTime()}.${row.id}`;
}

/** Null for anything that is not a cursor we made (treated as "first page"). */
export function decodeCursor(cursor: string | null | undefined): Cursor | null {
  if (!cursor) return null;
  const dot = cursor.indexOf(".");
  const ms = Number(cursor.slice(0, dot));
  const id = cursor.slice(dot + 1);
  if (dot < 1 || !Number.isSafeInteger(ms) || !isUuid(id)) return null;
  return { receivedAt: new Date(ms), id };
}

/** The columns of a MessageSummary, from "Message" m. */
export const SUMMARY_COLUMNS = Prisma.sql`m."id"::text AS "id", m."mailboxId"::text AS "mailboxId",
  m."threadId"::text AS "threadId", m."fromName", m."fromAddress", m."toList"->0 AS "firstTo",
  m."subject", m."snippet", m."receivedAt", m."seen", m."flagged", m."answered",
  m."hasAttachments", m."size", m."keywords",
  EXISTS (SELECT 1 FROM "PinnedMessage" p WHERE p."accountId" = m."accountId" AND p."messageId" = m."id") AS "pinned",
  (SELECT s."until" FROM "SnoozedMessage" s WHERE s."accountId" = m."accountId" AND s."messageId" = m."id") AS "snoozedUntil"`;

export type SummaryRow = {
  id: string;
  mailboxId: string;
  threadId: string;
  fromName: string;
  fromAddress: string;
  firstTo: unknown;
  subject: string;
  snippet: string;
  receivedAt: Date;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  hasAttachments: boolean;
  size: number;
  keywords: string[];
  pinned: boolean;
  snoozedUntil: Date | null;
};

function toAddress(value: unknown): Address | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as { name?: unknown; address?: unknown };
  return {
    name: typeof v.name === "string" ? v.name : "",
    address: typeof v.address === "string" ? v.address : "",
  };
}

export function toSummary(row: SummaryRow): MessageSummary {
  return {
    id: row.id,
    mailboxId: row.mailboxId,
    threadId: row.threadId,
    from: { name: row.fromName, address: row.fromAddress },
    firstTo: toAddress(row.firstTo),
    subject: row.subject,
    snippet: row.snippet,
    receivedAt: row.receivedAt,
    seen: row.seen,
    flagged: row.flagged,
    answered: row.answered,
    hasAttachments: row.hasAttachments,
    size: Number(row.size),
    keywords: row.keywords,
    pinned: row.pinned,
    snoozedUntil: row.snoozedUntil,
  };
}

/** Cuts the extra row fetched to learn whether another page exists. */
export function toPage(rows: SummaryRow[], limit: number): MessagePage {
  const items = rows.slice(0, limit).map(toSummary);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

export function clampPageSize(limit: number | undefined): number {
  if (!limit || !Number.isInteger(limit) || limit < 1) return DEFAULT_PAGE_SIZE;
  return Math.min(limit, MAX_PAGE_SIZE);
}

/** The SQL of one page; exported so the benchmark can time it bare. */
export function listMessagesSql(
  accountId: string,
  mailboxId: string,
  cursor: Cursor | null,
  limit: number,
): Prisma.Sql {
  // The row comparison matches the index order (both columns DESC), so the
  // scan starts right after the cursor.
  const after = cursor
    ? Prisma.sql`AND (m."receivedAt", m."id") < (${cursor.receivedAt}::timestamptz, ${cursor.id}::uuid)`
    : Prisma.empty;
  // Pinned messages head the first page (pins.ts), so the pages skip them.
  return Prisma.sql`SELECT ${SUMMARY_COLUMNS} FROM "Message" m
    WHERE m."accountId" = ${accountId}::uuid AND m."mailboxId" = ${mailboxId}::uuid ${after}
      AND NOT EXISTS (SELECT 1 FROM "PinnedMessage" p WHERE p."accountId" = m."accountId" AND p."messageId" = m."id")
    ORDER BY m."receivedAt" DESC, m."id" DESC
    LIMIT ${limit + 1}`;
}

/** Most pinned messages shown atop a folder. */
export const MAX_PINNED_SHOWN = 50;

function pinnedMessagesSql(accountId: string, mailboxId: string): Prisma.Sql {
  return Prisma.sql`SELECT ${SUMMARY_COLUMNS} FROM "PinnedMessage" pin
    JOIN "Message" m ON m."accountId" = pin."accountId" AND m."id" = pin."messageId"
    WHERE pin."accountId" = ${accountId}::uuid AND m."mailboxId" = ${mailboxId}::uuid
    ORDER BY pin."pinnedAt" DESC LIMIT ${MAX_PINNED_SHOWN}`;
}

/**
 * One page of a folder, newest first, the first page headed by the folder's
 * pinned messages (newest pin first). A folder of another account simply has
 * no messages here: callers resolve the folder through listMailboxes (which is
 * account-scoped) and answer 404 for an unknown one.
 */
export async function listMessages(
  accountId: string,
  mailboxId: string,
  options: { cursor?: string | null; limit?: number } = {},
): Promise<MessagePage> {
  if (!isUuid(mailboxId)) return { items: [], nextCursor: null };
  const limit = clampPageSize(options.limit);
  const cursor = decodeCursor(options.cursor);
  const [pinned, rows] = await Promise.all([
    cursor ? [] : db.$queryRaw<SummaryRow[]>(pinnedMessagesSql(accountId, mailboxId)),
    db.$queryRaw<SummaryRow[]>(listMessagesSql(accountId, mailboxId, cursor, limit)),
  ]);
  const page = toPage(rows, limit);
  return { ...page, items: [...pinned.map(toSummary), ...page.items] };
}
