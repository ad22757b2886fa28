// Folder subscriptions (RFC 3501 §6.3.6, RFC 9051 §6.3.9): which folder
// names a client shows. Kept by name, apart from the folders: deleting a
// folder leaves its subscription (the server "MUST NOT unilaterally remove
// an existing mailbox name from the subscription list"), which LIST
// (SUBSCRIBED) then shows as \NonExistent (RFC 5258 §3.4); renaming a folder
// moves the subscriptions of it and of the folders below it (folders.ts).
import { db, type Tx } from "../db.ts";

/** Subscribes or unsubscribes a name (a folder's stored name; case is ignored). */
export async function setFolderSubscribed(
  accountId: string,
  name: string,
  subscribed: boolean,
): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`
      DELETE FROM "FolderSubscription"
      WHERE "accountId" = ${accountId}::uuid AND lower("name") = lower(${name})`;
    if (subscribed) await subscribeName(tx, accountId, name);
  });
}

/** Adds a subscription in the caller's transaction (a new folder of the webmail). */
export async function subscribeName(tx: Tx, accountId: string, name: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO "FolderSubscription" ("accountId", "name")
    SELECT ${accountId}::uuid, ${name}
    WHERE NOT EXISTS (SELECT 1 FROM "FolderSubscription"
      WHERE "accountId" = ${accountId}::uuid AND lower("name") = lower(${name}))`;
}

/** Renames the subscriptions of `from` and of the names below it, in the rename's transaction. */
export async function renameSubscriptions(
  tx: Tx,
  accountId: string,
  from: string,
  to: string,
): Promise<void> {
  const prefix = `${from.toLowerCase()}/`;
  await tx.$executeRaw`
    UPDATE "FolderSubscription" SET "name" = ${to} || substr("name", ${from.length + 1}::int)
    WHERE "accountId" = ${accountId}::uuid
      AND (lower("name") = lower(${from}) OR left(lower("name"), ${prefix.length}::int) = ${prefix})`;
}

/** The account's subscribed names, as stored. */
export async function listSubscriptions(accountId: string): Promise<string[]> {
  const rows = await db.folderSubscription.findMany({
    where: { accountId },
    select: { name: true },
    orderBy: { name: "asc" },
  });
  return rows.map((r) => r.name);
}
