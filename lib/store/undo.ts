// Undoable webmail changes: archive, delete (to Trash), move, junk / not
// junk, mark read / unread. Each runs in one transaction that also writes an
// UndoRecord: per changed message, the folder it was in and whether it was
// read. Undo takes the record (DELETE ... RETURNING, so two tabs or two
// instances cannot both revert it) and puts every message that still exists
// back as it was, in that same transaction. Only the account's newest change
// can be undone (as in Gmail): recording one drops the account's older
// records, expired or not, so the table holds at most one row per account.
//
// Deleting for good (Delete in Trash) cannot be undone: the copy is gone.
import { z } from "zod";
import { UNDO_WINDOW_SECONDS } from "../config/limits.ts";
import { db, type Tx } from "../db.ts";
import { UserError } from "../errors.ts";
import type { SpecialUse } from "../generated/prisma/enums.ts";
import { trashOrDeleteLocked } from "./delete-messages.ts";
import { newUuidV7 } from "./ids.ts";
import { isUuid } from "./list-messages.ts";
import { lockMessages, type LockedMessage } from "./lock-messages.ts";
import { moveLockedMessages, specialMailboxId } from "./move-messages.ts";
import { trainAfterCommit } from "../spam/training.ts";
import { updateLockedFlags } from "./update-flags.ts";

export type UndoableChange =
  | { kind: "archive" }
  | { kind: "delete" }
  | { kind: "junk" }
  | { kind: "not-junk" }
  | { kind: "move"; folderId: string }
  | { kind: "seen"; seen: boolean };

/** An Undo the user may still press. */
export type UndoOffer = { id: string; label: string; expiresAt: Date };

export type ChangeOutcome = {
  /** Messages the change applied to (found and the account's). */
  count: number;
  /** What the toast says. */
  label: string;
  /** Null when nothing can be undone (all deleted for good, or nothing changed). */
  undo: UndoOffer | null;
};

const entriesSchema = z.array(
  z.object({ id: z.string(), mailboxId: z.string(), seen: z.boolean() }),
);
type UndoEntry = z.infer<typeof entriesSchema>[number];

const SPECIAL_TARGET: Record<"archive" | "junk" | "not-junk", SpecialUse> = {
  archive: "ARCHIVE",
  junk: "JUNK",
  "not-junk": "INBOX",
};

const messages = (n: number) => (n === 1 ? "Message" : `${n} messages`);

/**
 * Applies `change` to the account's messages among `ids` and records how to
 * undo it. Throws UserError "not_found" when no id is the account's, or the
 * target folder is not.
 */
export async function changeWithUndo(
  accountId: string,
  ids: string[],
  change: UndoableChange,
): Promise<ChangeOutcome> {
  if (change.kind === "move" && !isUuid(change.folderId)) {
    throw new UserError("not_found", "No such folder.");
  }
  const outcome = await db.$transaction(async (tx) => {
    const rows = await lockMessages(tx, accountId, ids);
    return applyLocked(tx, accountId, rows, change);
  });
  // A move into or out of Junk recorded the user's verdict: the models learn it now.
  await trainAfterCommit(accountId);
  return outcome;
}

/**
 * changeWithUndo on rows already locked, in the caller's transaction (the
 * bulk jobs use it for each batch, with `record` false: a job's Undo is
 * its own).
 */
export async function applyLocked(
  tx: Tx,
  accountId: string,
  rows: LockedMessage[],
  change: UndoableChange,
  record = true,
): Promise<ChangeOutcome & { changed: LockedMessage[] }> {
  const n = messages(rows.length);
  let changed: LockedMessage[];
  let label: string;
  switch (change.kind) {
    case "seen":
      changed = await updateLockedFlags(tx, accountId, rows, { seen: change.seen });
      label = `${n} marked as ${change.seen ? "read" : "unread"}.`;
      break;
    case "delete": {
      const { trashed, deleted } = await trashOrDeleteLocked(tx, accountId, rows);
      changed = trashed;
      label =
        deleted === 0
          ? `${n} moved to Trash.`
          : trashed.length === 0
            ? `${n} deleted forever.`
            : `${messages(trashed.length)} moved to Trash, ${deleted} deleted forever.`;
      break;
    }
    case "move": {
      const [box] = await tx.$queryRaw<{ name: string }[]>`
        SELECT "name" FROM "Mailbox" WHERE "accountId" = ${accountId}::uuid AND "id" = ${change.folderId}::uuid`;
      if (!box) throw new UserError("not_found", "No such folder.");
      changed = rows.filter((r) => r.mailboxId !== change.folderId);
      await moveLockedMessages(tx, accountId, rows, change.folderId);
      label = `${n} moved to ${box.name}.`;
      break;
    }
    default: {
      const target = await specialMailboxId(tx, accountId, SPECIAL_TARGET[change.kind]);
      changed = rows.filter((r) => r.mailboxId !== target);
      await moveLockedMessages(tx, accountId, rows, target);
      label =
        change.kind === "archive"
          ? `${n} archived.`
          : change.kind === "junk"
            ? `${n} marked as junk.`
            : `${n} moved to the Inbox.`;
    }
  }
  const undo = record ? await recordUndo(tx, accountId, label, changed) : null;
  return { count: rows.length, label, undo, changed };
}

/**
 * Writes the undo record for `before` (the changed rows as they were), in
 * the caller's transaction, replacing the account's older ones.
 */
export async function recordUndo(
  tx: Tx,
  accountId: string,
  label: string,
  before: Pick<LockedMessage, "id" | "mailboxId" | "seen">[],
): Promise<UndoOffer | null> {
  await tx.$executeRaw`DELETE FROM "UndoRecord" WHERE "accountId" = ${accountId}::uuid`;
  if (before.length === 0) return null;
  const entries: UndoEntry[] = before.map((r) => ({
    id: r.id,
    mailboxId: r.mailboxId,
    seen: r.seen,
  }));
  const id = newUuidV7();
  const [row] = await tx.$queryRaw<{ expiresAt: Date }[]>`
    INSERT INTO "UndoRecord" ("accountId", "id", "label", "entries", "expiresAt")
    VALUES (${accountId}::uuid, ${id}::uuid, ${label}, ${JSON.stringify(entries)}::jsonb,
      now() + make_interval(secs => ${UNDO_WINDOW_SECONDS}))
    RETURNING "expiresAt"`;
  return { id, label, expiresAt: row!.expiresAt };
}

/** The account's change that can still be undone, if any (the toast after a reload). */
export async function latestUndo(accountId: string): Promise<UndoOffer | null> {
  const [row] = await db.$queryRaw<UndoOffer[]>`
    SELECT "id"::text AS "id", "label", "expiresAt" FROM "UndoRecord"
    WHERE "accountId" = ${accountId}::uuid AND "expiresAt" > now()
    ORDER BY "createdAt" DESC LIMIT 1`;
  return row ?? null;
}

/**
 * Undo: puts every message of the record that still exists back in the
 * folder it was in, read or unread as it was. Returns how many were put
 * back. UserError "not_found" once the record is used, expired or not the
 * account's.
 */
export async function undoChange(accountId: string, undoId: string): Promise<number> {
  if (!isUuid(undoId)) throw new UserError("not_found", "That can no longer be undone.");
  const restored = await db.$transaction(async (tx) => {
    const [record] = await tx.$queryRaw<{ entries: unknown }[]>`
      DELETE FROM "UndoRecord"
      WHERE "accountId" = ${accountId}::uuid AND "id" = ${undoId}::uuid AND "expiresAt" > now()
      RETURNING "entries"`;
    if (!record) throw new UserError("not_found", "That can no longer be undone.");
    return restoreEntries(tx, accountId, entriesSchema.parse(record.entries));
  });
  // Undoing a Junk move takes its verdict back too.
  await trainAfterCommit(accountId);
  return restored;
}

/** Puts messages back as `entries` say they were, in the caller's transaction. */
export async function restoreEntries(
  tx: Tx,
  accountId: string,
  entries: UndoEntry[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const before = new Map(entries.map((e) => [e.id, e]));
  let rows: LockedMessage[];
  try {
    rows = await lockMessages(tx, accountId, [...before.keys()]);
  } catch (error) {
    // Every one of them was deleted for good since: nothing to put back.
    if (error instanceof UserError && error.code === "not_found") return 0;
    throw error;
  }
  // Read state first (counted in the folder each message is in now), then
  // the folders, moving each message with its restored read state.
  for (const seen of [true, false]) {
    const flipping = rows.filter((r) => before.get(r.id)!.seen === seen && r.seen !== seen);
    await updateLockedFlags(tx, accountId, flipping, { seen });
  }
  const restored = rows.map((r) => ({ ...r, seen: before.get(r.id)!.seen }));
  // A folder deleted since: its messages go back to the Inbox.
  const folders = await tx.$queryRaw<{ id: string; specialUse: string | null }[]>`
    SELECT "id"::text AS "id", "specialUse"::text AS "specialUse" FROM "Mailbox"
    WHERE "accountId" = ${accountId}::uuid`;
  const existing = new Set(folders.map((f) => f.id));
  const inbox = folders.find((f) => f.specialUse === "INBOX")?.id;
  const targets = new Map<string, LockedMessage[]>();
  for (const row of restored) {
    const wanted = before.get(row.id)!.mailboxId;
    const target = existing.has(wanted) ? wanted : inbox;
    if (!target || target === row.mailboxId) continue;
    targets.set(target, [...(targets.get(target) ?? []), row]);
  }
  // Targets in id order: the Mailbox lock order of lock-messages.ts.
  for (const target of [...targets.keys()].sort()) {
    await moveLockedMessages(tx, accountId, targets.get(target)!, target);
  }
  return rows.length;
}
