// Flag changes by uid, as IMAP STORE makes them (RFC 3501 §6.4.6): set, add
// or remove system flags and keywords on a folder's messages. Same rules as
// the webmail's updateFlags: unreadCount kept exact, one new highestModseq
// for the change, given to every changed message (RFC 7162 §3.1), NOTIFY.
// RFC 7162 §3.1.3 UNCHANGEDSINCE: messages changed after that mod-sequence
// are left alone and reported back. Adding $Junk or $NotJunk trains the
// spam classifier (lib/spam/training.ts).
import { query, Sql, sql, withTransaction } from "../db/sql.ts";
import type { MessageFlags } from "./deliver.ts";
import type { MessageFlagState } from "./mailbox-snapshot.ts";
import { isUuid } from "./list-messages.ts";
import { notifyUpdatedMailboxSql } from "./notify-change.ts";
import { keywordVerdict, recordSpamVerdictsWith, trainAfterCommit } from "../spam/training.ts";

/** Keywords one message may carry: clients use a handful ($Forwarded, $Junk, labels). */
export const MAX_KEYWORDS_PER_MESSAGE = 50;

export type FlagEdit = {
  mode: "set" | "add" | "remove";
  system: Partial<Record<"seen" | "flagged" | "answered" | "draft" | "deleted", true>>;
  keywords: string[];
};

const SYSTEM = ["seen", "flagged", "answered", "draft", "deleted"] as const;

/** A Message row as the statement of setMessageFlags returns it. */
type ResultRow = MessageFlags & {
  id: string;
  uid: number;
  /** The message's modseq after the statement (the new one when it changed). */
  modseq: string;
  changed: boolean;
  refused: boolean;
  oldKeywords: string[];
  /** The folder after the change; null (on every row) when nothing changed. */
  boxModseq: string | null;
  uidNext: number | null;
  messageCount: number | null;
};

/** The folder's state right after a change, as its own statement left it. */
export type ChangedMailbox = { highestModseq: bigint; uidNext: number; messageCount: number };

/** SQL: a message's value of `flag` after the edit, from its value `t."flag"`. */
function nextFlag(edit: FlagEdit, flag: (typeof SYSTEM)[number]) {
  const named = edit.system[flag] === true;
  const column = new Sql([`t."${flag}"`], []);
  if (edit.mode === "set") return sql`${named}::boolean`;
  if (!named) return column;
  return edit.mode === "add" ? sql`TRUE` : sql`FALSE`;
}

/**
 * SQL: a message's keywords after the edit, from `t."keywords"`: the same
 * order and rules as before (added ones after the kept ones, at most
 * MAX_KEYWORDS_PER_MESSAGE; removal ignores case).
 */
function nextKeywords(edit: FlagEdit) {
  if (edit.mode === "set") return sql`${[...new Set(edit.keywords)]}::text[]`;
  if (edit.mode === "add")
    return sql`ARRAY(SELECT k FROM unnest(t."keywords" || ${edit.keywords}::text[]) WITH ORDINALITY AS x(k, o)
      GROUP BY k ORDER BY min(o) LIMIT ${MAX_KEYWORDS_PER_MESSAGE}::int)`;
  return sql`ARRAY(SELECT k FROM unnest(t."keywords") WITH ORDINALITY AS x(k, o)
    WHERE lower(k) <> ALL(${edit.keywords.map((k) => k.toLowerCase())}::text[]) ORDER BY o)`;
}

/**
 * Edits the flags of the folder's messages among `uids`. Returns the
 * messages that changed (new flags and modseq), the uids refused by
 * UNCHANGEDSINCE, every message found as it is now (`current`, for STORE's
 * untagged FETCH) and the folder's state after the change (null when
 * nothing changed). Unknown uids are ignored.
 *
 * One statement, so one round trip and no transaction held open across
 * round trips (under load each costs several milliseconds, during which the
 * folder row stays locked for every other writer). Lock order as in
 * lock-messages.ts: the Message rows by id (all of them: the total below
 * reads every one) before the Mailbox row.
 */
export async function setMessageFlags(
  accountId: string,
  mailboxId: string,
  uids: number[],
  edit: FlagEdit,
  unchangedSince: bigint | null = null,
): Promise<{
  changed: MessageFlagState[];
  modified: number[];
  current: MessageFlagState[];
  mailbox: ChangedMailbox | null;
}> {
  if (!isUuid(mailboxId) || uids.length === 0)
    return { changed: [], modified: [], current: [], mailbox: null };
  const since = unchangedSince === null ? null : unchangedSince.toString();
  const [seen, flagged, answered, draft, deleted] = SYSTEM.map((f) => nextFlag(edit, f));
  const statement = sql`
    WITH target AS (
      SELECT m."id", m."uid", m."seen", m."flagged", m."answered", m."draft", m."deleted", m."keywords", m."modseq"
      FROM "Message" m WHERE m."accountId" = ${accountId}::uuid AND m."mailboxId" = ${mailboxId}::uuid
        AND m."uid" = ANY(${uids}::int[])
      ORDER BY m."id" FOR UPDATE
    ), next AS (
      SELECT t.*, (${since}::int8 IS NOT NULL AND t."modseq" > ${since}::int8) AS "refused",
        ${seen} AS "nSeen", ${flagged} AS "nFlagged", ${answered} AS "nAnswered", ${draft} AS "nDraft",
        ${deleted} AS "nDeleted", ${nextKeywords(edit)} AS "nKeywords"
      FROM target t
    ), changing AS (
      SELECT * FROM next n WHERE NOT n."refused"
        AND (n."nSeen", n."nFlagged", n."nAnswered", n."nDraft", n."nDeleted", n."nKeywords")
          IS DISTINCT FROM (n."seen", n."flagged", n."answered", n."draft", n."deleted", n."keywords")
    ), total AS (
      SELECT count(*)::int AS n,
        COALESCE(sum(CASE WHEN c."seen" = c."nSeen" THEN 0 WHEN c."nSeen" THEN -1 ELSE 1 END), 0)::int AS unread
      FROM changing c
    ), box AS (
      -- RFC 7162 §3.1: one new mod-sequence for the change, given to every changed message.
      UPDATE "Mailbox" b SET "highestModseq" = b."highestModseq" + 1, "unreadCount" = b."unreadCount" + total.unread
      FROM total
      WHERE total.n > 0 AND b."accountId" = ${accountId}::uuid AND b."id" = ${mailboxId}::uuid
      RETURNING b."highestModseq", b."uidNext", b."messageCount", ${notifyUpdatedMailboxSql(accountId, "flags")} AS sent
    ), updated AS (
      UPDATE "Message" m SET "seen" = c."nSeen", "flagged" = c."nFlagged", "answered" = c."nAnswered",
        "draft" = c."nDraft", "deleted" = c."nDeleted", "keywords" = c."nKeywords", "modseq" = box."highestModseq"
      FROM changing c, box
      WHERE m."accountId" = ${accountId}::uuid AND m."id" = c."id"
    )
    SELECT n."id"::text AS "id", n."uid", c."id" IS NOT NULL AS "changed", n."refused",
      CASE WHEN c."id" IS NULL THEN n."seen" ELSE n."nSeen" END AS "seen",
      CASE WHEN c."id" IS NULL THEN n."flagged" ELSE n."nFlagged" END AS "flagged",
      CASE WHEN c."id" IS NULL THEN n."answered" ELSE n."nAnswered" END AS "answered",
      CASE WHEN c."id" IS NULL THEN n."draft" ELSE n."nDraft" END AS "draft",
      CASE WHEN c."id" IS NULL THEN n."deleted" ELSE n."nDeleted" END AS "deleted",
      CASE WHEN c."id" IS NULL THEN n."keywords" ELSE n."nKeywords" END AS "keywords",
      n."keywords" AS "oldKeywords",
      (CASE WHEN c."id" IS NULL THEN n."modseq" ELSE box."highestModseq" END)::text AS "modseq",
      box."highestModseq"::text AS "boxModseq", box."uidNext", box."messageCount"
    FROM next n LEFT JOIN changing c ON c."id" = n."id" LEFT JOIN box ON TRUE
    ORDER BY n."uid"`;
  // $Junk / $NotJunk are the user's verdict (lib/spam/training.ts), recorded
  // in the change's transaction; only an edit naming one can give one.
  const teaches = edit.keywords.some((k) => /^\$(not)?junk$/i.test(k));
  let trainingQueued = 0;
  const rows = teaches
    ? await withTransaction(async (client) => {
        const result = (await client.query<ResultRow>(statement.toQuery())).rows;
        trainingQueued = await recordSpamVerdictsWith(
          client,
          accountId,
          result.flatMap((row) => {
            const verdict = row.changed ? keywordVerdict(row.oldKeywords, row.keywords) : null;
            return verdict ? [{ messageId: row.id, verdict }] : [];
          }),
        );
        return result;
      })
    : await query<ResultRow>(statement);
  if (trainingQueued > 0) await trainAfterCommit(accountId);
  const current = rows.map((row): MessageFlagState => ({
    uid: row.uid,
    seen: row.seen,
    flagged: row.flagged,
    answered: row.answered,
    draft: row.draft,
    deleted: row.deleted,
    keywords: row.keywords,
    modseq: BigInt(row.modseq),
  }));
  const box = rows.find((row) => row.boxModseq !== null);
  return {
    changed: current.filter((_, i) => rows[i]!.changed),
    modified: rows.filter((row) => row.refused).map((row) => row.uid),
    current,
    mailbox: box
      ? {
          highestModseq: BigInt(box.boxModseq!),
          uidNext: Number(box.uidNext),
          messageCount: Number(box.messageCount),
        }
      : null,
  };
}
