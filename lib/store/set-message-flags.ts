// Flag changes by uid, as IMAP STORE makes them (RFC 3501 §6.4.6): set, add
// or remove system flags and keywords on a folder's messages. Same rules as
// the webmail's updateFlags: unreadCount kept exact, one new highestModseq
// for the change, given to every changed message (RFC 7162 §3.1), NOTIFY.
// RFC 7162 §3.1.3 UNCHANGEDSINCE: messages changed after that mod-sequence
// are left alone and reported back. Adding $Junk or $NotJunk trains the
// spam classifier (lib/spam/training.ts).
import { db } from "../db.ts";
import type { MessageFlags } from "./deliver.ts";
import type { MessageFlagState } from "./mailbox-snapshot.ts";
import { isUuid } from "./list-messages.ts";
import { notifyUpdatedMailbox } from "./notify-change.ts";
import { keywordVerdict, recordSpamVerdicts, trainAfterCommit } from "../spam/training.ts";

/** Keywords one message may carry: clients use a handful ($Forwarded, $Junk, labels). */
export const MAX_KEYWORDS_PER_MESSAGE = 50;

export type FlagEdit = {
  mode: "set" | "add" | "remove";
  system: Partial<Record<"seen" | "flagged" | "answered" | "draft" | "deleted", true>>;
  keywords: string[];
};

type Row = MessageFlags & { id: string; uid: number; modseq: bigint };

const SYSTEM = ["seen", "flagged", "answered", "draft", "deleted"] as const;

function applyEdit(row: Row, edit: FlagEdit): MessageFlags {
  const next: MessageFlags = { ...row, keywords: [...row.keywords] };
  for (const flag of SYSTEM) {
    const named = edit.system[flag] === true;
    if (edit.mode === "set") next[flag] = named;
    else if (named) next[flag] = edit.mode === "add";
  }
  if (edit.mode === "set") next.keywords = [...new Set(edit.keywords)];
  else if (edit.mode === "add")
    next.keywords = [...new Set([...next.keywords, ...edit.keywords])].slice(
      0,
      MAX_KEYWORDS_PER_MESSAGE,
    );
  else {
    const gone = new Set(edit.keywords.map((k) => k.toLowerCase()));
    next.keywords = next.keywords.filter((k) => !gone.has(k.toLowerCase()));
  }
  return next;
}

function sameFlags(a: MessageFlags, b: MessageFlags): boolean {
  return (
    SYSTEM.every((f) => a[f] === b[f]) &&
    a.keywords.length === b.keywords.length &&
    a.keywords.every((k, i) => k === b.keywords[i])
  );
}

/**
 * Edits the flags of the folder's messages among `uids`. Returns the
 * messages that changed (new flags and modseq) and the uids refused by
 * UNCHANGEDSINCE. Unknown uids are ignored.
 */
export async function setMessageFlags(
  accountId: string,
  mailboxId: string,
  uids: number[],
  edit: FlagEdit,
  unchangedSince: bigint | null = null,
): Promise<{ changed: MessageFlagState[]; modified: number[] }> {
  if (!isUuid(mailboxId) || uids.length === 0) return { changed: [], modified: [] };
  let trainingQueued = 0;
  const result = await db.$transaction(async (tx) => {
    // Lock order (lock-messages.ts): Message rows by id, then the Mailbox row.
    const rows = await tx.$queryRaw<Row[]>`
      SELECT "id"::text AS "id", "uid", "seen", "flagged", "answered", "draft", "deleted", "keywords", "modseq"
      FROM "Message" WHERE "accountId" = ${accountId}::uuid AND "mailboxId" = ${mailboxId}::uuid
        AND "uid" = ANY(${uids}::int[])
      ORDER BY "id" FOR UPDATE`;
    const modified: number[] = [];
    const changing: { row: Row; next: MessageFlags }[] = [];
    for (const row of rows) {
      if (unchangedSince !== null && BigInt(row.modseq) > unchangedSince) {
        modified.push(row.uid);
        continue;
      }
      const next = applyEdit(row, edit);
      if (!sameFlags(row, next)) changing.push({ row, next });
    }
    if (changing.length === 0) return { changed: [], modified: modified.sort((a, b) => a - b) };
    const unreadDelta = changing.reduce(
      (n, { row, next }) => n + (row.seen === next.seen ? 0 : next.seen ? -1 : 1),
      0,
    );
    const [box] = await tx.$queryRaw<{ modseq: bigint }[]>`
      UPDATE "Mailbox" SET "highestModseq" = "highestModseq" + 1, "unreadCount" = "unreadCount" + ${unreadDelta}::int
      WHERE "accountId" = ${accountId}::uuid AND "id" = ${mailboxId}::uuid
      RETURNING "highestModseq" AS modseq, ${notifyUpdatedMailbox(accountId, "flags")} AS sent`;
    const modseq = BigInt(box!.modseq);
    const col = (f: (typeof SYSTEM)[number]) => changing.map(({ next }) => next[f]);
    await tx.$executeRaw`
      UPDATE "Message" m SET "seen" = v.seen, "flagged" = v.flagged, "answered" = v.answered,
        "draft" = v.draft, "deleted" = v.deleted,
        "keywords" = COALESCE((SELECT array_agg(k) FROM jsonb_array_elements_text(v.keywords) AS k), '{}'),
        "modseq" = ${modseq}::int8
      FROM unnest(${changing.map(({ row }) => row.id)}::uuid[], ${col("seen")}::boolean[], ${col("flagged")}::boolean[],
        ${col("answered")}::boolean[], ${col("draft")}::boolean[], ${col("deleted")}::boolean[],
        ${changing.map(({ next }) => JSON.stringify(next.keywords))}::jsonb[])
        AS v(id, seen, flagged, answered, draft, deleted, keywords)
      WHERE m."accountId" = ${accountId}::uuid AND m."id" = v.id`;
    // $Junk / $NotJunk are the user's verdict (lib/spam/training.ts).
    trainingQueued = await recordSpamVerdicts(
      tx,
      accountId,
      changing.flatMap(({ row, next }) => {
        const verdict = keywordVerdict(row.keywords, next.keywords);
        return verdict ? [{ messageId: row.id, verdict }] : [];
      }),
    );
    return {
      changed: changing
        .map(({ row, next }) => ({ ...next, uid: row.uid, modseq }))
        .sort((a, b) => a.uid - b.uid),
      modified: modified.sort((a, b) => a - b),
    };
  });
  if (trainingQueued > 0) await trainAfterCommit(accountId);
  return result;
}
