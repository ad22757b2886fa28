// lib/store/bulk-jobs.ts against a real Postgres: "select all" jobs run in
// batches to the end, leave mail that arrived after they started alone, keep
// the counters exact, stay with the runner holding the lease, are taken over
// when it runs out, and are the account's only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { buildMail, deliverRaw } from "../../helpers/mail.ts";
import { assertCountersExact } from "../../helpers/folder-counters.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { createBulkJob, runBulkJob, getBulkJob } = await import("../../../lib/store/bulk-jobs.ts");
const { BULK_JOB_BATCH_SIZE } = await import("../../../lib/config/limits.ts");

const COUNT = BULK_JOB_BATCH_SIZE * 2 + 10;

async function filledAccount(name: string, count: number, subject: string) {
  const account = await makeAccount(name);
  const start = Date.now() - count * 1000 - 60_000;
  for (let i = 0; i < count; i++) {
    await deliverRaw(
      [account.id],
      await buildMail({ to: account.address, subject: `${subject} ${i}` }),
      new Date(start + i * 1000),
    );
  }
  const inbox = await db.mailbox.findFirstOrThrow({
    where: { accountId: account.id, specialUse: "INBOX" },
  });
  return { account, inbox };
}

const inFolder = (accountId: string, specialUse: "INBOX" | "ARCHIVE") =>
  db.message.count({ where: { accountId, mailbox: { specialUse } } });

test("a folder job runs in batches to the end and leaves newer mail alone", async () => {
  const { account, inbox } = await filledAccount("bulk-a", COUNT, "Old");
  const job = await createBulkJob(
    account.id,
    { folderId: inbox.id, query: null },
    { kind: "archive" },
    COUNT,
  );
  // Arrives after "select all": not part of it.
  await deliverRaw(
    [account.id],
    await buildMail({ to: account.address, subject: "New" }),
    new Date(Date.now() + 5000),
  );
  await runBulkJob(account.id, job);
  const progress = await getBulkJob(account.id, job);
  assert.equal(progress.status, "done");
  assert.equal(progress.done, COUNT);
  assert.equal(progress.label, `${COUNT} messages archived.`);
  assert.equal(await inFolder(account.id, "ARCHIVE"), COUNT);
  assert.equal(await inFolder(account.id, "INBOX"), 1);
  await assertCountersExact(account.id);
});

test("a job held by a live runner is left to it; a dead runner's job is taken over", async () => {
  const { account } = await filledAccount("bulk-b", 30, "Report");
  const stranger = await makeAccount("bulk-stranger");
  const job = await createBulkJob(
    account.id,
    { folderId: null, query: "Report" },
    { kind: "seen", seen: true },
    0,
  );
  await db.bulkJob.update({
    where: { accountId_id: { accountId: account.id, id: job } },
    data: { leaseOwner: crypto.randomUUID(), leaseUntil: new Date(Date.now() + 60_000) },
  });
  await runBulkJob(account.id, job);
  assert.equal((await getBulkJob(account.id, job)).done, 0);
  assert.equal((await getBulkJob(account.id, job)).stalled, false);
  // The runner died: its lease runs out, and whoever polls next takes over.
  await db.bulkJob.update({
    where: { accountId_id: { accountId: account.id, id: job } },
    data: { leaseUntil: new Date(Date.now() - 1000) },
  });
  assert.equal((await getBulkJob(account.id, job)).stalled, true);
  await runBulkJob(account.id, job);
  const progress = await getBulkJob(account.id, job);
  assert.equal(progress.status, "done");
  assert.equal(progress.done, 30);
  assert.equal(await db.message.count({ where: { accountId: account.id, seen: false } }), 0);
  await assertCountersExact(account.id);
  await assert.rejects(getBulkJob(stranger.id, job), { code: "not_found" });
});
