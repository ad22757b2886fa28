// The folder counters lib/store keeps (messageCount, unreadCount, totalBytes,
// uidNext, highestModseq, the account's usedBytes) checked against the rows.
import assert from "node:assert/strict";

/** Checks every counter of every folder of the account against its rows. */
export async function assertCountersExact(accountId: string): Promise<void> {
  // Imported here: the test file sets DATABASE_URL before lib/db.ts loads.
  const { db } = await import("../../lib/db.ts");
  // One snapshot: read in two statements, a move committing between them
  // shows the folder's counter from before it and its rows from after.
  const [boxes, messages, account] = await db.$transaction(
    [
      db.mailbox.findMany({ where: { accountId } }),
      db.message.findMany({ where: { accountId } }),
      db.account.findUniqueOrThrow({ where: { id: accountId } }),
    ],
    { isolationLevel: "RepeatableRead" },
  );
  for (const b of boxes) {
    const rows = messages.filter((m) => m.mailboxId === b.id);
    assert.equal(b.messageCount, rows.length, `${b.name} messageCount`);
    assert.equal(b.unreadCount, rows.filter((m) => !m.seen).length, `${b.name} unreadCount`);
    assert.equal(
      Number(b.totalBytes),
      rows.reduce((n, m) => n + m.size, 0),
      `${b.name} totalBytes`,
    );
    for (const m of rows) {
      assert.ok(m.uid < b.uidNext, `${b.name}: uid ${m.uid} below uidNext ${b.uidNext}`);
      assert.ok(m.modseq <= b.highestModseq, `${b.name}: modseq within highestModseq`);
    }
    assert.equal(new Set(rows.map((m) => m.uid)).size, rows.length, `${b.name}: uids unique`);
  }
  assert.equal(
    Number(account.usedBytes),
    messages.reduce((n, m) => n + m.size, 0),
    "usedBytes",
  );
}
