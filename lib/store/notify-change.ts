// Change notifications sent by the organising side of lib/store (flags,
// moves, deletes, folders). Same channel and payload shape as deliveries
// (changes.ts): {accountId, mailboxId, kind}; listeners that only care that
// "something changed in this folder" (the webmail's live updates) read just
// those fields. pg_notify inside the transaction means listeners hear of a
// change when it commits, never of one rolled back.
import type { Tx } from "../db.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { MAIL_CHANGES_CHANNEL } from "./changes.ts";
import { Sql } from "../db/sql.ts";

export type MailboxChangeKind =
  /** Messages moved in from another folder. */
  | "added"
  /** Messages moved out or deleted. */
  | "removed"
  /** Flags (read, flagged) changed. */
  | "flags"
  /** The folder itself was created, renamed or deleted (mailboxId may be gone). */
  | "mailbox";

/** Queues one notification per folder in the caller's transaction. */
export async function notifyMailboxChanges(
  tx: Tx,
  accountId: string,
  mailboxIds: string[],
  kind: MailboxChangeKind,
): Promise<void> {
  if (mailboxIds.length === 0) return;
  await tx.$queryRaw`
    SELECT pg_notify(${MAIL_CHANGES_CHANNEL}, json_build_object(
      'accountId', ${accountId}::text, 'mailboxId', b.id, 'kind', ${kind}::text)::text)::text AS sent
    FROM unnest(${mailboxIds}::text[]) AS b(id)`;
}

/** The pieces of notifyUpdatedMailbox's SQL around its values (channel, accountId, kind). */
const UPDATED_MAILBOX_NOTIFY = [
  "pg_notify(",
  ", json_build_object('accountId', ",
  "::text, 'mailboxId', \"id\"::text, 'kind', ",
  "::text)::text)::text",
];

/**
 * SQL for the RETURNING of an UPDATE of one "Mailbox" row: queues that
 * folder's notification in the same statement (one round trip fewer than
 * notifyMailboxChanges after it; same payload).
 */
export function notifyUpdatedMailbox(accountId: string, kind: MailboxChangeKind): Prisma.Sql {
  return Prisma.sql(UPDATED_MAILBOX_NOTIFY, MAIL_CHANGES_CHANNEL, accountId, kind);
}

/** notifyUpdatedMailbox for statements of the plain pg pool (lib/db/sql.ts). */
export function notifyUpdatedMailboxSql(accountId: string, kind: MailboxChangeKind): Sql {
  return new Sql(UPDATED_MAILBOX_NOTIFY, [MAIL_CHANGES_CHANNEL, accountId, kind]);
}
