// Folder counters against the rows they count (lib/store keeps them in the
// same transaction as every change).
import assert from "node:assert/strict";
import { db } from "../../lib/db.ts";

/** Checks every counter of every folder of the account against its rows. */
export async function assertCountersExact(accountId: string) {
  const boxes = await db.mailbox.findMany({ where: { accountId } });
  const messages = await db.message.findMany({ where: { accountId } });
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
  const account = await db.account.findUniqueOrThrow({ where: { id: accountId } });
  assert.equal(
    Number(account.usedBytes),
    messages.reduce((n, m) => n + m.size, 0),
    "usedBytes",
  );
}
