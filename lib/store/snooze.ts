// Snooze: a message leaves the Inbox for the Snoozed folder until a chosen
// time, then comes back to the Inbox unread, sorted as new mail (as Gmail and
// Outlook.com do). The time lives in the database (SnoozedMessage), and any
// gateway's scheduled worker wakes due messages, so it works with any number
// of instances and survives restarts.
//
// Lock order (lock-messages.ts, plus one rule): SnoozedMessage rows first,
// then the Message rows, then Mailbox rows. Both snoozing and waking follow
// it, so a re-snooze racing a wake-up waits instead of deadlocking.
import { db, type Tx } from "../db.ts";
import { announceNewMail } from "../push/announce.ts";
import { UserError } from "../errors.ts";
import { lockMessages, type LockedMessage } from "./lock-messages.ts";
import { isUuid } from "./list-messages.ts";
import { newUidValidity } from "./mailboxes.ts";
import { moveLockedMessages, specialMailboxId } from "./move-messages.ts";
import { updateLockedFlags } from "./update-flags.ts";

/** Longest snooze: a year is a reminder, more is archiving. */
export const MAX_SNOOZE_MS = 366 * 24 * 60 * 60 * 1000;
/** Messages one wake-up round moves (per transaction). */
const WAKE_BATCH = 200;

/**
 * The account's Snoozed folder, made on first use in the caller's
 * transaction. A user folder already called "Snoozed" is left alone: the
 * special one takes the next free name.
 */
export async function snoozedMailboxId(tx: Tx, accountId: string): Promise<string> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const [found] = await tx.$queryRaw<{ id: string }[]>`
      SELECT "id"::text AS "id" FROM "Mailbox"
      WHERE "accountId" = ${accountId}::uuid AND "specialUse" = 'SNOOZED'`;
    if (found) return found.id;
    const name = attempt === 1 ? "Snoozed" : `Snoozed ${attempt}`;
    await tx.$executeRaw`
      INSERT INTO "Mailbox" ("accountId", "id", "name", "specialUse", "uidValidity")
      VALUES (${accountId}::uuid, gen_random_uuid(), ${name}, 'SNOOZED', ${newUidValidity()}::int)
      ON CONFLICT DO NOTHING`;
  }
  throw new UserError("invalid_input", "Rename your folders called “Snoozed” first.");
}

/** Locks the snooze rows of `ids` (first in the lock order). */
async function lockSnoozes(tx: Tx, accountId: string, ids: string[]): Promise<void> {
  await tx.$queryRaw`
    SELECT 1 AS x FROM "SnoozedMessage"
    WHERE "accountId" = ${accountId}::uuid AND "messageId" = ANY(${ids.filter(isUuid)}::uuid[])
    ORDER BY "messageId" FOR UPDATE`;
}

/**
 * Snoozes the account's messages among `ids` until `until` (in the future,
 * at most a year ahead): they move to the Snoozed folder. Snoozing a
 * snoozed message again changes its time. Returns how many were snoozed.
 */
export async function snoozeMessages(
  accountId: string,
  ids: string[],
  until: Date,
  now = new Date(),
): Promise<number> {
  if (!(until.getTime() > now.getTime())) {
    throw new UserError("invalid_input", "Choose a time in the future.", "until");
  }
  if (until.getTime() - now.getTime() > MAX_SNOOZE_MS) {
    throw new UserError("invalid_input", "Snooze for at most a year.", "until");
  }
  return db.$transaction(async (tx) => {
    await lockSnoozes(tx, accountId, ids);
    const rows = await lockMessages(tx, accountId, ids);
    const target = await snoozedMailboxId(tx, accountId);
    await moveLockedMessages(tx, accountId, rows, target);
    await tx.$executeRaw`
      INSERT INTO "SnoozedMessage" ("accountId", "messageId", "until")
      SELECT ${accountId}::uuid, v.id, ${until}::timestamptz FROM unnest(${rows.map((r) => r.id)}::uuid[]) AS v(id)
      ON CONFLICT ("accountId", "messageId") DO UPDATE SET "until" = EXCLUDED."until"`;
    return rows.length;
  });
}

/**
 * Brings messages back to the Inbox, unread, in the caller's transaction,
 * after their snooze rows are locked. Only messages still in the Snoozed
 * folder move: one the user has since moved or filed stays where it is.
 * Their arrival time becomes `now`, so they sort as new mail (an IMAP
 * client sees them as new arrivals anyway: a move gives a new uid).
 */
async function wakeLocked(
  tx: Tx,
  accountId: string,
  ids: string[],
  now: Date,
  woken: { accountId: string; messageId: string }[] = [],
): Promise<number> {
  await tx.$executeRaw`
    DELETE FROM "SnoozedMessage"
    WHERE "accountId" = ${accountId}::uuid AND "messageId" = ANY(${ids}::uuid[])`;
  const [snoozed] = await tx.$queryRaw<{ id: string }[]>`
    SELECT "id"::text AS "id" FROM "Mailbox"
    WHERE "accountId" = ${accountId}::uuid AND "specialUse" = 'SNOOZED'`;
  if (!snoozed) return 0;
  // FOR UPDATE re-checks the folder after waiting for a row's lock, so a
  // message moved meanwhile is skipped.
  const rows = (
    await tx.$queryRaw<LockedMessage[]>`
      SELECT "id"::text AS "id", "mailboxId"::text AS "mailboxId", "uid", "seen", "flagged", "size", "receivedAt"
      FROM "Message"
      WHERE "accountId" = ${accountId}::uuid AND "id" = ANY(${ids}::uuid[]) AND "mailboxId" = ${snoozed.id}::uuid
      ORDER BY "id" FOR UPDATE`
  ).map((r) => ({ ...r, size: Number(r.size) }));
  if (rows.length === 0) return 0;
  woken.push(...rows.map((r) => ({ accountId, messageId: r.id })));
  await updateLockedFlags(tx, accountId, rows, { seen: false });
  const inbox = await specialMailboxId(tx, accountId, "INBOX");
  await tx.$executeRaw`
    UPDATE "Message" SET "receivedAt" = ${now}::timestamptz
    WHERE "accountId" = ${accountId}::uuid AND "id" = ANY(${rows.map((r) => r.id)}::uuid[])`;
  return moveLockedMessages(
    tx,
    accountId,
    rows.map((r) => ({ ...r, seen: false, receivedAt: now })),
    inbox,
  );
}

/** "Unsnooze": the account's snoozed messages among `ids` come back now. */
export async function unsnoozeMessages(accountId: string, ids: string[]): Promise<number> {
  return db.$transaction(async (tx) => {
    await lockSnoozes(tx, accountId, ids);
    const found = await tx.$queryRaw<{ id: string }[]>`
      SELECT "messageId"::text AS "id" FROM "SnoozedMessage"
      WHERE "accountId" = ${accountId}::uuid AND "messageId" = ANY(${ids.filter(isUuid)}::uuid[])`;
    if (found.length === 0) throw new UserError("not_found", "No such snoozed message.");
    return wakeLocked(
      tx,
      accountId,
      found.map((r) => r.id),
      new Date(),
    );
  });
}

/**
 * One round of the wake-up job: claims due snoozes of any account with
 * `FOR UPDATE SKIP LOCKED` (so gateways running it at once take different
 * rows and none is woken twice) and brings their messages back. Returns how
 * many snoozes were due. Runs in the gateway's scheduled worker.
 */
export async function wakeDueSnoozes(now = new Date()): Promise<number> {
  const woken: { accountId: string; messageId: string }[] = [];
  const due = await db.$transaction(async (tx) => {
    // No index leads with "until" (every index here leads with accountId):
    // the table holds only messages snoozed right now, so this scan is cheap.
    const due = await tx.$queryRaw<{ accountId: string; messageId: string }[]>`
      SELECT "accountId"::text AS "accountId", "messageId"::text AS "messageId"
      FROM "SnoozedMessage" WHERE "until" <= ${now}::timestamptz
      ORDER BY "accountId", "messageId" LIMIT ${WAKE_BATCH}
      FOR UPDATE SKIP LOCKED`;
    const byAccount = new Map<string, string[]>();
    for (const row of due) {
      byAccount.set(row.accountId, [...(byAccount.get(row.accountId) ?? []), row.messageId]);
    }
    for (const [accountId, ids] of byAccount) await wakeLocked(tx, accountId, ids, now, woken);
    return due.length;
  });
  // A message back from snooze is announced as new mail is (Web Push, after
  // the commit; open tabs hear of it through the move's NOTIFY), in the
  // folders the user has announced. The user's own "Unsnooze" is not.
  announceNewMail(woken);
  return due;
}

/** When each of the account's messages among `ids` is snoozed until. */
export async function snoozeTimes(accountId: string, ids: string[]): Promise<Map<string, Date>> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return new Map();
  const rows = await db.$queryRaw<{ id: string; until: Date }[]>`
    SELECT "messageId"::text AS "id", "until" FROM "SnoozedMessage"
    WHERE "accountId" = ${accountId}::uuid AND "messageId" = ANY(${valid}::uuid[])`;
  return new Map(rows.map((r) => [r.id, r.until]));
}
