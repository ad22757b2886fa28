"use server";

// The webmail's actions: each checks the session, parses its input, makes
// one lib call and refreshes the page. Next.js refuses server actions whose
// Origin is not this site, which is their CSRF protection. Lib calls scope
// every id to the signed-in account: a foreign id is "not found".
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { isUserError } from "@/lib/errors";
import { emptyMailbox } from "@/lib/store/delete-messages";
import { createFolder, deleteFolder, renameFolder } from "@/lib/store/folders";
import { MAX_PAGE_SIZE } from "@/lib/store/list-messages";
import { listRows } from "@/lib/store/list-conversations";
import { MAX_MESSAGES_PER_CHANGE } from "@/lib/store/lock-messages";
import { trustImagesFrom } from "@/lib/store/mail-preferences";
import { changeWithUndo, undoChange, type UndoableChange } from "@/lib/store/undo";
import { moveMessagesToSpecial } from "@/lib/store/move-messages";
import { addMessageSenderEntry } from "@/lib/spam/sender-lists";
import { currentAccount, toRowDto, type MessageRowDto } from "@/app/_server/mail";
import { toUndoDto, type UndoDto } from "@/app/_server/undo";

export type ActionResult = { ok: true; count?: number; id?: string } | { ok: false; error: string };
export type ChangeResult =
  { ok: true; count: number; label: string; undo: UndoDto | null } | { ok: false; error: string };

const id = z.uuid();
const ids = z.array(id).min(1).max(MAX_MESSAGES_PER_CHANGE);
const folderName = z.string().max(1000);

function failure(error: unknown): { ok: false; error: string } {
  if (error instanceof z.ZodError) return { ok: false, error: "That request was not valid." };
  if (isUserError(error)) return { ok: false, error: error.message };
  throw error;
}

async function run(
  work: (accountId: string) => Promise<number | string | void>,
): Promise<ActionResult> {
  const account = await currentAccount();
  try {
    const value = await work(account.id);
    revalidatePath("/mail");
    return typeof value === "string"
      ? { ok: true, id: value }
      : { ok: true, count: value ?? undefined };
  } catch (error) {
    return failure(error);
  }
}

// Archive, delete, junk and move answer with what the toast says and, when
// the change can be taken back, its Undo (lib/store/undo.ts).
async function undoable(messageIds: string[], change: UndoableChange): Promise<ChangeResult> {
  const account = await currentAccount();
  try {
    const outcome = await changeWithUndo(account.id, ids.parse(messageIds), change);
    revalidatePath("/mail");
    return { ok: true, count: outcome.count, label: outcome.label, undo: toUndoDto(outcome.undo) };
  } catch (error) {
    return failure(error);
  }
}

export async function moveAction(messageIds: string[], folderId: string) {
  return undoable(messageIds, { kind: "move", folderId: id.parse(folderId) });
}

export async function archiveAction(messageIds: string[]) {
  return undoable(messageIds, { kind: "archive" });
}

/** Junk moves to Junk; "not junk" back to the Inbox. */
export async function junkAction(messageIds: string[], junk: boolean) {
  return undoable(messageIds, { kind: z.boolean().parse(junk) ? "junk" : "not-junk" });
}

/**
 * "Block sender" (the sender's mail goes to Junk from now on, this message
 * too) or "Never send to Junk" (a safe sender). Returns the entry added.
 */
export async function senderListAction(messageId: string, block: boolean) {
  return run(async (a) => {
    const entry = await addMessageSenderEntry(a, id.parse(messageId), block ? "BLOCK" : "SAFE");
    if (block) await moveMessagesToSpecial(a, [messageId], "JUNK");
    return entry;
  });
}

/** To Trash, or for good when already there. */
export async function deleteAction(messageIds: string[]) {
  return undoable(messageIds, { kind: "delete" });
}

/** Undo of the toast (also after a reload, within the window). */
export async function undoAction(undoId: string) {
  return run((a) => undoChange(a, id.parse(undoId)));
}

export async function emptyFolderAction(folderId: string) {
  return run((a) => emptyMailbox(a, id.parse(folderId)));
}

export async function createFolderAction(name: string) {
  return run(async (a) => (await createFolder(a, folderName.parse(name))).id);
}

export async function renameFolderAction(folderId: string, name: string) {
  return run((a) => renameFolder(a, id.parse(folderId), folderName.parse(name)));
}

export async function deleteFolderAction(folderId: string) {
  return run((a) => deleteFolder(a, id.parse(folderId)));
}

export async function trustSenderAction(address: string) {
  return run((a) => trustImagesFrom(a, z.string().max(320).parse(address)));
}

const pageInput = z.object({
  folderId: id.nullable(),
  conversations: z.boolean(),
  query: z.string().max(500),
  cursor: z.string().max(100),
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
});

export type MorePage = { items: MessageRowDto[]; nextCursor: string | null };

/** The next page of the folder or search the list shows (infinite scroll). */
export async function loadMoreAction(input: {
  folderId: string | null;
  /** The list's "Show as conversations" (layout-menu.tsx). */
  conversations: boolean;
  query: string;
  cursor: string;
  /** Re-reading pages already shown (after a live update) asks for as many as there were. */
  limit?: number;
}): Promise<MorePage> {
  const account = await currentAccount();
  const page = await listRows(account.id, pageInput.parse(input));
  return { items: page.items.map(toRowDto), nextCursor: page.nextCursor };
}
