// lib/store/undo.ts against a real Postgres: a change's undo record puts
// back exactly what it changed, counters stay exact, an Undo works once,
// not after its window, not for another account, and only the newest
// change of an account can be undone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { deliverMail } from "../../helpers/mail.ts";
import { assertCountersExact } from "../../helpers/folder-counters.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { changeWithUndo, undoChange, latestUndo } = await import("../../../lib/store/undo.ts");
const { updateFlags } = await import("../../../lib/store/update-flags.ts");
const { deleteMessagesForever } = await import("../../../lib/store/delete-messages.ts");

async function snapshot(accountId: string) {
  const boxes = await db.mailbox.findMany({ where: { accountId }, orderBy: { name: "asc" } });
  const messages = await db.message.findMany({ where: { accountId }, orderBy: { subject: "asc" } });
  await assertCountersExact(accountId);
  const name = new Map(boxes.map((b) => [b.id, b.name]));
  return messages.map((m) => `${m.subject}:${name.get(m.mailboxId)}:${m.seen ? "read" : "unread"}`);
}

let accounts = 0;
async function mailbox(subjects: string[]) {
  const account = await makeAccount(`undo-${++accounts}`);
  const ids: string[] = [];
  for (const subject of subjects) {
    ids.push((await deliverMail(account.id, { to: account.address, subject })).messageId);
  }
  return { account, ids };
}

test("each undoable change is put back exactly, counters and all", async () => {
  const { account, ids } = await mailbox(["a", "b", "c"]);
  await updateFlags(account.id, [ids[1]!], { seen: true });
  const before = await snapshot(account.id);
  for (const change of [
    { kind: "archive" },
    { kind: "delete" },
    { kind: "junk" },
    { kind: "seen", seen: true },
  ] as const) {
    const outcome = await changeWithUndo(account.id, ids, change);
    assert.equal(outcome.count, 3);
    assert.notDeepEqual(await snapshot(account.id), before, change.kind);
    assert.ok(outcome.undo, change.kind);
    assert.equal((await latestUndo(account.id))?.id, outcome.undo.id);
    // Mark read changed only the two unread ones: only they are put back.
    assert.equal(await undoChange(account.id, outcome.undo.id), change.kind === "seen" ? 2 : 3);
    assert.deepEqual(await snapshot(account.id), before, change.kind);
    await assert.rejects(undoChange(account.id, outcome.undo.id), { code: "not_found" });
  }
  // Marking read what is already read changes nothing: nothing to undo.
  const none = await changeWithUndo(account.id, [ids[1]!], { kind: "seen", seen: true });
  assert.equal(none.undo, null);
});

test("not after the window, not for another account, only the newest change", async () => {
  const { account, ids } = await mailbox(["x", "y"]);
  const { account: stranger } = await mailbox(["z"]);
  const first = await changeWithUndo(account.id, [ids[0]!], { kind: "archive" });
  const second = await changeWithUndo(account.id, [ids[1]!], { kind: "archive" });
  await assert.rejects(undoChange(account.id, first.undo!.id), { code: "not_found" });
  await assert.rejects(undoChange(stranger.id, second.undo!.id), { code: "not_found" });
  await db.undoRecord.updateMany({
    where: { accountId: account.id },
    data: { expiresAt: new Date(Date.now() - 1000) },
  });
  assert.equal(await latestUndo(account.id), null);
  await assert.rejects(undoChange(account.id, second.undo!.id), { code: "not_found" });
});

test("a message deleted for good since is skipped; the rest goes back", async () => {
  const { account, ids } = await mailbox(["keep", "gone"]);
  const outcome = await changeWithUndo(account.id, ids, { kind: "archive" });
  await deleteMessagesForever(account.id, [ids[1]!]);
  assert.equal(await undoChange(account.id, outcome.undo!.id), 1);
  assert.deepEqual(await snapshot(account.id), ["keep:Inbox:unread"]);
});
