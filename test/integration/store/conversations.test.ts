// Conversation rows (lib/store/list-conversations.ts) against a real
// Postgres: one row per thread and folder, ordered by the thread's newest
// message there, with the thread's unread/flag/attachment marks, count,
// senders and ids in that folder; a thread split across folders is a row in
// each; keyset pages walk every thread once; pinned threads head page one;
// search results collapse the same way.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { deliverMail } from "../../helpers/mail.ts";

await useTestDatabase();
const { listConversations, groupSearchPage } =
  await import("../../../lib/store/list-conversations.ts");
const { updateFlags } = await import("../../../lib/store/update-flags.ts");
const { moveMessagesToSpecial } = await import("../../../lib/store/move-messages.ts");
const { listMailboxes } = await import("../../../lib/store/read-mailboxes.ts");
const { setPinned } = await import("../../../lib/store/pins.ts");
const { setLabel } = await import("../../../lib/store/labels.ts");
const { searchMessages } = await import("../../../lib/search/search-messages.ts");

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);

/** A thread: the first message and replies to it, `gaps` minutes ago each. */
async function thread(
  accountId: string,
  name: string,
  ages: number[],
  options: { from?: string[]; attachment?: number } = {},
) {
  const ids: string[] = [];
  const root = `<${name}-${accountId}@example.org>`;
  for (const [i, age] of ages.entries()) {
    const copy = await deliverMail(
      accountId,
      {
        subject: i === 0 ? `${name} topic` : `Re: ${name} topic`,
        from: options.from?.[i] ?? `Sender ${i} <s${i}@example.org>`,
        text: `${name} body ${i}`,
        messageId: i === 0 ? root : `<${name}-${i}-${accountId}@example.org>`,
        inReplyTo: i === 0 ? undefined : root,
        references: i === 0 ? undefined : root,
        attachments:
          options.attachment === i ? [{ filename: "a.txt", content: "attached" }] : undefined,
      },
      minutesAgo(age),
    );
    ids.push(copy.messageId);
  }
  return ids;
}

async function inboxOf(accountId: string) {
  const boxes = await listMailboxes(accountId);
  return {
    inbox: boxes.find((b) => b.specialUse === "INBOX")!.id,
    archive: boxes.find((b) => b.specialUse === "ARCHIVE")!.id,
  };
}

test("one row per thread, newest thread first, with the thread's marks and count", async () => {
  const account = await makeAccount("conv-marks");
  const { inbox } = await inboxOf(account.id);
  const a = await thread(account.id, "alpha", [50, 40, 10], {
    from: ["Ann <ann@example.org>", "Bob <bob@example.org>", "Ann <ann@example.org>"],
    attachment: 0,
  });
  const [single] = await thread(account.id, "single", [20]);
  const b = await thread(account.id, "beta", [30, 5]);
  // alpha: only its oldest stays unread, its middle one is flagged.
  await updateFlags(account.id, [a[1]!, a[2]!], { seen: true });
  await updateFlags(account.id, [a[1]!], { flagged: true });
  await updateFlags(account.id, [...b, single!], { seen: true });
  await setLabel(account.id, [a[0]!], "work", true);

  const page = await listConversations(account.id, inbox);
  assert.equal(page.nextCursor, null);
  assert.deepEqual(
    page.items.map((r) => [r.id, r.messageCount]),
    [
      [b[1], 2],
      [a[2], 3],
      [single, 1],
    ],
  );
  const alpha = page.items[1]!;
  assert.equal(alpha.subject, "Re: alpha topic", "the newest subject");
  assert.match(alpha.snippet, /alpha body 2/);
  assert.equal(alpha.seen, false, "unread while any message is unread");
  assert.equal(alpha.flagged, true, "flagged when any message is");
  assert.equal(alpha.hasAttachments, true, "the thread's attachment");
  assert.deepEqual(alpha.participants, ["Ann", "Bob"]);
  assert.deepEqual(alpha.memberIds, [a[2], a[1], a[0]]);
  assert.deepEqual(alpha.keywords, ["work"]);
  const beta = page.items[0]!;
  assert.deepEqual([beta.seen, beta.flagged, beta.hasAttachments], [true, false, false]);

  // Reading the last unread message of alpha makes its row read.
  await updateFlags(account.id, [a[0]!], { seen: true });
  const after = await listConversations(account.id, inbox);
  assert.equal(after.items[1]!.seen, true);
});

test("a thread split across folders is a row in each, counted there", async () => {
  const account = await makeAccount("conv-folders");
  const { inbox, archive } = await inboxOf(account.id);
  const t = await thread(account.id, "split", [30, 20, 10]);
  await moveMessagesToSpecial(account.id, [t[2]!], "ARCHIVE");
  await updateFlags(account.id, [t[2]!], { flagged: true });

  const inInbox = (await listConversations(account.id, inbox)).items;
  assert.deepEqual(
    inInbox.map((r) => [r.id, r.messageCount, r.flagged]),
    [[t[1], 2, false]],
    "the Inbox row heads with the newest message still there, unflagged",
  );
  assert.deepEqual(inInbox[0]!.memberIds, [t[1], t[0]]);
  const inArchive = (await listConversations(account.id, archive)).items;
  assert.deepEqual(
    inArchive.map((r) => [r.id, r.messageCount, r.flagged]),
    [[t[2], 1, true]],
  );
  // Another account's folder: nothing.
  const other = await makeAccount("conv-folders-other");
  assert.deepEqual((await listConversations(other.id, inbox)).items, []);
});

test("keyset pages walk every thread once, in order, as threads grow", async () => {
  const account = await makeAccount("conv-pages");
  const { inbox } = await inboxOf(account.id);
  const threads: string[][] = [];
  // Seven threads, interleaved in time: thread i has messages at i and i+10 minutes ago...
  for (let i = 0; i < 7; i++) threads.push(await thread(account.id, `p${i}`, [100 + i, 7 - i]));
  const walk = async (limit: number) => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 20; guard++) {
      const page = await listConversations(account.id, inbox, { cursor, limit });
      seen.push(...page.items.map((r) => r.threadId));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    return seen;
  };
  const first = await listConversations(account.id, inbox, { limit: 3 });
  assert.equal(first.items.length, 3);
  assert.ok(first.nextCursor);
  const expected = [...(await listConversations(account.id, inbox)).items.map((r) => r.threadId)];
  assert.equal(expected.length, 7);
  assert.equal(new Set(expected).size, 7);
  assert.deepEqual(await walk(3), expected);
  assert.deepEqual(await walk(1), expected);
  // The oldest thread gets a reply: it moves to the top, and still appears once.
  const oldest = threads[0]!;
  await deliverMail(account.id, {
    subject: "Re: p0 topic",
    inReplyTo: `<p0-${account.id}@example.org>`,
    references: `<p0-${account.id}@example.org>`,
  });
  const regrown = await walk(2);
  assert.equal(regrown.length, 7);
  assert.equal(new Set(regrown).size, 7);
  const top = (await listConversations(account.id, inbox, { limit: 1 })).items[0]!;
  assert.equal(top.messageCount, 3);
  assert.ok(top.memberIds.includes(oldest[0]!));
});

test("a thread with a pinned message heads the first page, and only there", async () => {
  const account = await makeAccount("conv-pins");
  const { inbox } = await inboxOf(account.id);
  const old = await thread(account.id, "old", [90, 80]);
  await thread(account.id, "newer", [10]);
  await thread(account.id, "newest", [5]);
  await setPinned(account.id, [old[0]!], true);
  const first = await listConversations(account.id, inbox, { limit: 1 });
  assert.deepEqual(
    first.items.map((r) => [r.id, r.pinned, r.messageCount]),
    [
      [old[1], true, 2],
      [first.items[1]!.id, false, 1],
    ],
  );
  const rest = await listConversations(account.id, inbox, { cursor: first.nextCursor, limit: 5 });
  assert.equal(rest.items.length, 1);
  assert.ok(rest.items.every((r) => r.threadId !== first.items[0]!.threadId));
});

test("search results collapse to one row per thread and folder", async () => {
  const account = await makeAccount("conv-search");
  const t = await thread(account.id, "quokka", [30, 20, 10]);
  await thread(account.id, "other", [15]);
  await updateFlags(account.id, [t[1]!], { flagged: true });
  const page = await groupSearchPage(account.id, await searchMessages(account.id, "quokka"));
  assert.deepEqual(
    page.items.map((r) => [r.id, r.messageCount, r.flagged]),
    [[t[2], 3, true]],
  );
});
