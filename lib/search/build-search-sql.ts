// Parsed search conditions -> the WHERE clause over "Message" (alias m).
// Pure: no database, so it is unit-tested on its output; search-messages.ts
// runs it. Every clause starts with m."accountId" = …, which leads every
// index (and keeps one account's search from ever seeing another's rows).
//
// Free text uses the full-text index: lib/store's indexer fills each copy's
// row of "MessageSearch" (search-vector.ts: 'simple' configuration, subject
// weighted A, addresses B, attachment names C, body D) shortly after
// delivery. Copies still waiting for it (UnindexedMessage) are searched with
// the vector computed on the fly: see searchSql in search-messages.ts.
import { Prisma } from "../generated/prisma/client.ts";
import type { ParsedQuery, SearchCondition } from "./parse-query.ts";
import { SEARCH_VECTOR_SQL } from "./search-vector.ts";

/** Which folders a search covers, already resolved to ids. */
export type SearchScope =
  { kind: "mailbox"; mailboxId: string } | { kind: "all-but"; excludedMailboxIds: string[] };

// A text term with no letter or digit has no lexemes: to_tsquery would match
// nothing and warn, so such terms are dropped instead.
const HAS_WORD = /[\p{L}\p{N}]/u;

/** For ILIKE: % and _ are wildcards and \ the escape (Postgres's default). */
export function likePattern(value: string): string {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function tsquery(value: string): Prisma.Sql {
  // phraseto_tsquery: "quarterly report" must appear as a phrase; one word is
  // the same as plainto_tsquery. Both treat the input as text, never syntax.
  return Prisma.sql`phraseto_tsquery('simple', ${value})`;
}

/** The stored vector, or (for copies the indexer has not reached) the same vector computed now. */
export type VectorSource = "stored" | "computed";

/** `m`'s vector matches `query`: through MessageSearch's index, or computed from the copy. */
const MATCHES: Record<VectorSource, (query: Prisma.Sql) => Prisma.Sql> = {
  // m."accountId" is a constant of every search (buildSearchWhere), so the
  // semi-join reaches MessageSearch by its (accountId, vector) GIN index.
  stored: (query) =>
    Prisma.sql`EXISTS (SELECT 1 FROM "MessageSearch" s WHERE s."accountId" = m."accountId"
      AND s."messageId" = m."id" AND s."vector" @@ ${query})`,
  computed: (query) => Prisma.sql`${Prisma.raw(SEARCH_VECTOR_SQL)} @@ ${query}`,
};

/** Whether the query has conditions on the search vector (free text, subject words). */
export function usesSearchVector(query: ParsedQuery): boolean {
  return query.conditions.some(
    (c) => (c.kind === "text" || c.kind === "subject") && HAS_WORD.test(c.value),
  );
}

function conditionSql(
  c: SearchCondition,
  matches: (query: Prisma.Sql) => Prisma.Sql,
): Prisma.Sql | null {
  let positive: Prisma.Sql;
  switch (c.kind) {
    case "text":
      if (!HAS_WORD.test(c.value)) return null;
      positive = matches(tsquery(c.value));
      break;
    case "from": {
      const p = likePattern(c.value);
      positive = Prisma.sql`(m."fromAddress" ILIKE ${p} OR m."fromName" ILIKE ${p})`;
      break;
    }
    case "to": {
      const p = likePattern(c.value);
      positive = Prisma.sql`EXISTS (SELECT 1 FROM jsonb_array_elements(m."toList" || m."ccList") AS r(v)
        WHERE r.v->>'address' ILIKE ${p} OR r.v->>'name' ILIKE ${p})`;
      break;
    }
    case "subject": {
      const p = likePattern(c.value);
      // The words are in the vector too (weight A): the index narrows the
      // rows, ILIKE then insists they are in the subject.
      positive = HAS_WORD.test(c.value)
        ? Prisma.sql`(${matches(tsquery(c.value))} AND m."subject" ILIKE ${p})`
        : Prisma.sql`m."subject" ILIKE ${p}`;
      break;
    }
    case "is":
      positive = {
        unread: Prisma.sql`NOT m."seen"`,
        read: Prisma.sql`m."seen"`,
        flagged: Prisma.sql`m."flagged"`,
        unflagged: Prisma.sql`NOT m."flagged"`,
        answered: Prisma.sql`m."answered"`,
      }[c.value];
      break;
    case "has":
      positive = Prisma.sql`m."hasAttachments"`;
      break;
    case "label":
      // Keywords are kept as clients wrote them; labels match case-insensitively.
      positive = Prisma.sql`EXISTS (SELECT 1 FROM unnest(m."keywords") AS k(v) WHERE lower(k.v) = ANY(${c.keywords}::text[]))`;
      break;
    case "before":
      positive = Prisma.sql`m."receivedAt" < ${c.date}`;
      break;
    case "after":
      positive = Prisma.sql`m."receivedAt" >= ${c.date}`;
      break;
  }
  // A computed vector may be NULL (a NULL column): NOT NULL is NULL, so
  // negations are coalesced to keep "-word" matching such rows.
  return c.negated ? Prisma.sql`NOT COALESCE(${positive}, false)` : positive;
}

/** The WHERE clause (without the keyword) for one account's search. */
export function buildSearchWhere(
  accountId: string,
  query: ParsedQuery,
  scope: SearchScope,
  vector: VectorSource = "stored",
): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`m."accountId" = ${accountId}::uuid`];
  if (scope.kind === "mailbox") {
    parts.push(Prisma.sql`m."mailboxId" = ${scope.mailboxId}::uuid`);
  } else if (scope.excludedMailboxIds.length > 0) {
    parts.push(Prisma.sql`m."mailboxId" <> ALL(${scope.excludedMailboxIds}::uuid[])`);
  }
  for (const condition of query.conditions) {
    const sql = conditionSql(condition, MATCHES[vector]);
    if (sql) parts.push(sql);
  }
  return Prisma.join(parts, " AND ");
}
