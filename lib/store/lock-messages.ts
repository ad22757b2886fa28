// Row locking shared by the organising writes (flags, moves, deletes).
//
// Lock order, to never deadlock with each other or with deliveries
// (deliver.ts locks Account, then the Inbox's Mailbox row):
//   1. the Message rows, by id;  2. the Account row;  3. Mailbox rows, by id.
// A delivery never waits for a Message row, so it cannot close a cycle.
import type { Tx } from "../db.ts";
import { UserError } from "../errors.ts";
import { isUuid } from "./list-messages.ts";

export type LockedMessage = {
  id: string;
  mailboxId: string;
  uid: number;
  seen: boolean;
  flagged: boolean;
  size: number;
  receivedAt: Date;
};

/** Most messages one request may act on (a selection, not a folder). */
export const MAX_MESSAGES_PER_CHANGE = 1000;

/**
 * Locks the account's messages among `ids` (others' ids are simply not
 * found). Throws UserError "not_found" when none is found, so a request
 * made only of foreign or stale ids answers 404. Runs in the caller's
 * transaction.
 */
export async function lockMessages(
  tx: Tx,
  accountId: string,
  ids: string[],
): Promise<LockedMessage[]> {
  const valid = [...new Set(ids.filter(isUuid))].slice(0, MAX_MESSAGES_PER_CHANGE);
  const rows =
    valid.length === 0
      ? []
      : await tx.$queryRaw<LockedMessage[]>`
          SELECT "id"::text AS "id", "mailboxId"::text AS "mailboxId", "uid", "seen", "flagged", "size", "receivedAt"
          FROM "Message" WHERE "accountId" = ${accountId}::uuid AND "id" = ANY(${valid}::uuid[])
          ORDER BY "id" FOR UPDATE`;
  if (rows.length === 0) throw new UserError("not_found", "No such message.");
  return rows.map((r) => ({ ...r, size: Number(r.size) }));
}

/**
 * Locks the messages of one of the account's folders by uid (IMAP's handle),
 * optionally only those marked \Deleted. An empty result is not an error:
 * IMAP commands on uids that are gone do nothing (RFC 3501 §6.4.8).
 */
export async function lockMessagesByUid(
  tx: Tx,
  accountId: string,
  mailboxId: string,
  uids: number[] | null,
  onlyDeleted = false,
): Promise<LockedMessage[]> {
  if (!isUuid(mailboxId) || (uids !== null && uids.length === 0)) return [];
  const rows = await tx.$queryRaw<LockedMessage[]>`
    SELECT "id"::text AS "id", "mailboxId"::text AS "mailboxId", "uid", "seen", "flagged", "size", "receivedAt"
    FROM "Message" WHERE "accountId" = ${accountId}::uuid AND "mailboxId" = ${mailboxId}::uuid
      AND (${uids}::int[] IS NULL OR "uid" = ANY(${uids}::int[])) AND (NOT ${onlyDeleted} OR "deleted")
    ORDER BY "id" FOR UPDATE`;
  return rows.map((r) => ({ ...r, size: Number(r.size) }));
}

/** Locked rows by folder, folders in id order (the lock order for Mailbox rows). */
export function groupByMailbox<T extends { mailboxId: string }>(rows: T[]): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.mailboxId);
    if (group) group.push(row);
    else groups.set(row.mailboxId, [row]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
