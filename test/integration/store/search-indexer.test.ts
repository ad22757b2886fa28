// The search indexer (lib/store/search-indexer.ts): new copies are stored
// without their search vector and found by search at once all the same; the
// indexer fills the vectors (woken by deliveries in its process), catches up
// on copies left waiting by a process that stopped, several indexers never
// index the same copy twice, and an IMAP COPY of a waiting copy waits too.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { deliverMail } from "../../helpers/mail.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { indexWaitingMessages, SearchIndexer } =
  await import("../../../lib/store/search-indexer.ts");
const { searchMessages } = await import("../../../lib/search/search-messages.ts");
const { copyMessagesByUid } = await import("../../../lib/store/copy-messages.ts");
const { createFolder } = await import("../../../lib/store/folders.ts");

async function vectorOf(accountId: string, messageId: string): Promise<string | null> {
  const rows = await db.$queryRaw<{ vector: string | null }[]>`
    SELECT "vector"::text AS "vector" FROM "MessageSearch"
    WHERE "accountId" = ${accountId}::uuid AND "messageId" = ${messageId}::uuid`;
  return rows[0]?.vector ?? null;
}

const waiting = () => db.unindexedMessage.count();

async function until(what: string, check: () => Promise<boolean>, ms = 8_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const subjects = async (accountId: string, q: string) =>
  (await searchMessages(accountId, q)).items.map((i) => i.subject).sort();

test("a copy is searchable before and after the indexer fills its vector, and only once", async () => {
  const bob = await makeAccount("idx-bob");
  const copy = await deliverMail(bob.id, {
    to: "idx-bob@mail.test",
    subject: "Quarterly zeppelin figures",
    text: "The marmalade budget is attached.",
    attachments: [{ filename: "ledger-2026.csv", content: "a,b\n1,2\n" }],
  });
  await deliverMail(bob.id, { to: "idx-bob@mail.test", subject: "Lunch", text: "Soup today." });
  assert.equal(await vectorOf(bob.id, copy.messageId), null, "stored without its vector");
  assert.equal(await waiting(), 2);

  const expectations: [string, string[]][] = [
    ["zeppelin", ["Quarterly zeppelin figures"]],
    ["marmalade", ["Quarterly zeppelin figures"]],
    ["ledger-2026.csv", ["Quarterly zeppelin figures"]],
    ["alice@example.org", ["Lunch", "Quarterly zeppelin figures"]],
    ["subject:zeppelin", ["Quarterly zeppelin figures"]],
    ["-marmalade", ["Lunch"]],
    ["soup", ["Lunch"]],
  ];
  for (const [q, want] of expectations) assert.deepEqual(await subjects(bob.id, q), want, q);

  assert.equal(await indexWaitingMessages(), 2);
  assert.equal(await waiting(), 0);
  const vector = await vectorOf(bob.id, copy.messageId);
  assert.match(vector ?? "", /'zeppelin':\d+A/);
  assert.match(vector ?? "", /'marmalade':\d+/);
  for (const [q, want] of expectations) assert.deepEqual(await subjects(bob.id, q), want, q);
  assert.equal(await indexWaitingMessages(), 0, "nothing left to do");
});

test("a running indexer is woken by a delivery in its process", async () => {
  const carol = await makeAccount("idx-carol");
  const indexer = new SearchIndexer({ log: () => {} });
  indexer.start();
  try {
    // Let it finish its start-up pass, then deliver: only the delivery can
    // wake it before its next poll (10 s).
    await until("the start-up pass", async () => (await waiting()) === 0);
    await new Promise((r) => setTimeout(r, 300));
    const copy = await deliverMail(carol.id, { to: "idx-carol@mail.test", subject: "Woken" });
    await until(
      "the vector",
      async () => (await vectorOf(carol.id, copy.messageId)) !== null,
      5_000,
    );
  } finally {
    await indexer.stop();
  }
});

test("copies left waiting by a stopped process are indexed when an indexer starts again", async () => {
  const dave = await makeAccount("idx-dave");
  const copies = [];
  for (let i = 0; i < 30; i++)
    copies.push(await deliverMail(dave.id, { to: "idx-dave@mail.test", subject: `Backlog ${i}` }));
  assert.equal(await waiting(), 30);
  // Two instances at once: SKIP LOCKED splits the rows, nothing twice.
  const counts = await Promise.all([indexWaitingMessages(10), indexWaitingMessages(10)]);
  assert.equal(counts[0]! + counts[1]!, 20);
  assert.equal(await waiting(), 10);

  const indexer = new SearchIndexer({ log: () => {} });
  indexer.start();
  try {
    await until("the backlog", async () => (await waiting()) === 0);
  } finally {
    await indexer.stop();
  }
  for (const copy of copies) assert.notEqual(await vectorOf(dave.id, copy.messageId), null);
  assert.equal((await searchMessages(dave.id, "backlog")).items.length, 30);
});

test("a waiting row whose copy was deleted is dropped", async () => {
  const erin = await makeAccount("idx-erin");
  const copy = await deliverMail(erin.id, { to: "idx-erin@mail.test", subject: "Gone" });
  await db.$executeRaw`DELETE FROM "Message" WHERE "accountId" = ${erin.id}::uuid AND "id" = ${copy.messageId}::uuid`;
  assert.equal(await indexWaitingMessages(), 1);
  assert.equal(await waiting(), 0);
});

test("an IMAP COPY of a waiting copy waits too, and is found by search meanwhile", async () => {
  const finn = await makeAccount("idx-finn");
  const archive = await createFolder(finn.id, "Kept");
  const original = await deliverMail(finn.id, { to: "idx-finn@mail.test", subject: "Walrus" });
  const [mapping] = await copyMessagesByUid(
    finn.id,
    original.mailboxId,
    [original.uid],
    archive.id,
  );
  const copied = await db.message.findFirstOrThrow({
    where: { accountId: finn.id, mailboxId: archive.id, uid: mapping![1] },
  });
  assert.equal(await waiting(), 2);
  const found = async () => (await searchMessages(finn.id, "walrus")).items.map((i) => i.id).sort();
  assert.deepEqual(await found(), [original.messageId, copied.id].sort());
  assert.equal(await indexWaitingMessages(), 2);
  assert.notEqual(await vectorOf(finn.id, copied.id), null);
  assert.deepEqual(await found(), [original.messageId, copied.id].sort());

  // A copy of an indexed message carries its vector and does not wait.
  await copyMessagesByUid(finn.id, original.mailboxId, [original.uid], archive.id);
  assert.equal(await waiting(), 0);
  assert.equal((await found()).length, 3);
});
