// IMAP SEARCH (RFC 3501 §6.4.4, RFC 7162 §3.1.5 MODSEQ) as SQL over one
// folder of one account. The gateway parses the command and turns sequence
// numbers into uids; this module owns what each key means. String keys are
// case-insensitive substring matches, as RFC 3501 asks: FROM/TO/CC/SUBJECT
// on the stored list fields, BODY on the stored body text, HEADER on the raw
// header block (ASCII matching), TEXT on header block and body together.
import { query, sql, type Sql } from "../db/sql.ts";
import { uidsFromBytes } from "../store/mailbox-snapshot.ts";

export type UidRange = [number, number];

export type ImapSearchKey =
  | { op: "all" }
  | { op: "none" }
  | { op: "flag"; flag: "seen" | "flagged" | "answered" | "deleted" | "draft"; set: boolean }
  | { op: "keyword"; keyword: string; set: boolean }
  | { op: "address"; field: "from" | "to" | "cc" | "bcc"; value: string }
  | { op: "subject"; value: string }
  | { op: "header"; field: string; value: string }
  | { op: "body"; value: string }
  | { op: "text"; value: string }
  | { op: "date"; field: "internal" | "sent"; cmp: "before" | "on" | "since"; day: string }
  | { op: "size"; cmp: "larger" | "smaller"; bytes: number }
  | { op: "uids"; ranges: UidRange[] }
  | { op: "modseq"; modseq: bigint }
  | { op: "not"; key: ImapSearchKey }
  | { op: "or"; left: ImapSearchKey; right: ImapSearchKey }
  | { op: "and"; keys: ImapSearchKey[] };

/** LIKE pattern for a substring, with LIKE's own metacharacters escaped. */
function contains(value: string): string {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function regexEscape(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// The header block as text: encode(…, 'escape') keeps ASCII as is and turns
// other octets into \nnn, so it is valid text whatever the message holds.
const HEADER_TEXT = sql`encode(substring(s."raw" from 1 for GREATEST(position('\\x0d0a0d0a'::bytea in s."raw"), 1)), 'escape')`;

// The header block with RFC 5322 §3.2.2 comments (one level) taken out and
// the folding white space around "@" closed up: addresses as they read.
const ADDRESS_TEXT = sql`regexp_replace(regexp_replace(${HEADER_TEXT}, '\\([^()]*\\)', '', 'g'), '[ \\t]*@[ \\t]*', '@', 'g')`;

// "Date: Sun, 25 Mar 2007 01:02:03 +0200" as the date 2007-03-25, or NULL.
// make_date never sees an impossible day: those are NULL first.
const DATE_PARTS = sql`regexp_match(${HEADER_TEXT}, '(?:^|\n)date:[ \t]*(?:[a-z]+,[ \t]*)?([0-9]{1,2})[ \t]+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[ \t]+([0-9]{4})', 'i')`;
const SENT_DAY = sql`(SELECT CASE WHEN p[1]::int BETWEEN 1 AND 28 OR (p[1]::int <= 31
    AND p[1]::int <= extract(day FROM (make_date(p[3]::int, position(lower(p[2]) in 'janfebmaraprmayjunjulaugsepoctnovdec') / 3 + 1, 1) + interval '1 month' - interval '1 day')))
  THEN make_date(p[3]::int, position(lower(p[2]) in 'janfebmaraprmayjunjulaugsepoctnovdec') / 3 + 1, p[1]::int) END
  FROM (SELECT ${DATE_PARTS} AS p) d)`;

/** SQL condition over "Message" m (and "MessageSource" s when needsSource). */
export function imapSearchCondition(key: ImapSearchKey): Sql {
  switch (key.op) {
    case "all":
      return sql`TRUE`;
    case "none":
      return sql`FALSE`;
    case "flag": {
      const column = {
        seen: sql`m."seen"`,
        flagged: sql`m."flagged"`,
        answered: sql`m."answered"`,
        deleted: sql`m."deleted"`,
        draft: sql`m."draft"`,
      }[key.flag];
      return key.set ? sql`${column}` : sql`NOT ${column}`;
    }
    case "keyword":
      return key.set
        ? sql`(${key.keyword} = ANY(m."keywords"))`
        : sql`NOT (${key.keyword} = ANY(m."keywords"))`;
    case "address": {
      // Every address of the header counts, with its display name, comments
      // and group names, as Dovecot matches (imaptest's search-addresses):
      // the stored fields (decoded names, the first From), then the field
      // as written, then the field with comments gone and the spaces around
      // "@" closed ("<user (c)@ (c) domain.org>" is user@domain.org).
      const stored =
        key.field === "from"
          ? sql`m."fromAddress" ILIKE ${contains(key.value)} OR m."fromName" ILIKE ${contains(key.value)} OR `
          : key.field === "to"
            ? sql`m."toList"::text ILIKE ${contains(key.value)} OR `
            : key.field === "cc"
              ? sql`m."ccList"::text ILIKE ${contains(key.value)} OR `
              : sql``;
      return sql`(${stored}${headerMatch(key.field, key.value)} OR ${headerMatch(key.field, key.value, ADDRESS_TEXT)})`;
    }
    case "subject":
      return sql`(m."subject" ILIKE ${contains(key.value)})`;
    case "header":
      return headerMatch(key.field, key.value);
    case "body":
      return sql`(s."textBody" ILIKE ${contains(key.value)})`;
    case "text":
      return sql`(s."textBody" ILIKE ${contains(key.value)} OR ${HEADER_TEXT} ILIKE ${contains(key.value)})`;
    case "date": {
      // RFC 3501: dates compare without time and timezone; INTERNALDATE by
      // its UTC day, SENT* by the Date header's own calendar day (imaptest's
      // search-date), as its offset is not kept in "sentAt".
      const day =
        key.field === "internal"
          ? sql`(m."receivedAt" AT TIME ZONE 'UTC')::date`
          : sql`COALESCE(${SENT_DAY}, (COALESCE(m."sentAt", m."receivedAt") AT TIME ZONE 'UTC')::date)`;
      if (key.cmp === "before") return sql`(${day} < ${key.day}::date)`;
      if (key.cmp === "on") return sql`(${day} = ${key.day}::date)`;
      return sql`(${day} >= ${key.day}::date)`;
    }
    case "size":
      return key.cmp === "larger"
        ? sql`(m."size" > ${key.bytes}::int8)`
        : sql`(m."size" < ${key.bytes}::int8)`;
    case "uids": {
      if (key.ranges.length === 0) return sql`FALSE`;
      const lows = key.ranges.map(([a]) => a);
      const highs = key.ranges.map(([, b]) => b);
      return sql`EXISTS (SELECT 1 FROM unnest(${lows}::int8[], ${highs}::int8[]) AS r(lo, hi) WHERE m."uid" BETWEEN r.lo AND r.hi)`;
    }
    case "modseq":
      return sql`(m."modseq" >= ${key.modseq.toString()}::int8)`;
    case "not":
      return sql`NOT (${imapSearchCondition(key.key)})`;
    case "or":
      return sql`((${imapSearchCondition(key.left)}) OR (${imapSearchCondition(key.right)}))`;
    case "and": {
      if (key.keys.length === 0) return sql`TRUE`;
      return key.keys
        .slice(1)
        .reduce<Sql>(
          (acc, k) => sql`${acc} AND (${imapSearchCondition(k)})`,
          sql`(${imapSearchCondition(key.keys[0]!)})`,
        );
    }
  }
}

function headerMatch(field: string, value: string, text = HEADER_TEXT): Sql {
  // RFC 3501: HEADER with an empty string matches every message with the field.
  const pattern = `(^|\\n)${regexEscape(field)}:([^\\n]|\\n[ \\t])*${regexEscape(value)}`;
  return sql`(${text} ~* ${pattern})`;
}

/** Whether a key reads MessageSource (body, header or text keys). */
export function needsSource(key: ImapSearchKey): boolean {
  switch (key.op) {
    case "body":
    case "text":
    case "header":
      return true;
    case "address":
      return true;
    case "date":
      return key.field === "sent";
    case "not":
      return needsSource(key.key);
    case "or":
      return needsSource(key.left) || needsSource(key.right);
    case "and":
      return key.keys.some(needsSource);
    default:
      return false;
  }
}

/**
 * Uids of the account's messages in one folder that match `key`, up to
 * `maxUid` (messages the session has not been told of yet do not count).
 */
export async function searchMailboxUids(
  accountId: string,
  mailboxId: string,
  key: ImapSearchKey,
  maxUid: number,
): Promise<number[]> {
  const join = needsSource(key)
    ? sql`JOIN "MessageSource" s ON s."sha256" = m."sourceSha256"`
    : sql``;
  // One bytea of 4-byte uids rather than a row per hit (uidsFromBytes).
  const rows = await query<{ uids: Buffer }>(
    sql`SELECT COALESCE(string_agg(int4send(m."uid"), ''::bytea ORDER BY m."uid"), ''::bytea) AS "uids"
      FROM "Message" m ${join}
      WHERE m."accountId" = ${accountId}::uuid AND m."mailboxId" = ${mailboxId}::uuid
        AND m."uid" <= ${maxUid}::int8 AND (${imapSearchCondition(key)})`,
  );
  return uidsFromBytes(rows[0]!.uids);
}
