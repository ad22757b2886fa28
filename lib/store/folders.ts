// The user's own folders: create, rename, delete. Special folders (Inbox,
// Sent, …) are made with the account (mailboxes.ts) and cannot be renamed or
// deleted. Names are hierarchical with "/" as the delimiter, as IMAP will
// show them (RFC 3501 §5.1.1); renaming a parent renames its children.
import { db, type Tx } from "../db.ts";
import { UserError } from "../errors.ts";
import { assertStorableText } from "../validation/storable-text.ts";
import type { LockedMessage } from "./lock-messages.ts";
import { isUuid } from "./list-messages.ts";
import { newUidValidity } from "./mailboxes.ts";
import { moveLockedMessages, specialMailboxId } from "./move-messages.ts";
import { notifyMailboxChanges } from "./notify-change.ts";
import type { MailboxSummary } from "./read-mailboxes.ts";
import { renameSubscriptions, subscribeName } from "./subscribe-folder.ts";

/** Longest folder name, all levels together: Dovecot and Cyrus allow about this much. */
export const MAX_FOLDER_NAME_LENGTH = 200;
/** Folders one account may have: a bound on the folder pane and IMAP LIST. */
export const MAX_FOLDERS_PER_ACCOUNT = 500;

// Control characters and the IMAP LIST wildcards % and * (RFC 3501 §6.3.8).
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f%*]/;

/**
 * Checks and normalises a folder name: trimmed levels, NFC, no empty level,
 * not INBOX (RFC 3501 §5.1: INBOX is the Inbox in any case). Throws
 * UserError "invalid_input" with a sentence for the user.
 */
export function normalizeFolderName(input: string): string {
  assertStorableText(input, "name");
  const levels = input
    .normalize("NFC")
    .split("/")
    .map((level) => level.trim());
  const name = levels.join("/");
  if (name === "") throw new UserError("invalid_input", "Enter a folder name.", "name");
  if (name.length > MAX_FOLDER_NAME_LENGTH) {
    throw new UserError(
      "invalid_input",
      `Use at most ${MAX_FOLDER_NAME_LENGTH} characters.`,
      "name",
    );
  }
  if (levels.some((level) => level === "" || level === "." || level === "..")) {
    throw new UserError(
      "invalid_input",
      "A folder name cannot have an empty part between slashes.",
      "name",
    );
  }
  if (FORBIDDEN_CHARS.test(name)) {
    throw new UserError(
      "invalid_input",
      "Folder names cannot contain control characters, % or *.",
      "name",
    );
  }
  if (levels[0]!.toLowerCase() === "inbox") {
    throw new UserError("invalid_input", "That name belongs to the Inbox.", "name");
  }
  return name;
}

/** Another folder of the account with this name, ignoring case (IMAP clients mix them up). */
async function nameTaken(
  tx: Tx,
  accountId: string,
  name: string,
  exceptId: string | null,
): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT "id"::text AS "id" FROM "Mailbox"
    WHERE "accountId" = ${accountId}::uuid AND lower("name") = lower(${name})
      AND (${exceptId}::uuid IS NULL OR "id" <> ${exceptId}::uuid)`;
  return rows.length > 0;
}

function isUniqueViolation(error: unknown): boolean {
  const text = String((error as { message?: unknown })?.message ?? error);
  return text.includes("23505") || /unique constraint/i.test(text);
}

/** Locks and returns one of the account's own (non-special) folders. */
async function lockUserFolder(tx: Tx, accountId: string, mailboxId: string) {
  if (!isUuid(mailboxId)) throw new UserError("not_found", "No such folder.");
  const [row] = await tx.$queryRaw<{ id: string; name: string; specialUse: string | null }[]>`
    SELECT "id"::text AS "id", "name", "specialUse"::text AS "specialUse" FROM "Mailbox"
    WHERE "accountId" = ${accountId}::uuid AND "id" = ${mailboxId}::uuid FOR UPDATE`;
  if (!row) throw new UserError("not_found", "No such folder.");
  if (row.specialUse !== null) {
    throw new UserError("invalid_input", `${row.name} is a standard folder and cannot be changed.`);
  }
  return row;
}

/**
 * `subscribed`: whether IMAP LSUB lists it; the webmail's folders are, an
 * IMAP CREATE's are not until the client subscribes (RFC 3501 §6.3.6).
 */
export async function createFolder(
  accountId: string,
  nameInput: string,
  options: { subscribed?: boolean } = {},
): Promise<MailboxSummary> {
  const name = normalizeFolderName(nameInput);
  try {
    return await db.$transaction(async (tx) => {
      const [{ count }] = (await tx.$queryRaw<{ count: bigint }[]>`
        SELECT count(*) AS count FROM "Mailbox" WHERE "accountId" = ${accountId}::uuid`) as [
        { count: bigint },
      ];
      if (count >= BigInt(MAX_FOLDERS_PER_ACCOUNT)) {
        throw new UserError(
          "invalid_input",
          `You can have at most ${MAX_FOLDERS_PER_ACCOUNT} folders.`,
          "name",
        );
      }
      if (await nameTaken(tx, accountId, name, null)) {
        throw new UserError("invalid_input", `A folder named “${name}” already exists.`, "name");
      }
      // RFC 3501 §2.3.1.1: larger than any this name had, even within one second.
      const [{ uidValidity }] = (await tx.$queryRaw<{ uidValidity: number }[]>`
        UPDATE "Account" SET "lastUidValidity" = GREATEST("lastUidValidity" + 1, ${newUidValidity()}::int)
        WHERE "id" = ${accountId}::uuid RETURNING "lastUidValidity" AS "uidValidity"`) as [
        { uidValidity: number },
      ];
      const row = await tx.mailbox.create({
        data: {
          accountId,
          name,
          uidValidity,
        },
        select: { id: true, name: true, specialUse: true, messageCount: true, unreadCount: true },
      });
      if (options.subscribed ?? true) await subscribeName(tx, accountId, name);
      await notifyMailboxChanges(tx, accountId, [row.id], "mailbox");
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new UserError("invalid_input", `A folder named “${name}” already exists.`, "name");
    }
    throw error;
  }
}

/** Renames a folder and every folder below it ("A" -> "B" makes "A/x" "B/x"). */
export async function renameFolder(
  accountId: string,
  mailboxId: string,
  nameInput: string,
): Promise<void> {
  const name = normalizeFolderName(nameInput);
  try {
    await db.$transaction(async (tx) => {
      const folder = await lockUserFolder(tx, accountId, mailboxId);
      if (folder.name === name) return;
      if (name.startsWith(`${folder.name}/`)) {
        throw new UserError("invalid_input", "A folder cannot be moved into itself.", "name");
      }
      if (await nameTaken(tx, accountId, name, folder.id)) {
        throw new UserError("invalid_input", `A folder named “${name}” already exists.`, "name");
      }
      const prefix = `${folder.name}/`;
      const renamed = await tx.$queryRaw<{ id: string }[]>`
        UPDATE "Mailbox" SET "name" = ${name} || substr("name", ${folder.name.length + 1}::int)
        WHERE "accountId" = ${accountId}::uuid
          AND ("id" = ${folder.id}::uuid OR left("name", ${prefix.length}::int) = ${prefix})
        RETURNING "id"::text AS "id"`;
      await renameSubscriptions(tx, accountId, folder.name, name);
      await notifyMailboxChanges(
        tx,
        accountId,
        renamed.map((r) => r.id),
        "mailbox",
      );
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new UserError("invalid_input", `A folder named “${name}” already exists.`, "name");
    }
    throw error;
  }
}

/**
 * Deletes a folder and the folders below it. Their messages are not lost:
 * they move to Trash (deleting there is the step that cannot be undone).
 * Returns how many messages moved.
 */
export async function deleteFolder(accountId: string, mailboxId: string): Promise<number> {
  return db.$transaction(async (tx) => {
    const folder = await lockUserFolder(tx, accountId, mailboxId);
    const prefix = `${folder.name}/`;
    const folders = await tx.$queryRaw<{ id: string }[]>`
      SELECT "id"::text AS "id" FROM "Mailbox"
      WHERE "accountId" = ${accountId}::uuid AND "specialUse" IS NULL
        AND ("id" = ${folder.id}::uuid OR left("name", ${prefix.length}::int) = ${prefix})`;
    const folderIds = folders.map((f) => f.id);
    const rows = await tx.$queryRaw<LockedMessage[]>`
      SELECT "id"::text AS "id", "mailboxId"::text AS "mailboxId", "uid", "seen", "flagged", "size", "receivedAt"
      FROM "Message" WHERE "accountId" = ${accountId}::uuid AND "mailboxId" = ANY(${folderIds}::uuid[])
      ORDER BY "id" FOR UPDATE`;
    const trash = await specialMailboxId(tx, accountId, "TRASH");
    const moved = await moveLockedMessages(
      tx,
      accountId,
      rows.map((r) => ({ ...r, size: Number(r.size) })),
      trash,
    );
    await tx.$executeRaw`
      DELETE FROM "Mailbox" WHERE "accountId" = ${accountId}::uuid AND "id" = ANY(${folderIds}::uuid[])`;
    await notifyMailboxChanges(tx, accountId, folderIds, "mailbox");
    return moved;
  });
}
