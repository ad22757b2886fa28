// lib/admin/queue.ts against a real Postgres: admin actions never touch a row
// a relay worker holds, a claim racing a bulk delete ends with each row
// either claimed or cancelled (never both), retry wakes the relay through
// NOTIFY, and the search filter is literal.
import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { useTestDatabase } from "../../helpers/db.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { withTransaction } = await import("../../../lib/db/sql.ts");
const { enqueueStatement } = await import("../../../lib/queue/enqueue.ts");
const { claimDueRecipients } = await import("../../../lib/queue/claim.ts");
const { bounceNow, deleteFromQueue, listQueue, retryNow } =
  await import("../../../lib/admin/queue.ts");

await db.messageSource.create({
  data: { sha256: "src", raw: Buffer.from("Subject: x\r\n\r\nbody\r\n"), size: 20 },
});

async function enqueue(recipients: string[], mailFrom = "sender@example.org") {
  await withTransaction(async (tx) => {
    await tx.query(
      enqueueStatement({
        accountId: null,
        sourceSha256: "src",
        recipients: recipients.map((recipient) => ({ recipient, mailFrom })),
        notBefore: new Date(Date.now() + 3_600_000),
        lifetimeSeconds: 86_400,
      }).toQuery(),
    );
  });
  return db.outboundRecipient.findMany({ where: { recipient: { in: recipients } } });
}

test("rows a worker holds are left alone by retry, bounce and delete", async () => {
  const [free, held] = await enqueue(["free@lease.test", "held@lease.test"]);
  const leaseUntil = new Date(Date.now() + 600_000);
  await db.outboundRecipient.update({
    where: { id: held!.id },
    data: { leaseOwner: "worker-1", leaseUntil },
  });
  const ids = [free!.id, held!.id];
  const reports: string[] = [];
  assert.deepEqual(await retryNow({ ids }), { changed: 1, skipped: 1 });
  assert.deepEqual(await bounceNow({ ids: [held!.id] }, (l) => reports.push(l)), {
    changed: 0,
    skipped: 1,
  });
  assert.deepEqual(await deleteFromQueue({ ids }), { changed: 1, skipped: 1 });
  const after = await db.outboundRecipient.findUniqueOrThrow({ where: { id: held!.id } });
  assert.equal(after.status, "QUEUED");
  assert.equal(after.leaseOwner, "worker-1");
  assert.equal(after.leaseUntil?.getTime(), leaseUntil.getTime());
  assert.equal(after.nextAttemptAt.getTime(), held!.nextAttemptAt.getTime());
  const cancelled = await db.outboundRecipient.findUniqueOrThrow({ where: { id: free!.id } });
  assert.equal(cancelled.status, "CANCELLED");
  // Finished rows are not waiting: nothing to do, nothing skipped.
  assert.deepEqual(await retryNow({ ids: [free!.id] }), { changed: 0, skipped: 0 });
});

test("a bulk delete racing a relay claim: each row claimed or cancelled, never both", async () => {
  const recipients = Array.from({ length: 300 }, (_, i) => `r${i}@race.test`);
  await enqueue(recipients);
  await db.outboundRecipient.updateMany({
    where: { domain: "race.test" },
    data: { nextAttemptAt: new Date(Date.now() - 1000) },
  });
  const [claimed, deleted] = await Promise.all([
    claimDueRecipients({ owner: "worker-2", limit: 150, leaseSeconds: 60 }),
    deleteFromQueue({ filter: { domain: "race.test" } }),
  ]);
  const rows = await db.outboundRecipient.findMany({ where: { domain: "race.test" } });
  const claimedIds = new Set(claimed.map((c) => c.id));
  for (const row of rows) {
    if (claimedIds.has(row.id)) {
      assert.equal(row.status, "QUEUED", "a claimed row is not cancelled under the worker");
      assert.equal(row.leaseOwner, "worker-2");
    } else {
      assert.equal(row.status, "CANCELLED");
    }
  }
  assert.equal(claimed.length + deleted.changed, 300);
});

test("retry now makes rows due and wakes relay workers", async () => {
  const listener = new pg.Client({ connectionString: databaseUrl });
  await listener.connect();
  try {
    await listener.query("LISTEN outbound_queued");
    const notified = new Promise((resolve) => listener.once("notification", resolve));
    const [row] = await enqueue(["wake@notify.test"]);
    // An expired lease of a worker that died is cleared too.
    await db.outboundRecipient.update({
      where: { id: row!.id },
      data: { leaseOwner: "dead", leaseUntil: new Date(Date.now() - 1000), status: "DEFERRED" },
    });
    await notified; // the enqueue's own notification
    const again = new Promise((resolve) => listener.once("notification", resolve));
    assert.deepEqual(await retryNow({ filter: { domain: "notify.test" } }), {
      changed: 1,
      skipped: 0,
    });
    await again;
    const after = await db.outboundRecipient.findUniqueOrThrow({ where: { id: row!.id } });
    assert.ok(after.nextAttemptAt.getTime() <= Date.now());
    assert.equal(after.status, "DEFERRED");
    assert.equal(after.leaseOwner, null);
  } finally {
    await listener.end();
  }
});

test("the filter's search is literal and paging covers every row once", async () => {
  await enqueue(["under_score@page.test", "underXscore@page.test"]);
  const { rows } = await listQueue({ search: "under_score" });
  assert.deepEqual(
    rows.map((r) => r.recipient),
    ["under_score@page.test"],
  );
  await enqueue(Array.from({ length: 60 }, (_, i) => `p${i}@paged.test`));
  const first = await listQueue({ domain: "paged.test" });
  assert.equal(first.total, 60);
  assert.equal(first.rows.length, 50);
  const second = await listQueue({ domain: "paged.test" }, first.nextBefore!);
  assert.equal(second.rows.length, 10);
  assert.equal(second.nextBefore, null);
  assert.equal(new Set([...first.rows, ...second.rows].map((r) => r.id)).size, 60);
});
