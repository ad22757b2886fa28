// lib/store's organising writes against a real Postgres: flags, moves,
// deletes and folders keep every counter, uid and modseq exact, NOTIFY in
// the same transaction, and never touch another account's rows.
import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { deliverMail } from "../../helpers/mail.ts";
import { assertCountersExact } from "../../helpers/counters.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { updateFlags } = await import("../../../lib/store/update-flags.ts");
const { moveMessages, moveMessagesToSpecial } = await import("../../../lib/store/move-messages.ts");
const { deleteMessages, deleteMessagesForever, emptyMailbox } =
  await import("../../../lib/store/delete-messages.ts");
const { createFolder, renameFolder, deleteFolder, normalizeFolderName } =
  await import("../../../lib/store/folders.ts");
const { listMessages } = await import("../../../lib/store/list-messages.ts");
const { getConversation, getAttachmentOrThrow, getRawMessageOrThrow } =
  await import("../../../lib/store/get-message.ts");
const { searchMessages } = await import("../../../lib/search/search-messages.ts");
const { getMailPreferences, trustImagesFrom } =
  await import("../../../lib/store/mail-preferences.ts");
const { subscribeToChanges } = await import("../../../lib/live/listen-changes.ts");

const box = (accountId: string, specialUse: "INBOX" | "ARCHIVE" | "TRASH" | "JUNK" | "SENT") =>
  db.mailbox.findFirstOrThrow({ where: { accountId, specialUse } });

async function fill(accountId: string, n: number, prefix = "M") {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const copy = await deliverMail(
      accountId,
      { subject: `${prefix}${i}`, text: `body ${i}` },
      new Date(Date.UTC(2026, 0, 1, 0, i)),
    );
    ids.push(copy.messageId);
  }
  return ids;
}

test("flags: unread counts follow, unchanged messages keep their modseq", async () => {
  const a = await makeAccount("flags");
  const ids = await fill(a.id, 4);
  const inbox0 = await box(a.id, "INBOX");
  assert.equal(await updateFlags(a.id, ids.slice(0, 3), { seen: true }), 3);
  assert.equal(
    await updateFlags(a.id, ids.slice(0, 3), { seen: true }),
    0,
    "already read: no change",
  );
  assert.equal(await updateFlags(a.id, [ids[0]!], { flagged: true, seen: false }), 1);
  const inbox = await box(a.id, "INBOX");
  assert.equal(inbox.unreadCount, 2);
  assert.equal(inbox.highestModseq, inbox0.highestModseq + 2n);
  const m3 = await db.message.findFirstOrThrow({ where: { id: ids[3]! } });
  assert.ok(m3.modseq <= inbox0.highestModseq, "untouched message keeps its modseq");
  const m0 = await db.message.findFirstOrThrow({ where: { id: ids[0]! } });
  assert.equal(m0.modseq, inbox.highestModseq);
  assert.equal(m0.flagged, true);
  await assertCountersExact(a.id);
});

test("moves allocate new uids in the target and keep both folders' counters", async () => {
  const a = await makeAccount("mover");
  const ids = await fill(a.id, 5);
  await updateFlags(a.id, [ids[0]!], { seen: true });
  const archive0 = await box(a.id, "ARCHIVE");
  assert.equal(await moveMessagesToSpecial(a.id, ids.slice(0, 3), "ARCHIVE"), 3);
  const archive = await box(a.id, "ARCHIVE");
  assert.equal(archive.uidNext, archive0.uidNext + 3);
  assert.equal(archive.unreadCount, 2);
  const moved = await db.message.findMany({
    where: { mailboxId: archive.id },
    orderBy: { uid: "asc" },
  });
  // In order of arrival.
  assert.deepEqual(
    moved.map((m) => m.id),
    ids.slice(0, 3),
  );
  assert.deepEqual(
    moved.map((m) => m.uid),
    [1, 2, 3],
  );
  assert.ok(moved.every((m) => m.modseq === archive.highestModseq));
  // Back to the Inbox: uids keep growing, never reused.
  const inbox = await box(a.id, "INBOX");
  await moveMessages(a.id, [ids[0]!], inbox.id);
  const back = await db.message.findFirstOrThrow({ where: { id: ids[0]! } });
  assert.equal(back.uid, 6);
  // Moving into the folder it is in already changes nothing.
  assert.equal(await moveMessages(a.id, [ids[0]!], inbox.id), 0);
  await assertCountersExact(a.id);
});

test("delete goes to Trash, then for good; Empty Trash; quota given back", async () => {
  const a = await makeAccount("deleter");
  const ids = await fill(a.id, 4);
  assert.deepEqual(await deleteMessages(a.id, ids.slice(0, 2)), { trashed: 2, deleted: 0 });
  assert.deepEqual(await deleteMessages(a.id, [ids[0]!, ids[2]!]), { trashed: 1, deleted: 1 });
  await assertCountersExact(a.id);
  assert.equal(await deleteMessagesForever(a.id, [ids[3]!]), 1);
  const trash = await box(a.id, "TRASH");
  assert.equal(await emptyMailbox(a.id, trash.id), 2);
  assert.equal(await db.message.count({ where: { accountId: a.id } }), 0);
  await assertCountersExact(a.id);
  const inbox = await box(a.id, "INBOX");
  await assert.rejects(emptyMailbox(a.id, inbox.id), /Only Trash and Junk/);
});

test("folders: names checked, children renamed with the parent, mail rescued to Trash", async () => {
  const a = await makeAccount("folderer");
  assert.equal(normalizeFolderName("  Projects / 2026 "), "Projects/2026");
  for (const bad of ["", "a//b", "/a", "INBOX", "inbox/sub", "a%b", "x\u0001", "../up"]) {
    assert.throws(() => normalizeFolderName(bad), /./, JSON.stringify(bad));
  }
  const projects = await createFolder(a.id, "Projects");
  const sub = await createFolder(a.id, "Projects/2026");
  await createFolder(a.id, "Projectsx");
  await assert.rejects(createFolder(a.id, "projects"), /already exists/);
  await assert.rejects(renameFolder(a.id, projects.id, "Projects/2026/inner"), /into itself/);
  const inbox = await box(a.id, "INBOX");
  await assert.rejects(renameFolder(a.id, inbox.id, "Other"), /standard folder/);
  await assert.rejects(deleteFolder(a.id, inbox.id), /standard folder/);

  const ids = await fill(a.id, 3);
  await moveMessages(a.id, ids, sub.id);
  await renameFolder(a.id, projects.id, "Work");
  const names = (await db.mailbox.findMany({ where: { accountId: a.id, specialUse: null } }))
    .map((m) => m.name)
    .sort();
  assert.deepEqual(names, ["Projectsx", "Work", "Work/2026"]);
  assert.equal(await deleteFolder(a.id, projects.id), 3);
  assert.equal((await box(a.id, "TRASH")).messageCount, 3);
  assert.deepEqual(
    (await db.mailbox.findMany({ where: { accountId: a.id, specialUse: null } })).map(
      (m) => m.name,
    ),
    ["Projectsx"],
  );
  await assertCountersExact(a.id);
});

test("another account's ids are 'not found' for every read and write", async () => {
  const owner = await makeAccount("owner");
  const other = await makeAccount("other");
  const [id] = await fill(owner.id, 1);
  const folder = await createFolder(owner.id, "Mine");
  const before = await db.message.findFirstOrThrow({ where: { id: id! } });
  const notFound = { code: "not_found" };
  await assert.rejects(updateFlags(other.id, [id!], { seen: true }), notFound);
  await assert.rejects(moveMessagesToSpecial(other.id, [id!], "ARCHIVE"), notFound);
  await assert.rejects(deleteMessages(other.id, [id!]), notFound);
  await assert.rejects(deleteMessagesForever(other.id, [id!]), notFound);
  await assert.rejects(getConversation(other.id, id!), notFound);
  await assert.rejects(getRawMessageOrThrow(other.id, id!), notFound);
  await assert.rejects(getAttachmentOrThrow(other.id, id!, 0), notFound);
  await assert.rejects(renameFolder(other.id, folder.id, "Stolen"), notFound);
  await assert.rejects(deleteFolder(other.id, folder.id), notFound);
  await assert.rejects(emptyMailbox(other.id, folder.id), notFound);
  // Their own message into the owner's folder: refused, nothing moved.
  const [own] = await fill(other.id, 1);
  await assert.rejects(moveMessages(other.id, [own!], folder.id), notFound);
  assert.equal((await listMessages(other.id, before.mailboxId)).items.length, 0);
  assert.equal((await searchMessages(other.id, "M0")).items.filter((m) => m.id === id).length, 0);
  assert.deepEqual(await db.message.findFirstOrThrow({ where: { id: id! } }), before);
  await assertCountersExact(owner.id);
  await assertCountersExact(other.id);
});

test("list pages are keyset pages: no row twice, none missed", async () => {
  const a = await makeAccount("pager");
  const ids = await fill(a.id, 7);
  const inbox = await box(a.id, "INBOX");
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await listMessages(a.id, inbox.id, { cursor, limit: 3 });
    seen.push(...page.items.map((m) => m.id));
    cursor = page.nextCursor;
  } while (cursor);
  assert.deepEqual(seen, [...ids].reverse());
  // A cursor we did not make is the first page, not an error.
  assert.equal((await listMessages(a.id, inbox.id, { cursor: "1.'; drop" })).items.length, 7);
});

test("each change is NOTIFYed at commit, to the right account's listeners", async () => {
  const a = await makeAccount("notified");
  const b = await makeAccount("bystander");
  const ids = await fill(a.id, 2);
  const heard: string[] = [];
  const heardByB: string[] = [];
  const subA = subscribeToChanges(a.id, (c) => heard.push(c.kind));
  const subB = subscribeToChanges(b.id, (c) => heardByB.push(c.kind));
  await Promise.all([subA.ready, subB.ready]);
  await updateFlags(a.id, ids, { seen: true });
  await moveMessagesToSpecial(a.id, [ids[0]!], "ARCHIVE");
  await deleteMessagesForever(a.id, [ids[1]!]);
  await createFolder(a.id, "Live");
  for (let i = 0; i < 50 && heard.length < 5; i++) await new Promise((r) => setTimeout(r, 50));
  subA.unsubscribe();
  subB.unsubscribe();
  assert.deepEqual(heard, ["flags", "removed", "added", "removed", "mailbox"]);
  assert.deepEqual(heardByB, []);

  // A rolled-back change is never heard.
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query("LISTEN mail_changes");
  const raw: string[] = [];
  client.on("notification", (n) => raw.push(n.payload ?? ""));
  await assert.rejects(
    db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT pg_notify('mail_changes', '{"accountId":"x","kind":"flags"}')::text`;
      throw new Error("roll back");
    }),
  );
  await new Promise((r) => setTimeout(r, 200));
  await client.end();
  assert.deepEqual(raw, []);
});

test("remote-image preferences are per account", async () => {
  const a = await makeAccount("prefs");
  const b = await makeAccount("prefs2");
  await trustImagesFrom(a.id, "News@Example.org");
  await trustImagesFrom(a.id, "news@example.org");
  await trustImagesFrom(a.id, "not an address");
  assert.deepEqual((await getMailPreferences(a.id)).remoteImagesFrom, ["news@example.org"]);
  assert.deepEqual((await getMailPreferences(b.id)).remoteImagesFrom, []);
});

test("attachments come back byte for byte, by index", async () => {
  const a = await makeAccount("attacher");
  const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
  const { messageId } = await deliverMail(a.id, {
    subject: "files",
    text: "see files",
    attachments: [
      { filename: "a.txt", content: "first" },
      { filename: "b.bin", content: bytes, contentType: "application/octet-stream" },
    ],
  });
  const second = await getAttachmentOrThrow(a.id, messageId, 1);
  assert.equal(second.filename, "b.bin");
  assert.deepEqual(second.content, bytes);
  assert.equal(second.size, bytes.length);
  assert.equal((await getAttachmentOrThrow(a.id, messageId, 0)).content.toString(), "first");
  await assert.rejects(getAttachmentOrThrow(a.id, messageId, 2), { code: "not_found" });
});
