// readMailboxView, the read behind every IMAP session's sync, against a real
// Postgres: with nothing changed it reports nothing; with flag changes only,
// the changed messages and no uid list; whenever messages came or went (even
// when their number stayed the same), the whole uid list again.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { deliverMail } from "../../helpers/mail.ts";

await useTestDatabase();
const { readMailboxView } = await import("../../../lib/store/mailbox-snapshot.ts");
const { setMessageFlags } = await import("../../../lib/store/set-message-flags.ts");
const { expungeMessages } = await import("../../../lib/store/expunge-messages.ts");

test("a known view is read again only as far as the folder changed", async () => {
  const account = await makeAccount("snapshot");
  const copies = [];
  for (let i = 0; i < 4; i++) copies.push(await deliverMail(account.id, { subject: `m${i}` }));
  const mailboxId = copies[0]!.mailboxId;
  const uids = copies.map((c) => c.uid);
  await setMessageFlags(account.id, mailboxId, [uids[2]!], {
    mode: "add",
    system: { seen: true },
    keywords: [],
  });

  const first = await readMailboxView(account.id, mailboxId, null);
  assert.ok(first?.mailbox);
  assert.deepEqual(first.uids, uids);
  assert.equal(first.firstUnseenUid, uids[0]);
  assert.deepEqual(first.changed, []);
  const known = () => ({
    highestModseq: state.highestModseq,
    uidNext: state.uidNext,
    messageCount: state.uids.length,
  });
  const state = {
    highestModseq: first.mailbox.highestModseq,
    uidNext: first.mailbox.uidNext,
    uids,
  };

  // Nothing changed: nothing but the folder row was looked at.
  assert.deepEqual(await readMailboxView(account.id, mailboxId, known()), {
    mailbox: null,
    uids: [],
    changed: [],
    firstUnseenUid: null,
  });

  // Flags only: the changed message, no uid list.
  await setMessageFlags(account.id, mailboxId, [uids[1]!], {
    mode: "add",
    system: { flagged: true },
    keywords: ["$label1"],
  });
  const flagged = await readMailboxView(account.id, mailboxId, known());
  assert.ok(flagged?.mailbox);
  assert.equal(flagged.uids, null);
  assert.deepEqual(
    flagged.changed.map((c) => [c.uid, c.flagged, c.keywords]),
    [[uids[1], true, ["$label1"]]],
  );
  assert.ok(flagged.changed[0]!.modseq > state.highestModseq);
  state.highestModseq = flagged.mailbox.highestModseq;

  // One message expunged and one delivered: the count is the same as before,
  // but the uid list must be read again (uidNext moved).
  await setMessageFlags(account.id, mailboxId, [uids[0]!], {
    mode: "add",
    system: { deleted: true },
    keywords: [],
  });
  assert.deepEqual((await expungeMessages(account.id, mailboxId, null)).expunged, [uids[0]]);
  const added = await deliverMail(account.id, { subject: "m4" });
  const replaced = await readMailboxView(account.id, mailboxId, known());
  assert.ok(replaced?.mailbox);
  assert.equal(replaced.mailbox.messageCount, state.uids.length);
  assert.deepEqual(replaced.uids, [...uids.slice(1), added.uid]);
  state.uids = replaced.uids!;
  state.uidNext = replaced.mailbox.uidNext;
  state.highestModseq = replaced.mailbox.highestModseq;

  // An expunge alone (uidNext unchanged, one fewer message): read again too.
  await setMessageFlags(account.id, mailboxId, [uids[3]!], {
    mode: "add",
    system: { deleted: true },
    keywords: [],
  });
  await expungeMessages(account.id, mailboxId, null);
  const shrunk = await readMailboxView(account.id, mailboxId, known());
  assert.deepEqual(shrunk?.uids, [uids[1], uids[2], added.uid]);

  // A session that still holds an expunged uid (held back during a FETCH)
  // counts it, so its next read gets the whole list.
  const held = await readMailboxView(account.id, mailboxId, {
    ...known(),
    highestModseq: shrunk!.mailbox!.highestModseq - 1n,
  });
  assert.deepEqual(held?.uids, [uids[1], uids[2], added.uid]);

  // Another account's folder is not found.
  const other = await makeAccount("snapshot-other");
  assert.equal(await readMailboxView(other.id, mailboxId, null), null);
  const { db } = await import("../../../lib/db.ts");
  const empty = await db.mailbox.findFirstOrThrow({
    where: { accountId: other.id, specialUse: "INBOX" },
  });
  const emptyView = await readMailboxView(other.id, empty.id, null);
  assert.deepEqual([emptyView?.uids, emptyView?.firstUnseenUid], [[], null]);
});

test("a large unchanged folder is opened from the process copy of its uids, a changed one read again", async () => {
  const account = await makeAccount("snapshot-large");
  const first = await deliverMail(account.id, { subject: "seed" });
  const { mailboxId } = first;
  const { db } = await import("../../../lib/db.ts");
  // 299 more copies of the message, uids 2..300, with the folder's counters
  // as lib/store keeps them.
  await db.$executeRaw`
    INSERT INTO "Message"
    SELECT (jsonb_populate_record(m, jsonb_build_object('id', gen_random_uuid(), 'uid', g))).*
    FROM "Message" m, generate_series(${first.uid + 1}::int, ${first.uid + 299}::int) g
    WHERE m."accountId" = ${account.id}::uuid AND m."mailboxId" = ${mailboxId}::uuid AND m."uid" = ${first.uid}`;
  await db.$executeRaw`
    UPDATE "Mailbox" SET "uidNext" = ${first.uid + 300}, "messageCount" = 300
    WHERE "id" = ${mailboxId}::uuid`;
  const all = Array.from({ length: 300 }, (_, i) => first.uid + i);
  assert.deepEqual((await readMailboxView(account.id, mailboxId, null))?.uids, all);

  // A row removed behind lib/store's back (uidNext and count unchanged): the
  // next open does not read the uids, so it still lists it.
  await db.$executeRaw`
    DELETE FROM "Message" WHERE "accountId" = ${account.id}::uuid AND "uid" = ${first.uid + 5}`;
  assert.deepEqual((await readMailboxView(account.id, mailboxId, null))?.uids, all);

  // Through lib/store the count moves, and the list is read again.
  await setMessageFlags(account.id, mailboxId, [first.uid + 7], {
    mode: "add",
    system: { deleted: true },
    keywords: [],
  });
  await expungeMessages(account.id, mailboxId, null);
  const after = all.filter((uid) => uid !== first.uid + 5 && uid !== first.uid + 7);
  const reopened = await readMailboxView(account.id, mailboxId, {
    highestModseq: 0n,
    uidNext: first.uid + 300,
    messageCount: 300,
  });
  assert.deepEqual(reopened?.uids, after);
  assert.deepEqual((await readMailboxView(account.id, mailboxId, null))?.uids, after);
});
