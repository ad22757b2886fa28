// Runs a search-box query for one account: parse (parse-query.ts), resolve
// in:<folder>, build the WHERE (build-search-sql.ts), then one keyset page
// newest first, like a folder list (lib/store/list-messages.ts).
import { Prisma } from "../generated/prisma/client.ts";
import { db } from "../db.ts";
import {
  clampPageSize,
  decodeCursor,
  SUMMARY_COLUMNS,
  toPage,
  type MessagePage,
  type SummaryRow,
} from "../store/list-messages.ts";
import { listMailboxes, type MailboxSummary } from "../store/read-mailboxes.ts";
import { buildSearchWhere, usesSearchVector, type SearchScope } from "./build-search-sql.ts";
import { parseQuery, type ParsedQuery } from "./parse-query.ts";
import { assertStorableText } from "../validation/storable-text.ts";

export type SearchPage = MessagePage & {
  /** The in: folder when it named none of the account's folders. */
  unknownFolder: string | null;
};

// in: names that mean a special folder whatever the user called it.
const SPECIAL_ALIASES: Record<string, string> = {
  inbox: "INBOX",
  drafts: "DRAFTS",
  draft: "DRAFTS",
  sent: "SENT",
  archive: "ARCHIVE",
  junk: "JUNK",
  spam: "JUNK",
  trash: "TRASH",
  bin: "TRASH",
  deleted: "TRASH",
};
// in: values meaning every folder, Trash and Junk included.
const EVERYWHERE = new Set(["anywhere", "all", "*"]);

/** Resolves the query's folder against the account's folders; null scope = unknown folder. */
export function resolveScope(query: ParsedQuery, mailboxes: MailboxSummary[]): SearchScope | null {
  if (query.folder === null) {
    const excluded = mailboxes.filter((m) => m.specialUse === "TRASH" || m.specialUse === "JUNK");
    return { kind: "all-but", excludedMailboxIds: excluded.map((m) => m.id) };
  }
  const wanted = query.folder.toLowerCase();
  if (EVERYWHERE.has(wanted)) return { kind: "all-but", excludedMailboxIds: [] };
  const special = SPECIAL_ALIASES[wanted];
  const match =
    mailboxes.find((m) => m.name.toLowerCase() === wanted) ??
    (special ? mailboxes.find((m) => m.specialUse === special) : undefined);
  return match ? { kind: "mailbox", mailboxId: match.id } : null;
}

/** The SQL of one result page; exported so the benchmark can time it bare. */
export function searchSql(
  accountId: string,
  query: ParsedQuery,
  scope: SearchScope,
  cursor: string | null,
  limit: number,
): Prisma.Sql {
  const after = decodeCursor(cursor);
  const keyset = after
    ? Prisma.sql`AND (m."receivedAt", m."id") < (${after.receivedAt}::timestamptz, ${after.id}::uuid)`
    : Prisma.empty;
  if (!usesSearchVector(query)) {
    return Prisma.sql`SELECT ${SUMMARY_COLUMNS} FROM "Message" m
    WHERE ${buildSearchWhere(accountId, query, scope)} ${keyset}
    ORDER BY m."receivedAt" DESC, m."id" DESC
    LIMIT ${limit + 1}`;
  }
  // Copies the indexer has not reached yet (lib/store/search-indexer.ts) have
  // no stored vector: they are searched apart, with the vector computed on
  // the fly, so new mail is found at once. There are few of them, and the
  // indexed part keeps using the full-text index.
  return Prisma.sql`SELECT * FROM (
    (SELECT ${SUMMARY_COLUMNS} FROM "Message" m
      WHERE ${buildSearchWhere(accountId, query, scope)} ${keyset}
        AND NOT EXISTS (SELECT 1 FROM "UnindexedMessage" u
          WHERE u."accountId" = m."accountId" AND u."messageId" = m."id")
      ORDER BY m."receivedAt" DESC, m."id" DESC
      LIMIT ${limit + 1})
    UNION ALL
    (SELECT ${SUMMARY_COLUMNS} FROM "UnindexedMessage" u
      JOIN "Message" m ON m."accountId" = u."accountId" AND m."id" = u."messageId"
      WHERE u."accountId" = ${accountId}::uuid
        AND ${buildSearchWhere(accountId, query, scope, "computed")} ${keyset})
  ) AS found
  ORDER BY "receivedAt" DESC, "id"::uuid DESC
  LIMIT ${limit + 1}`;
}

export async function searchMessages(
  accountId: string,
  queryText: string,
  options: { cursor?: string | null; limit?: number; mailboxes?: MailboxSummary[] } = {},
): Promise<SearchPage> {
  assertStorableText(queryText, "q");
  const query = parseQuery(queryText);
  const mailboxes = options.mailboxes ?? (await listMailboxes(accountId));
  const scope = resolveScope(query, mailboxes);
  if (!scope) return { items: [], nextCursor: null, unknownFolder: query.folder };
  const limit = clampPageSize(options.limit);
  const rows = await db.$queryRaw<SummaryRow[]>(
    searchSql(accountId, query, scope, options.cursor ?? null, limit),
  );
  return { ...toPage(rows, limit), unknownFolder: null };
}
