// Snooze and pin against a real Postgres: a snoozed message waits in the
// Snoozed folder and comes back to the Inbox unread when due, counters
// exact; concurrent wake-up rounds (several gateways) wake each message
// once; pins head the folder's first page and leave the pages below.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { deliverMail } from "../../helpers/mail.ts";
import { assertUserError } from "../../helpers/user-error.ts";
import { assertCountersExact } from "../../helpers/folder-counters.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { snoozeMessages, unsnoozeMessages, wakeDueSnoozes, snoozeTimes } =
  await import("../../../lib/store/snooze.ts");
const { setPinned } = await import("../../../lib/store/pins.ts");
const { listMessages } = await import("../../../lib/store/list-messages.ts");
const { updateFlags } = await import("../../../lib/store/update-flags.ts");
const { listMailboxes } = await import("../../../lib/store/read-mailboxes.ts");

async function fill(accountId: string, n: number) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const copy = await deliverMail(
      accountId,
      { subject: `M${i}` },
      new Date(Date.now() - (n - i) * 60_000),
    );
    ids.push(copy.messageId);
  }
  return ids;
}

const folderOf = async (id: string) =>
  (await db.message.findFirstOrThrow({ where: { id }, include: { mailbox: true } })).mailbox;

test("a snoozed message waits in Snoozed, then comes back to the Inbox unread and on top", async () => {
  const account = await makeAccount("snoozer");
  const [a, b, c] = await fill(account.id, 3);
  await updateFlags(account.id, [a!], { seen: true });
  const until = new Date(Date.now() + 3_600_000);
  assert.equal(await snoozeMessages(account.id, [a!, b!], until), 2);
  assert.equal((await folderOf(a!)).specialUse, "SNOOZED");
  assert.equal((await folderOf(a!)).name, "Snoozed");
  assert.deepEqual((await snoozeTimes(account.id, [a!, c!])).get(a!), until);
  const folders = await listMailboxes(account.id);
  assert.deepEqual(
    folders.slice(0, 2).map((f) => f.specialUse),
    ["INBOX", "SNOOZED"],
    "Snoozed sits below the Inbox",
  );
  await assertCountersExact(account.id);

  // Not due yet: nothing moves.
  assert.equal(await wakeDueSnoozes(), 0);
  assert.equal((await folderOf(a!)).specialUse, "SNOOZED");

  const later = new Date(until.getTime() + 1000);
  assert.equal(await wakeDueSnoozes(later), 2);
  const back = await db.message.findFirstOrThrow({ where: { id: a! }, include: { mailbox: true } });
  assert.equal(back.mailbox.specialUse, "INBOX");
  assert.equal(back.seen, false, "back as unread");
  assert.deepEqual(back.receivedAt, later, "sorted as new mail");
  const inbox = await listMessages(account.id, back.mailboxId);
  assert.deepEqual(
    inbox.items.map((m) => m.subject).slice(2),
    ["M2"],
    "the woken messages head the Inbox",
  );
  assert.equal(await db.snoozedMessage.count({ where: { accountId: account.id } }), 0);
  await assertCountersExact(account.id);
});

test("concurrent wake-up rounds wake each message once; a message moved meanwhile stays put", async () => {
  const account = await makeAccount("many-snoozes");
  const ids = await fill(account.id, 30);
  await snoozeMessages(account.id, ids, new Date(Date.now() + 60_000));
  // The user files one snoozed message elsewhere: it is not pulled back.
  const archive = await db.mailbox.findFirstOrThrow({
    where: { accountId: account.id, specialUse: "ARCHIVE" },
  });
  const { moveMessages } = await import("../../../lib/store/move-messages.ts");
  await moveMessages(account.id, [ids[0]!], archive.id);

  const later = new Date(Date.now() + 120_000);
  const rounds = await Promise.all([1, 2, 3, 4].map(() => wakeDueSnoozes(later)));
  assert.equal(
    rounds.reduce((n, r) => n + r, 0),
    30,
    "every snooze claimed by exactly one round",
  );
  const inbox = await db.mailbox.findFirstOrThrow({
    where: { accountId: account.id, specialUse: "INBOX" },
  });
  assert.equal(inbox.messageCount, 29);
  assert.equal((await folderOf(ids[0]!)).specialUse, "ARCHIVE");
  await assertCountersExact(account.id);
});

test("snooze refuses past times and foreign messages; unsnooze brings one back now", async () => {
  const account = await makeAccount("snooze-rules");
  const other = await makeAccount("snooze-other");
  const [mine] = await fill(account.id, 1);
  const [theirs] = await fill(other.id, 1);
  await assertUserError(
    snoozeMessages(account.id, [mine!], new Date(Date.now() - 1000)),
    "invalid_input",
  );
  await assertUserError(
    snoozeMessages(account.id, [theirs!], new Date(Date.now() + 60_000)),
    "not_found",
  );
  await assertUserError(unsnoozeMessages(account.id, [mine!]), "not_found");
  await snoozeMessages(account.id, [mine!], new Date(Date.now() + 60_000));
  assert.equal(await unsnoozeMessages(account.id, [mine!]), 1);
  assert.equal((await folderOf(mine!)).specialUse, "INBOX");
  assert.equal((await folderOf(theirs!)).specialUse, "INBOX");
  await assertCountersExact(account.id);
});

test("a user folder called Snoozed is left alone", async () => {
  const account = await makeAccount("has-snoozed");
  const { createFolder } = await import("../../../lib/store/folders.ts");
  const own = await createFolder(account.id, "Snoozed");
  const [m] = await fill(account.id, 1);
  await snoozeMessages(account.id, [m!], new Date(Date.now() + 60_000));
  const folder = await folderOf(m!);
  assert.notEqual(folder.id, own.id);
  assert.equal(folder.name, "Snoozed 2");
});

test("pinned messages head the first page and are not repeated below", async () => {
  const account = await makeAccount("pinner");
  const ids = await fill(account.id, 5);
  const inbox = await db.mailbox.findFirstOrThrow({
    where: { accountId: account.id, specialUse: "INBOX" },
  });
  await setPinned(account.id, [ids[1]!], true);
  await setPinned(account.id, [ids[0]!], true);
  const first = await listMessages(account.id, inbox.id, { limit: 2 });
  assert.deepEqual(
    first.items.map((m) => [m.subject, m.pinned]),
    [
      ["M0", true],
      ["M1", true],
      ["M4", false],
      ["M3", false],
    ],
  );
  const second = await listMessages(account.id, inbox.id, { limit: 2, cursor: first.nextCursor });
  assert.deepEqual(
    second.items.map((m) => m.subject),
    ["M2"],
  );
  await setPinned(account.id, [ids[0]!], false);
  const after = await listMessages(account.id, inbox.id);
  assert.deepEqual(
    after.items.map((m) => m.subject),
    ["M1", "M4", "M3", "M2", "M0"],
  );
  const other = await makeAccount("pin-other");
  await assertUserError(setPinned(other.id, [ids[2]!], true), "not_found");
});
