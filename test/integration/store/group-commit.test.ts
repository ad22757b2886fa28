// Group commit in lib/store/deliver.ts: concurrent deliveries share one
// transaction written with multi-row statements. Proves that a batch keeps
// every rule of a lone delivery: uids and modseqs consecutive per folder,
// counters exact, several accounts and folders in one batch, threads found
// among the batch's own messages (a parent after its reply too),
// APPEND-style copies with their own flags into any folder (the Inbox too)
// beside deliveries, NOTIFY per copy, the
// hourly volume counts, and one delivery that cannot be stored (over quota)
// fails alone while the rest of its batch is stored.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { buildMail } from "../../helpers/mail.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { storeDelivery, OverQuotaError } = await import("../../../lib/store/deliver.ts");
type Delivery = import("../../../lib/store/deliver.ts").Delivery;
const { parseMessage } = await import("../../../lib/mime/parse-message.ts");
const { createFolder } = await import("../../../lib/store/folders.ts");
const { pgPool } = await import("../../../lib/db.ts");
const { MAIL_CHANGES_CHANNEL } = await import("../../../lib/store/changes.ts");

async function delivery(
  accountIds: string[],
  mail: Parameters<typeof buildMail>[0],
  filed: { accountId: string; folder: "SENT" }[] = [],
): Promise<Delivery> {
  const raw = await buildMail(mail);
  return {
    receivedAt: new Date(),
    sources: [
      {
        bytes: { kind: "memory" as const, prefix: Buffer.alloc(0), body: raw },
        parsed: await parseMessage(raw),
        accountIds,
        filedCopies: filed,
        outbound: [],
      },
    ],
  };
}

async function assertFoldersExact(accountId: string) {
  const boxes = await db.mailbox.findMany({ where: { accountId } });
  const messages = await db.message.findMany({ where: { accountId }, orderBy: { uid: "asc" } });
  for (const box of boxes) {
    const rows = messages.filter((m) => m.mailboxId === box.id);
    assert.deepEqual(
      rows.map((m) => m.uid),
      Array.from({ length: box.uidNext - 1 }, (_, i) => i + 1),
      `${box.name}: uids 1..n without gaps or repeats`,
    );
    assert.equal(new Set(rows.map((m) => m.modseq)).size, rows.length, `${box.name}: modseqs`);
    for (const m of rows) assert.ok(m.modseq <= box.highestModseq);
    assert.equal(box.messageCount, rows.length);
    assert.equal(box.unreadCount, rows.filter((m) => !m.seen).length);
    assert.equal(
      Number(box.totalBytes),
      rows.reduce((n, m) => n + m.size, 0),
    );
  }
  const account = await db.account.findUniqueOrThrow({ where: { id: accountId } });
  assert.equal(
    Number(account.usedBytes),
    messages.reduce((n, m) => n + m.size, 0),
  );
}

test("a burst to several accounts and folders keeps uids, modseqs and counters exact", async () => {
  const ann = await makeAccount("gc-ann");
  const ben = await makeAccount("gc-ben");
  const deliveries = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      delivery(
        i % 3 === 0 ? [ann.id, ben.id] : [i % 2 ? ann.id : ben.id],
        { to: "gc-ann@mail.test", subject: `burst ${i}` },
        // Some are also filed in Ann's Sent folder, read.
        i % 5 === 0 ? [{ accountId: ann.id, folder: "SENT" }] : [],
      ),
    ),
  );
  const results = await Promise.all(deliveries.map((d) => storeDelivery(d)));
  for (const [i, copies] of results.entries()) {
    const expected = (i % 3 === 0 ? 2 : 1) + (i % 5 === 0 ? 1 : 0);
    assert.equal(copies.length, expected, `delivery ${i} copies`);
  }
  const sent = await db.message.findMany({
    where: { accountId: ann.id, mailbox: { specialUse: "SENT" } },
  });
  assert.equal(sent.length, 12);
  assert.ok(sent.every((m) => m.seen));
  await assertFoldersExact(ann.id);
  await assertFoldersExact(ben.id);
});

test("a reply stored in the same batch as its parent joins the parent's thread", async () => {
  const cat = await makeAccount("gc-cat");
  // Two transactions may run at once: two fillers take them, so the four
  // that matter queue up and are written together in the next one.
  const fillers = await Promise.all(
    [1, 2].map((i) => delivery([cat.id], { subject: `filler ${i}` })),
  );
  const [parent, reply, bySubject, other] = await Promise.all([
    delivery([cat.id], { messageId: "<p1@example.org>", subject: "Boat trip" }),
    delivery([cat.id], {
      messageId: "<p2@example.org>",
      subject: "Re: Boat trip",
      inReplyTo: "<p1@example.org>",
      references: "<p1@example.org>",
    }),
    delivery([cat.id], { messageId: "<p3@example.org>", subject: "RE: boat trip" }),
    delivery([cat.id], { messageId: "<p4@example.org>", subject: "Boat trip" }),
  ]);
  const all = await Promise.all(
    [...fillers, parent, reply, bySubject, other].map((d) => storeDelivery(d)),
  );
  const copies = all.slice(2);
  const thread = async (copyIndex: number) =>
    (
      await db.message.findUniqueOrThrow({
        where: { accountId_id: { accountId: cat.id, id: copies[copyIndex]![0]!.messageId } },
      })
    ).threadId;
  assert.equal(await thread(1), await thread(0), "by In-Reply-To");
  assert.equal(await thread(2), await thread(0), "a reply by subject");
  assert.notEqual(await thread(3), await thread(0), "not a reply: a conversation of its own");
  const threads = await db.thread.findMany({ where: { accountId: cat.id } });
  assert.equal(threads.length, 4);
});

test("a parent stored in the same batch right after its reply joins the reply's thread", async () => {
  const dog = await makeAccount("gc-dog");
  const fillers = await Promise.all(
    [1, 2].map((i) => delivery([dog.id], { subject: `filler ${i}` })),
  );
  const [reply, parent] = await Promise.all([
    delivery([dog.id], {
      messageId: "<q2@example.org>",
      subject: "Re: Offsite venue",
      inReplyTo: "<q1@example.org>",
    }),
    delivery([dog.id], { messageId: "<q1@example.org>", subject: "Where do we meet?" }),
  ]);
  const all = await Promise.all([...fillers, reply, parent].map((d) => storeDelivery(d)));
  const [replyCopy, parentCopy] = all.slice(2).map((c) => c[0]!.messageId);
  const rows = await db.message.findMany({
    where: { accountId: dog.id, id: { in: [replyCopy!, parentCopy!] } },
  });
  assert.equal(rows.length, 2);
  assert.equal(rows[0]!.threadId, rows[1]!.threadId);
  assert.equal(await db.thread.count({ where: { accountId: dog.id } }), 3);
});

test("a delivery over quota fails alone; the others in its batch are stored", async () => {
  const dan = await makeAccount("gc-dan", { quotaBytes: 1000n });
  const eve = await makeAccount("gc-eve");
  const deliveries = await Promise.all([
    ...Array.from({ length: 10 }, (_, i) =>
      delivery([eve.id], { to: "gc-eve@mail.test", subject: `fine ${i}` }),
    ),
    delivery([dan.id], { to: "gc-dan@mail.test", subject: "too big", text: "x".repeat(2000) }),
    delivery([eve.id], { to: "gc-eve@mail.test", subject: "fine 10" }),
  ]);
  const results = await Promise.allSettled(deliveries.map((d) => storeDelivery(d)));
  const refused = results[10]!;
  assert.equal(refused.status, "rejected");
  assert.ok((refused as PromiseRejectedResult).reason instanceof OverQuotaError);
  assert.equal(
    ((refused as PromiseRejectedResult).reason as { accountId: string }).accountId,
    dan.id,
  );
  for (const [i, r] of results.entries()) if (i !== 10) assert.equal(r.status, "fulfilled", `${i}`);
  assert.equal(await db.message.count({ where: { accountId: eve.id } }), 11);
  assert.equal(await db.message.count({ where: { accountId: dan.id } }), 0);
  await assertFoldersExact(dan.id);
  await assertFoldersExact(eve.id);
});

test("APPEND copies with their own flags share a batch with deliveries to the same folders", async () => {
  const fay = await makeAccount("gc-fay");
  const projects = await createFolder(fay.id, "Projects");
  const inbox = await db.mailbox.findFirstOrThrow({
    where: { accountId: fay.id, specialUse: "INBOX" },
  });
  const volumeBefore = await db.mailVolumeHour.aggregate({ _sum: { received: true, sent: true } });
  const listener = await pgPool().connect();
  const notices: { mailboxId: string; kind: string; messageId: string; uid: number }[] = [];
  listener.on("notification", (n) => {
    const payload = JSON.parse(n.payload!) as (typeof notices)[number] & { accountId: string };
    if (payload.accountId === fay.id) notices.push(payload);
  });
  await listener.query(`LISTEN ${MAIL_CHANGES_CHANNEL}`);
  try {
    const flagged = {
      seen: true,
      flagged: true,
      answered: false,
      draft: false,
      deleted: false,
      keywords: ["$Work"],
    };
    const unread = { ...flagged, seen: false, flagged: false, keywords: [] };
    const deliveries = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const d = await delivery(i % 3 === 0 ? [] : [fay.id], { subject: `mixed ${i}` });
        if (i % 3 === 0) {
          // APPEND: into Projects, or into the Inbox by its id.
          const mailboxId = i % 2 ? projects.id : inbox.id;
          d.sources[0]!.folderCopies = [
            { accountId: fay.id, mailboxId, flags: i % 2 ? flagged : unread },
          ];
        }
        return d;
      }),
    );
    const results = await Promise.all(deliveries.map((d) => storeDelivery(d)));
    for (const [i, [copy]] of results.entries()) {
      assert.equal(copy!.folder, i % 3 === 0 ? null : "INBOX");
      assert.equal(copy!.mailboxId, i % 3 === 0 && i % 2 ? projects.id : inbox.id);
    }
    const inProjects = await db.message.findMany({
      where: { accountId: fay.id, mailboxId: projects.id },
    });
    assert.equal(inProjects.length, 4);
    for (const m of inProjects) {
      assert.deepEqual([m.seen, m.flagged, m.answered, m.keywords], [true, true, false, ["$Work"]]);
    }
    await assertFoldersExact(fay.id);

    const volumeAfter = await db.mailVolumeHour.aggregate({ _sum: { received: true, sent: true } });
    // Deliveries count as received; APPEND copies count as neither.
    assert.equal((volumeAfter._sum.received ?? 0) - (volumeBefore._sum.received ?? 0), 16);
    assert.equal((volumeAfter._sum.sent ?? 0) - (volumeBefore._sum.sent ?? 0), 0);

    const deadline = Date.now() + 5_000;
    while (notices.length < 24 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const stored = results.map(([copy]) => copy!);
    assert.deepEqual(
      notices.map((n) => `${n.kind} ${n.mailboxId} ${n.messageId} ${n.uid}`).sort(),
      stored.map((c) => `new ${c.mailboxId} ${c.messageId} ${c.uid}`).sort(),
    );
  } finally {
    listener.release();
  }
});
