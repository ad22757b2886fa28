// The composer's server side against a real database: drafts saved, replaced
// and reopened with their attachments; reply, reply all and forward; send
// held for the undo window and submitted by the scheduled-send worker's
// claim; undo racing the worker (exactly one wins); scheduled send; header
// injection refused at the boundary.
import assert from "node:assert/strict";
import { test } from "node:test";
import { simpleParser } from "mailparser";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { deliverMail } from "../../helpers/mail.ts";

await useTestDatabase();
process.env.UNDO_SEND_SECONDS = "3";
const { db } = await import("../../../lib/db.ts");
const { saveUpload, listUploads, maxAttachmentBytes, loadAttachments } =
  await import("../../../lib/compose/uploads.ts");
const { saveDraft, openAsDraft } = await import("../../../lib/compose/drafts.ts");
const { startReply, startNewMessage } = await import("../../../lib/compose/start-compose.ts");
const { sendComposed, cancelPendingSend, listPendingSends } =
  await import("../../../lib/compose/send.ts");
const { submitNextDueSend } = await import("../../../lib/compose/outbox.ts");
const { composeSchema } = await import("../../../lib/compose/model.ts");
const { suggestContacts } = await import("../../../lib/compose/contacts.ts");

const ann = await makeAccount("ann");
const bob = await makeAccount("bob");
await db.account.update({ where: { id: ann.id }, data: { signature: "Ann\nWriter & Co" } });

const folder = async (accountId: string, specialUse: "DRAFTS" | "SENT" | "INBOX") =>
  db.message.findMany({
    where: { accountId, mailbox: { specialUse } },
    include: { source: true },
    orderBy: { receivedAt: "asc" },
  });

const input = (overrides: Record<string, unknown> = {}) =>
  composeSchema.parse({
    to: [{ name: "Bob", address: bob.address }],
    subject: "Draft one",
    body: "<p>Hello <b>there</b></p>",
    ...overrides,
  });

test("a draft is saved, replaced by the next save, and reopens with its attachments", async () => {
  const upload = await saveUpload(ann.id, {
    filename: "plan.txt",
    contentType: "text/plain",
    content: Buffer.from("the plan"),
  });
  const first = await saveDraft(ann.id, input({ attachments: [upload.id] }), null);
  const second = await saveDraft(
    ann.id,
    input({
      subject: "Draft two",
      attachments: [upload.id],
      bcc: [{ address: "eve@example.org" }],
    }),
    first,
  );
  const drafts = await folder(ann.id, "DRAFTS");
  assert.deepEqual(
    drafts.map((d) => d.id),
    [second],
  );
  assert.equal(drafts[0]!.subject, "Draft two");

  const reopened = await openAsDraft(ann.id, second);
  assert.equal(reopened.draftId, second);
  assert.equal(reopened.input.subject, "Draft two");
  assert.deepEqual(
    reopened.input.to.map((a) => a.address),
    [bob.address],
  );
  assert.deepEqual(
    reopened.input.bcc.map((a) => a.address),
    ["eve@example.org"],
  );
  assert.match(reopened.input.body, /<b>there<\/b>/);
  const [again] = await listUploads(ann.id, reopened.input.attachments);
  assert.equal(again!.filename, "plan.txt");
  assert.equal(again!.size, 8);
  // Another account cannot open it.
  await assert.rejects(openAsDraft(bob.id, second), /No such message/);
});

test("reply, reply all and forward: recipients, subject, threading, quote, signature, attachments", async () => {
  const copy = await deliverMail(bob.id, {
    from: "Carol <carol@example.org>",
    to: `${bob.address}, dave@example.org`,
    cc: `ann@mail.test, ${bob.address.replace("@", "+x@")}`,
    subject: "Re: Lunch",
    text: "Shall we?",
    messageId: "<lunch-2@example.org>",
    references: "<lunch-1@example.org>",
    attachments: [
      {
        filename: "menu.pdf",
        content: Buffer.from("%PDF-1.4 menu"),
        contentType: "application/pdf",
      },
    ],
  });
  const reply = await startReply(bob.id, copy.messageId, "reply");
  assert.deepEqual(
    reply.input.to.map((a) => a.address),
    ["carol@example.org"],
  );
  assert.deepEqual(reply.input.cc, []);
  assert.equal(reply.input.subject, "Re: Lunch");
  assert.equal(reply.input.inReplyTo, "<lunch-2@example.org>");
  assert.deepEqual(reply.input.references, ["<lunch-1@example.org>", "<lunch-2@example.org>"]);
  assert.match(reply.input.body, /carol@example\.org&gt; wrote:/);
  assert.match(reply.input.body, /<blockquote>.*Shall we\?/s);

  const all = await startReply(bob.id, copy.messageId, "reply-all");
  assert.deepEqual(
    all.input.cc.map((a) => a.address),
    ["dave@example.org", "ann@mail.test"],
  );

  const forward = await startReply(bob.id, copy.messageId, "forward");
  assert.equal(forward.input.subject, "Fwd: Re: Lunch");
  assert.deepEqual(forward.input.to, []);
  assert.equal(forward.uploads.length, 1);
  assert.equal(forward.uploads[0]!.filename, "menu.pdf");
  assert.match(forward.input.body, /Forwarded message/);

  const fresh = await startNewMessage(ann.id);
  assert.match(fresh.input.body, /-- <br>Ann<br>Writer &amp; Co/);
});

test("send waits for the undo window, then the worker submits it once: Sent copy, local delivery, queue, contacts", async () => {
  const upload = await saveUpload(ann.id, {
    filename: "bytes.bin",
    contentType: "application/octet-stream",
    content: Buffer.from([1, 2, 3, 250]),
  });
  const draft = await saveDraft(
    ann.id,
    input({ subject: "Sent for real", attachments: [upload.id] }),
    null,
  );
  const sent = await sendComposed(
    ann.id,
    input({
      subject: "Sent for real",
      to: [
        { name: "Bob", address: bob.address },
        { name: "Peer", address: "peer@remote.test" },
      ],
      bcc: [{ address: "secret@remote.test" }],
      attachments: [upload.id],
    }),
    { draftId: draft, clientIp: "192.0.2.7" },
  );
  assert.ok(sent.sendAt.getTime() > Date.now(), "sent.sendAt.getTime() > Date.now()");
  assert.equal(await submitNextDueSend(), false, "nothing due inside the window");
  assert.deepEqual(
    (await folder(ann.id, "DRAFTS")).filter((d) => d.id === draft),
    [],
    "draft gone",
  );
  assert.deepEqual(await listUploads(ann.id, [upload.id]), [], "upload gone");
  assert.equal((await listPendingSends(ann.id)).length, 1);

  await new Promise((r) => setTimeout(r, Math.max(0, sent.sendAt.getTime() - Date.now()) + 100));
  assert.equal(await submitNextDueSend(), true);
  assert.equal(await submitNextDueSend(), false);
  const inbox = await folder(bob.id, "INBOX");
  const got = inbox.find((m) => m.subject === "Sent for real")!;
  assert.ok(got, "local recipient has it");
  const parsed = await simpleParser(Buffer.from(got.source.raw));
  assert.equal(parsed.headers.get("bcc"), undefined, "Bcc not delivered");
  assert.ok(
    parsed.attachments[0]!.content.equals(Buffer.from([1, 2, 3, 250])),
    "parsed.attachments[0]!.content.equals(Buffer.from([1, 2, 3, ",
  );
  assert.match(parsed.headers.get("received") as unknown as string, /192\.0\.2\.7/);
  const sentCopies = await folder(ann.id, "SENT");
  assert.equal(sentCopies.filter((m) => m.subject === "Sent for real").length, 1);
  const queued = await db.outboundRecipient.findMany({ where: { accountId: ann.id } });
  assert.deepEqual(queued.map((q) => q.recipient).sort(), [
    "peer@remote.test",
    "secret@remote.test",
  ]);
  assert.equal((await listPendingSends(ann.id)).length, 0);
  assert.deepEqual(
    (await suggestContacts(ann.id, "pe")).map((c) => c.address),
    ["peer@remote.test"],
  );
  // Too late to undo now.
  await assert.rejects(cancelPendingSend(ann.id, sent.id), /already been sent/);
});

test("undo racing the worker: the message is either taken back or sent, never both", async () => {
  for (let round = 0; round < 6; round++) {
    const subject = `Race ${round}`;
    const sent = await sendComposed(ann.id, input({ subject }), { draftId: null, clientIp: "" });
    await db.pendingSubmission.update({
      where: { accountId_id: { accountId: ann.id, id: sent.id } },
      data: { sendAt: new Date(Date.now() - 1000) },
    });
    const [undo] = await Promise.allSettled([
      cancelPendingSend(ann.id, sent.id),
      submitNextDueSend(),
      submitNextDueSend(),
    ]);
    const delivered = (await folder(bob.id, "INBOX")).filter((m) => m.subject === subject).length;
    const drafted = (await folder(ann.id, "DRAFTS")).filter((m) => m.subject === subject).length;
    if (undo.status === "fulfilled") {
      assert.equal(delivered, 0, `round ${round}: undone and not sent`);
      assert.equal(drafted, 1);
    } else {
      assert.match(String(undo.reason), /already been sent/);
      assert.equal(delivered, 1, `round ${round}: sent once`);
      assert.equal(drafted, 0);
    }
  }
});

test("scheduled send waits for its time and can be cancelled back to Drafts; bad times are refused", async () => {
  const later = new Date(Date.now() + 3600_000);
  const scheduled = await sendComposed(ann.id, input({ subject: "Later" }), {
    draftId: null,
    sendAt: later,
    clientIp: "",
  });
  const [pending] = (await listPendingSends(ann.id)).filter((p) => p.id === scheduled.id);
  assert.equal(pending!.scheduled, true);
  assert.equal(pending!.sendAt.getTime(), later.getTime());
  assert.equal(await submitNextDueSend(), false);
  const back = await cancelPendingSend(ann.id, scheduled.id);
  assert.equal(back.input.subject, "Later");
  assert.ok(back.draftId, "back.draftId");
  await assert.rejects(
    sendComposed(ann.id, input(), {
      draftId: null,
      sendAt: new Date(Date.now() - 60_000),
      clientIp: "",
    }),
    /future/,
  );
  // Unknown local users are refused at Send, not after the window.
  await assert.rejects(
    sendComposed(ann.id, input({ to: [{ address: "nobody@mail.test" }] }), {
      draftId: null,
      clientIp: "",
    }),
    /no such mailbox/,
  );
  await assert.rejects(
    sendComposed(ann.id, input({ to: [] }), { draftId: null, clientIp: "" }),
    /at least one recipient/,
  );
});

test("header injection attempts never reach a stored message", async () => {
  const attempts = [
    { subject: "Hi\r\nBcc: victim@example.org" },
    { to: [{ name: "Bob\r\nBcc: victim@example.org", address: bob.address }] },
    { to: [{ name: "", address: `${bob.address}\r\nBcc: victim@example.org` }] },
    { to: [{ name: "", address: `${bob.address}>, <victim@example.org` }] },
  ];
  for (const attempt of attempts) {
    await assert.rejects(
      sendComposed(ann.id, { ...input(), ...attempt } as never, { draftId: null, clientIp: "" }),
      (e: Error) => e.name === "ZodError",
    );
  }
  assert.equal(
    await db.pendingSubmission.count({
      where: { accountId: ann.id, subject: { contains: "Bcc" } },
    }),
    0,
  );
});

test("attachments over the limit are refused with the limit in the message; uploads are per account", async () => {
  const limit = maxAttachmentBytes();
  await assert.rejects(
    saveUpload(ann.id, {
      filename: "huge.bin",
      contentType: "application/octet-stream",
      content: Buffer.alloc(limit + 1),
    }),
    (e: Error & { code?: string }) =>
      e.code === "too_large" &&
      /huge\.bin is .* attachments can be at most 18\.\d MB/.test(e.message),
  );
  const mine = await saveUpload(ann.id, {
    filename: "a\r\nb/../evil.txt",
    contentType: "text/plain\r\nX-Evil: 1",
    content: Buffer.from("x"),
  });
  assert.equal(mine.filename, "evil.txt");
  assert.equal(mine.contentType, "application/octet-stream");
  assert.deepEqual(await listUploads(bob.id, [mine.id]), []);
  await assert.rejects(loadAttachments(bob.id, [mine.id]), /no longer available/);
});
