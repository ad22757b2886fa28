// Conversation rows ("Show as conversations", Outlook.com; Gmail's
// default): one row per thread in a folder, ordered by the thread's newest
// message in that folder, carrying the thread's marks in that folder (unread
// if any message is, flagged if any is, attachments if any has), how many
// messages it has there, who wrote them and their ids, so an action on the
// row applies to exactly the messages the row stood for.
//
// The query needs no thread-level columns to keep right: a row is the
// newest message of its thread in the folder, found by walking the folder's
// list index (accountId, mailboxId, receivedAt DESC, id DESC) and keeping
// the messages that no newer one of the same thread in the folder follows
// (one probe of (accountId, mailboxId, threadId, receivedAt DESC, id DESC)
// each). The same index gives each row's aggregate. Paging is the message
// list's keyset on the row's newest message, so every page costs the same
// on 100,000 messages as on 100.
import { Prisma } from "../generated/prisma/client.ts";
import { db } from "../db.ts";
import { searchMessages } from "../search/search-messages.ts";
import { MAX_MESSAGES_PER_CHANGE } from "./lock-messages.ts";
import type { MailboxSummary } from "./read-mailboxes.ts";
import {
  clampPageSize,
  decodeCursor,
  encodeCursor,
  isUuid,
  listMessages,
  MAX_PINNED_SHOWN,
  SUMMARY_COLUMNS,
  toSummary,
  type MessagePage,
  type MessageSummary,
  type SummaryRow,
} from "./list-messages.ts";

/** A thread as one list row: its newest message in the folder, plus the thread's marks there. */
export type ConversationSummary = MessageSummary & {
  /** Messages of the thread in this folder. */
  messageCount: number;
  /** Senders (names, else addresses), newest first, each once, at most MAX_PARTICIPANTS. */
  participants: string[];
  /** The thread's messages in this folder, newest first (at most MAX_MESSAGES_PER_CHANGE). */
  memberIds: string[];
};

export type ConversationPage = { items: ConversationSummary[]; nextCursor: string | null };

export const MAX_PARTICIPANTS = 4;

/** Count 0, the rest null, for a thread of one message in the folder (aggregateLateral). */
type AggregateRow = {
  messageCount: number | bigint | null;
  anyUnread: boolean | null;
  anyFlagged: boolean | null;
  anyAttachments: boolean | null;
  anyAnswered: boolean | null;
  senders: string[] | null;
  memberIds: string[] | null;
  threadKeywords: string[] | null;
};

/**
 * The thread's aggregate in the folder of row `alias` (which has accountId,
 * boxUuid, threadUuid, receivedAt and the id as uuid: SUMMARY_COLUMNS has
 * the ids as text): one range of the (accountId, mailboxId, threadId)
 * index, read only when the thread has an older message there (a one-time
 * filter): a thread of one is its head, and most threads are. Keywords
 * (labels) come joined by \x01 (not an IMAP atom character) and are split
 * and merged in toConversation, cheaper than a set union in SQL.
 */
function aggregateLateral(alias: string): Prisma.Sql {
  const h = Prisma.raw(alias);
  return Prisma.sql`LEFT JOIN LATERAL (
    SELECT count(*)::int AS "messageCount", bool_or(NOT t."seen") AS "anyUnread",
      bool_or(t."flagged") AS "anyFlagged", bool_or(t."hasAttachments") AS "anyAttachments",
      bool_or(t."answered") AS "anyAnswered",
      array_agg(CASE WHEN t."fromName" <> '' THEN t."fromName" ELSE t."fromAddress" END
        ORDER BY t."receivedAt" DESC, t."id" DESC) AS "senders",
      (array_agg(t."id"::text ORDER BY t."receivedAt" DESC, t."id" DESC))[1:${MAX_MESSAGES_PER_CHANGE}] AS "memberIds",
      array_agg(array_to_string(t."keywords", chr(1))) AS "threadKeywords"
    FROM "Message" t
    WHERE t."accountId" = ${h}."accountId" AND t."mailboxId" = ${h}."boxUuid" AND t."threadId" = ${h}."threadUuid"
      AND EXISTS (SELECT 1 FROM "Message" o
        WHERE o."accountId" = ${h}."accountId" AND o."mailboxId" = ${h}."boxUuid" AND o."threadId" = ${h}."threadUuid"
          AND (o."receivedAt", o."id") < (${h}."receivedAt", ${h}."idUuid"))
  ) agg ON true`;
}

/** No newer message of the same thread in the same folder: `m` heads its conversation there. */
const HEADS_ITS_THREAD = Prisma.sql`NOT EXISTS (SELECT 1 FROM "Message" n
  WHERE n."accountId" = m."accountId" AND n."mailboxId" = m."mailboxId" AND n."threadId" = m."threadId"
    AND (n."receivedAt", n."id") > (m."receivedAt", m."id"))`;

/** Threads with a pinned message in the folder head its first page; the pages skip them. */
function pinnedThreadsSql(accountId: string, mailboxId: string): Prisma.Sql {
  return Prisma.sql`SELECT n."threadId" FROM "PinnedMessage" p
    JOIN "Message" n ON n."accountId" = p."accountId" AND n."id" = p."messageId"
    WHERE p."accountId" = ${accountId}::uuid AND n."mailboxId" = ${mailboxId}::uuid`;
}

const HEAD_KEYS = Prisma.sql`m."accountId", m."mailboxId" AS "boxUuid", m."threadId" AS "threadUuid", m."id" AS "idUuid"`;

type ConversationRow = SummaryRow & AggregateRow;

/** The SQL of one page of conversations; exported so the benchmark can time it. */
export function listConversationsSql(
  accountId: string,
  mailboxId: string,
  cursor: { receivedAt: Date; id: string } | null,
  limit: number,
): Prisma.Sql {
  const after = cursor
    ? Prisma.sql`AND (m."receivedAt", m."id") < (${cursor.receivedAt}::timestamptz, ${cursor.id}::uuid)`
    : Prisma.empty;
  // The heads first (LIMIT inside), then the aggregates of those only.
  return Prisma.sql`SELECT m.*, agg.* FROM (
      SELECT ${HEAD_KEYS}, ${SUMMARY_COLUMNS} FROM "Message" m
      WHERE m."accountId" = ${accountId}::uuid AND m."mailboxId" = ${mailboxId}::uuid ${after}
        AND m."threadId" <> ALL (ARRAY(${pinnedThreadsSql(accountId, mailboxId)}))
        AND ${HEADS_ITS_THREAD}
      ORDER BY m."receivedAt" DESC, m."id" DESC
      LIMIT ${limit + 1}
    ) m ${aggregateLateral("m")}`;
}

function pinnedConversationsSql(accountId: string, mailboxId: string): Prisma.Sql {
  // Newest pin first, as the message list orders its pinned rows.
  return Prisma.sql`SELECT m.*, agg.* FROM (
      SELECT ${HEAD_KEYS}, ${SUMMARY_COLUMNS}, pins."pinnedAt" FROM (
        SELECT n."threadId", max(p."pinnedAt") AS "pinnedAt" FROM "PinnedMessage" p
          JOIN "Message" n ON n."accountId" = p."accountId" AND n."id" = p."messageId"
          WHERE p."accountId" = ${accountId}::uuid AND n."mailboxId" = ${mailboxId}::uuid
          GROUP BY n."threadId" ORDER BY 2 DESC LIMIT ${MAX_PINNED_SHOWN}
      ) pins
      CROSS JOIN LATERAL (SELECT * FROM "Message" m
        WHERE m."accountId" = ${accountId}::uuid AND m."mailboxId" = ${mailboxId}::uuid
          AND m."threadId" = pins."threadId"
        ORDER BY m."receivedAt" DESC, m."id" DESC LIMIT 1) m
    ) m ${aggregateLateral("m")}
    ORDER BY m."pinnedAt" DESC`;
}

function toConversation(row: ConversationRow): ConversationSummary {
  const summary = toSummary(row);
  // A pin anywhere in the thread pins the row.
  const pinned = summary.pinned || "pinnedAt" in row;
  // 0: the one-time filter found no older message (an aggregate of no rows).
  if (!row.messageCount) return { ...asSingleConversation(summary), pinned };
  const participants: string[] = [];
  for (const sender of row.senders ?? []) {
    if (participants.length >= MAX_PARTICIPANTS) break;
    if (sender && !participants.includes(sender)) participants.push(sender);
  }
  const keywords = new Set(
    (row.threadKeywords ?? []).flatMap((joined) => joined.split("\x01")).filter(Boolean),
  );
  return {
    ...summary,
    seen: !row.anyUnread,
    flagged: row.anyFlagged === true,
    hasAttachments: row.anyAttachments === true,
    answered: row.anyAnswered === true,
    keywords: [...keywords],
    pinned,
    messageCount: Number(row.messageCount),
    participants,
    memberIds: row.memberIds ?? [summary.id],
  };
}

/** Newest first, as the index walks them (SQL's order after the lateral join is not promised). */
const newestFirst = (a: ConversationRow, b: ConversationRow) =>
  b.receivedAt.getTime() - a.receivedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

function toConversationPage(rows: ConversationRow[], limit: number): ConversationPage {
  const items = [...rows].sort(newestFirst).slice(0, limit).map(toConversation);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/**
 * One page of a folder as conversations, newest thread first, the first
 * page headed by the threads with a pinned message. As listMessages: a
 * folder of another account simply has none.
 */
export async function listConversations(
  accountId: string,
  mailboxId: string,
  options: { cursor?: string | null; limit?: number } = {},
): Promise<ConversationPage> {
  if (!isUuid(mailboxId)) return { items: [], nextCursor: null };
  const limit = clampPageSize(options.limit);
  const cursor = decodeCursor(options.cursor);
  const [pinned, rows] = await Promise.all([
    cursor ? [] : db.$queryRaw<ConversationRow[]>(pinnedConversationsSql(accountId, mailboxId)),
    db.$queryRaw<ConversationRow[]>(listConversationsSql(accountId, mailboxId, cursor, limit)),
  ]);
  const page = toConversationPage(rows, limit);
  return { ...page, items: [...pinned.map(toConversation), ...page.items] };
}

/**
 * A page of search results as conversations: the page's matches collapsed
 * to one row per thread and folder (its newest match), each with the
 * thread's aggregate in that folder. The cursor stays the search's, so a
 * thread whose matches straddle two pages shows on both: callers that join
 * pages drop rows whose thread and folder they already show.
 */
export async function groupSearchPage(
  accountId: string,
  page: MessagePage,
): Promise<ConversationPage> {
  const heads: MessageSummary[] = [];
  const keys = new Set<string>();
  for (const item of page.items) {
    const key = `${item.mailboxId}|${item.threadId}`;
    if (keys.has(key)) continue;
    keys.add(key);
    heads.push(item);
  }
  if (heads.length === 0) return { items: [], nextCursor: page.nextCursor };
  const rows = await db.$queryRaw<(AggregateRow & { mailboxId: string; threadId: string })[]>`
    SELECT h."mailboxId", h."threadId", agg.*
    FROM (SELECT ${accountId}::uuid AS "accountId", x.b AS "boxUuid", x.t AS "threadUuid",
        x.b::text AS "mailboxId", x.t::text AS "threadId", x.r AS "receivedAt", x.i AS "idUuid"
      FROM unnest(${heads.map((h) => h.mailboxId)}::uuid[], ${heads.map((h) => h.threadId)}::uuid[],
        ${heads.map((h) => h.receivedAt)}::timestamptz[], ${heads.map((h) => h.id)}::uuid[]) AS x(b, t, r, i)) h
    ${aggregateLateral("h")}`;
  const byKey = new Map(rows.map((r) => [`${r.mailboxId}|${r.threadId}`, r]));
  const items = heads.map((head) => {
    const agg = byKey.get(`${head.mailboxId}|${head.threadId}`);
    // Gone since the search ran: the match alone.
    if (!agg) return asSingleConversation(head);
    const row = toConversation({ ...toRow(head), ...agg });
    // The search's own marks of the head (pinned, snoozed) stand.
    return { ...row, pinned: head.pinned, snoozedUntil: head.snoozedUntil };
  });
  return { items, nextCursor: page.nextCursor };
}

/** A summary back as the row it came from, for toConversation. */
function toRow(m: MessageSummary): SummaryRow {
  return {
    ...m,
    fromName: m.from.name,
    fromAddress: m.from.address,
    firstTo: m.firstTo,
  };
}

/** A plain message as a conversation of one (the list with conversations turned off). */
export function asSingleConversation(m: MessageSummary): ConversationSummary {
  return {
    ...m,
    messageCount: 1,
    participants: [m.from.name || m.from.address],
    memberIds: [m.id],
  };
}

export type ListRowsPage = ConversationPage & {
  /** A search's in: folder that named none of the account's folders. */
  unknownFolder: string | null;
};

/**
 * The list the webmail shows: a folder's page or a search's, as
 * conversations or one row per message (the user's "Show as
 * conversations"). The one place the page and "load more" choose.
 */
export async function listRows(
  accountId: string,
  view: {
    folderId: string | null;
    query: string;
    conversations: boolean;
    cursor?: string | null;
    limit?: number;
    mailboxes?: MailboxSummary[];
  },
): Promise<ListRowsPage> {
  const paging = { cursor: view.cursor, limit: view.limit };
  if (view.query.trim()) {
    const found = await searchMessages(accountId, view.query, {
      ...paging,
      mailboxes: view.mailboxes,
    });
    const page = view.conversations
      ? await groupSearchPage(accountId, found)
      : { items: found.items.map(asSingleConversation), nextCursor: found.nextCursor };
    return { ...page, unknownFolder: found.unknownFolder };
  }
  if (!view.folderId) return { items: [], nextCursor: null, unknownFolder: null };
  const page = view.conversations
    ? await listConversations(accountId, view.folderId, paging)
    : await listMessages(accountId, view.folderId, paging).then((p) => ({
        items: p.items.map(asSingleConversation),
        nextCursor: p.nextCursor,
      }));
  return { ...page, unknownFolder: null };
}
