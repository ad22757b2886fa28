"use server";

// The webmail's actions: each checks the session, parses its input, makes
// one lib call and refreshes the page. Next.js refuses server actions whose
// Origin is not this site, which is their CSRF protection. Lib calls scope
// every id to the signed-in account: a foreign id is "not found".
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { isUserError } from "@/lib/errors";
import { searchMessages } from "@/lib/search/search-messages";
import { deleteMessages, emptyMailbox } from "@/lib/store/delete-messages";
import { createFolder, deleteFolder, renameFolder } from "@/lib/store/folders";
import { listMessages, MAX_PAGE_SIZE } from "@/lib/store/list-messages";
import { MAX_MESSAGES_PER_CHANGE } from "@/lib/store/lock-messages";
import { trustImagesFrom } from "@/lib/store/mail-preferences";
import { moveMessages, moveMessagesToSpecial } from "@/lib/store/move-messages";
import { addMessageSenderEntry } from "@/lib/spam/sender-lists";
import { currentAccount, toRowDto, type MessageRowDto } from "@/app/_server/mail";

export type ActionResult = { ok: true; count?: number; id?: string } | { ok: false; error: string };

const id = z.uuid();
const ids = z.array(id).min(1).max(MAX_MESSAGES_PER_CHANGE);
const folderName = z.string().max(1000);

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
    if (error instanceof z.ZodError) return { ok: false, error: "That request was not valid." };
    if (isUserError(error)) return { ok: false, error: error.message };
    throw error;
  }
}

export async function moveAction(messageIds: string[], folderId: string) {
  return run((a) => moveMessages(a, ids.parse(messageIds), id.parse(folderId)));
}

export async function archiveAction(messageIds: string[]) {
  return run((a) => moveMessagesToSpecial(a, ids.parse(messageIds), "ARCHIVE"));
}

/** Junk moves to Junk; "not junk" back to the Inbox. */
export async function junkAction(messageIds: string[], junk: boolean) {
  return run((a) =>
    moveMessagesToSpecial(a, ids.parse(messageIds), z.boolean().parse(junk) ? "JUNK" : "INBOX"),
  );
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
  return run(async (a) => {
    const { trashed, deleted } = await deleteMessages(a, ids.parse(messageIds));
    return trashed + deleted;
  });
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
  query: z.string().max(500),
  cursor: z.string().max(100),
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
});

export type MorePage = { items: MessageRowDto[]; nextCursor: string | null };

/** The next page of the folder or search the list shows (infinite scroll). */
export async function loadMoreAction(input: {
  folderId: string | null;
  query: string;
  cursor: string;
  /** Re-reading pages already shown (after a live update) asks for as many as there were. */
  limit?: number;
}): Promise<MorePage> {
  const account = await currentAccount();
  const { folderId, query, cursor, limit } = pageInput.parse(input);
  const page = query.trim()
    ? await searchMessages(account.id, query, { cursor, limit })
    : folderId
      ? await listMessages(account.id, folderId, { cursor, limit })
      : { items: [], nextCursor: null };
  return { items: page.items.map(toRowDto), nextCursor: page.nextCursor };
}
