// Saving a draft and sending it, serialised per composer. Each composer has
// an id (made when it opens); a DraftComposition row under that id names the
// composition's current Drafts copy and says whether it was sent. Both a
// save and Send lock the row first, so whatever order they reach the server
// in (an autosave still in flight when Send is pressed, a tab's keepalive
// save after it was sent), a sent message leaves no draft: the save that
// comes second finds the row sent and takes its own copy back out.
//
// Lock order: the DraftComposition row, then Message rows, then the Account
// and Mailbox rows (lib/store/lock-messages.ts).
import type { Tx } from "../db.ts";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import { deleteLocked } from "../store/delete-messages.ts";
import { isUuid } from "../store/list-messages.ts";
import type { LockedMessage } from "../store/lock-messages.ts";

/** How long an untouched composition row is kept: no save arrives a day after Send. */
const COMPOSITION_ROW_DAYS = 1;

export type CompositionRow = { draftId: string | null; sentAt: Date | null };

/** Creates the composition's row if needed and locks it, in the caller's transaction. */
export async function lockComposition(
  tx: Tx,
  accountId: string,
  compositionId: string,
): Promise<CompositionRow> {
  if (!isUuid(compositionId)) throw new UserError("invalid_input", "That composer is not valid.");
  await tx.$executeRaw`
    INSERT INTO "DraftComposition" ("accountId", "id") VALUES (${accountId}::uuid, ${compositionId}::uuid)
    ON CONFLICT DO NOTHING`;
  const [row] = await tx.$queryRaw<CompositionRow[]>`
    SELECT "draftId"::text AS "draftId", "sentAt" FROM "DraftComposition"
    WHERE "accountId" = ${accountId}::uuid AND "id" = ${compositionId}::uuid FOR UPDATE`;
  return row!;
}

/** Deletes those of `ids` that are the account's drafts (others are left alone), in the caller's transaction. */
export async function deleteDraftsLocked(
  tx: Tx,
  accountId: string,
  ids: (string | null | undefined)[],
): Promise<void> {
  const valid = [...new Set(ids.filter((id): id is string => !!id && isUuid(id)))];
  if (valid.length === 0) return;
  const rows = await tx.$queryRaw<LockedMessage[]>`
    SELECT m."id"::text AS "id", m."mailboxId"::text AS "mailboxId", m."uid", m."seen", m."flagged", m."size", m."receivedAt"
    FROM "Message" m JOIN "Mailbox" b ON b."accountId" = m."accountId" AND b."id" = m."mailboxId"
    WHERE m."accountId" = ${accountId}::uuid AND m."id" = ANY(${valid}::uuid[]) AND b."specialUse" = 'DRAFTS'
    ORDER BY m."id" FOR UPDATE OF m`;
  await deleteLocked(
    tx,
    accountId,
    rows.map((r) => ({ ...r, size: Number(r.size) })),
  );
}

/**
 * Makes `newDraftId` (already filed in Drafts) the composition's draft and
 * deletes the copies it replaces. When the composition was sent meanwhile,
 * deletes the new copy instead and throws UserError "invalid_input".
 */
export async function adoptDraft(
  accountId: string,
  compositionId: string,
  newDraftId: string,
  previousDraftId: string | null,
): Promise<void> {
  const sent = await db.$transaction(async (tx) => {
    const row = await lockComposition(tx, accountId, compositionId);
    if (row.sentAt) {
      await deleteDraftsLocked(tx, accountId, [newDraftId]);
      return true;
    }
    await deleteDraftsLocked(
      tx,
      accountId,
      [row.draftId, previousDraftId].filter((id) => id !== newDraftId),
    );
    await tx.$executeRaw`
      UPDATE "DraftComposition" SET "draftId" = ${newDraftId}::uuid, "updatedAt" = now()
      WHERE "accountId" = ${accountId}::uuid AND "id" = ${compositionId}::uuid`;
    return false;
  });
  // Thrown after the commit: the copy's deletion must not roll back with it.
  if (sent)
    throw new UserError("invalid_input", "This message has been sent: its draft is not kept.");
}

/**
 * Send's half, in the send's transaction: marks the composition sent
 * (refusing a second Send of it) and deletes its draft. Sweeps the
 * account's old rows.
 */
export async function consumeComposition(
  tx: Tx,
  accountId: string,
  compositionId: string | null,
  draftId: string | null,
): Promise<void> {
  if (compositionId) {
    const row = await lockComposition(tx, accountId, compositionId);
    if (row.sentAt) throw new UserError("invalid_input", "This message has already been sent.");
    await tx.$executeRaw`
      UPDATE "DraftComposition" SET "sentAt" = now(), "draftId" = NULL, "updatedAt" = now()
      WHERE "accountId" = ${accountId}::uuid AND "id" = ${compositionId}::uuid`;
    await deleteDraftsLocked(tx, accountId, [row.draftId, draftId]);
  } else {
    await deleteDraftsLocked(tx, accountId, [draftId]);
  }
  await tx.$executeRaw`
    DELETE FROM "DraftComposition" WHERE "accountId" = ${accountId}::uuid
      AND "updatedAt" < now() - make_interval(days => ${COMPOSITION_ROW_DAYS})`;
}
