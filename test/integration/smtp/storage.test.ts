// What a delivery leaves in the store: byte-exact source, list fields,
// threads, search vector, exact counters, uids, and a NOTIFY at commit.
import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { useTestDatabase } from "../../helpers/db.ts";

const databaseUrl = await useTestDatabase();
const { makeAccount } = await import("../../helpers/accounts.ts");
const { startTestGateway, sendOnce, simpleMessage, RawSmtpClient } =
  await import("../../helpers/smtp-harness.ts");
const { MAIL_CHANGES_CHANNEL, parseMailChange } = await import("../../../lib/store/changes.ts");
const { findHeaderEnd } = await import("../../../lib/mime/headers.ts");
const { db } = await import("../../../lib/db.ts");

const { smtpPort: port } = await startTestGateway();
const bob = await makeAccount("bob");
const inbox = await db.mailbox.findFirstOrThrow({
  where: { accountId: bob.id, specialUse: "INBOX" },
});

async function deliver(message: string | Buffer, to = ["bob@mail.test"]) {
  const result = await sendOnce(port, { from: "alice@example.org", to }, message);
  assert.equal(result.final?.code, 250, result.final?.text);
}

const latest = () =>
  db.message.findFirstOrThrow({
    where: { accountId: bob.id },
    orderBy: { uid: "desc" },
    include: { source: true },
  });

test("the stored source is the trace headers followed by exactly the bytes sent", async () => {
  const message = Buffer.from(
    simpleMessage(
      { subject: "exact bytes" },
      "Line one\r\n.leading dot\r\n\r\n\ttabbed  \r\nünïcödé 8-bit\r\n",
    ),
    "utf8",
  );
  await deliver(message);
  const stored = await latest();
  const raw = Buffer.from(stored.source.raw);
  const prefixLength = raw.length - message.length;
  assert.ok(raw.subarray(prefixLength).equals(message), "message bytes unchanged");
  const prefix = raw.subarray(0, prefixLength).toString();
  assert.deepEqual(
    prefix
      .split(/\r\n(?![\t ])/)
      .filter(Boolean)
      .map((line) => line.split(":")[0]),
    ["Return-Path", "Authentication-Results", "Received", "X-Spam-Status"],
  );
  assert.equal(stored.size, raw.length);
  assert.equal(stored.source.size, raw.length);
  assert.equal(
    stored.sourceSha256,
    (await import("node:crypto")).createHash("sha256").update(raw).digest("hex"),
  );
});

test("list fields, snippet, attachments and bodies are filled from the parse", async () => {
  const message = [
    "From: Alice Example <alice@example.org>",
    "To: Bob <bob@mail.test>, carol@mail.test",
    "Cc: Dave <dave@example.net>",
    "Subject: Quarterly numbers",
    "Date: Mon, 2 Feb 2026 08:30:00 +0000",
    "Message-ID: <q1@example.org>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="zz"',
    "",
    "--zz",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Hi Bob,   the numbers\r\nare attached. Xylophone.",
    "--zz",
    'Content-Type: text/csv; name="numbers.csv"',
    'Content-Disposition: attachment; filename="numbers.csv"',
    "",
    "a,b\r\n1,2",
    "--zz--",
    "",
  ].join("\r\n");
  await deliver(message);
  const stored = await latest();
  assert.equal(stored.fromAddress, "alice@example.org");
  assert.equal(stored.fromName, "Alice Example");
  assert.deepEqual(stored.toList, [
    { name: "Bob", address: "bob@mail.test" },
    { name: "", address: "carol@mail.test" },
  ]);
  assert.deepEqual(stored.ccList, [{ name: "Dave", address: "dave@example.net" }]);
  assert.equal(stored.subject, "Quarterly numbers");
  assert.equal(stored.sentAt?.toISOString(), "2026-02-02T08:30:00.000Z");
  assert.equal(stored.messageIdHeader, "<q1@example.org>");
  assert.equal(stored.snippet, "Hi Bob, the numbers are attached. Xylophone.");
  assert.equal(stored.hasAttachments, true);
  assert.equal(stored.seen, false);
  assert.match(stored.source.textBody, /numbers\r?\nare attached/);
  const attachments = await db.attachment.findMany({
    where: { sourceSha256: stored.sourceSha256 },
  });
  assert.deepEqual(
    attachments.map((a) => [a.index, a.filename, a.contentType, a.size, a.inline]),
    [[0, "numbers.csv", "text/csv", 8, false]],
  );
  // The search vector covers subject, addresses, attachment names and body.
  // The gateway's indexer fills it just after the commit (NOTIFY-woken).
  const deadline = Date.now() + 10_000;
  while ((await db.unindexedMessage.count({ where: { accountId: bob.id } })) > 0) {
    assert.ok(Date.now() < deadline, "the gateway's search indexer did not run");
    await new Promise((r) => setTimeout(r, 25));
  }
  for (const term of ["quarterly", "dave@example.net", "numbers.csv", "xylophone"]) {
    const rows = await db.$queryRaw<{ id: string }[]>`
      SELECT "messageId"::text AS "id" FROM "MessageSearch" WHERE "accountId" = ${bob.id}::uuid
        AND "vector" @@ plainto_tsquery('simple', ${term})`;
    assert.deepEqual(
      rows.map((r) => r.id),
      [stored.id],
      term,
    );
  }
});

test("replies join the thread by References, then by subject; others start their own", async () => {
  const at = (id: string, subject: string, extra: string[] = []) =>
    simpleMessage({ messageId: `<${id}@example.org>`, subject, extraHeaders: extra });
  await deliver(at("t1", "Lunch plans"));
  await deliver(
    at("t2", "Re: Lunch plans", ["In-Reply-To: <t1@example.org>", "References: <t1@example.org>"]),
  );
  // A reply whose parent we never saw, with a changed subject, still joins through References.
  await deliver(at("t3", "Re: lunch, revised", ["References: <t1@example.org> <t2@example.org>"]));
  // No References at all: the normalised subject of a reply is the fallback.
  await deliver(at("t4", "AW: [team] RE: Lunch plans"));
  // Same words without a reply marker: a new conversation.
  await deliver(at("t5", "Lunch plans"));
  const rows = await db.message.findMany({
    where: {
      accountId: bob.id,
      messageIdHeader: {
        in: [
          "<t1@example.org>",
          "<t2@example.org>",
          "<t3@example.org>",
          "<t4@example.org>",
          "<t5@example.org>",
        ],
      },
    },
    orderBy: { uid: "asc" },
  });
  const [t1, t2, t3, t4, t5] = rows.map((r) => r.threadId);
  assert.equal(t2, t1);
  assert.equal(t3, t1);
  assert.equal(t4, t1);
  assert.notEqual(t5, t1);
  const thread = await db.thread.findUniqueOrThrow({
    where: { accountId_id: { accountId: bob.id, id: t1! } },
  });
  assert.equal(thread.normalizedSubject, "lunch plans");
});

test("a parent that arrives after its reply joins the reply's thread", async () => {
  const at = (id: string, subject: string, extra: string[] = []) =>
    simpleMessage({ messageId: `<${id}@example.org>`, subject, extraHeaders: extra });
  // The reply overtakes its parent (greylisting, a slow list server), with a
  // subject the parent's does not match.
  await deliver(at("late-reply", "Re: Budget numbers", ["In-Reply-To: <late-parent@example.org>"]));
  await deliver(at("late-parent", "Budget for 2027"));
  const thread = async (id: string) =>
    (
      await db.message.findFirstOrThrow({
        where: { accountId: bob.id, messageIdHeader: `<${id}@example.org>` },
      })
    ).threadId;
  assert.equal(await thread("late-parent"), await thread("late-reply"));
});

test("concurrent deliveries get consecutive uids and exact counters", async () => {
  const before = await db.mailbox.findUniqueOrThrow({
    where: { accountId_id: { accountId: bob.id, id: inbox.id } },
  });
  const clients = await Promise.all(Array.from({ length: 8 }, () => RawSmtpClient.connect(port)));
  await Promise.all(
    clients.map(async ({ client }, c) => {
      await client.command("EHLO client.example.org");
      for (let i = 0; i < 5; i++) {
        await client.command("MAIL FROM:<alice@example.org>");
        await client.command("RCPT TO:<bob@mail.test>");
        await client.command("DATA");
        assert.equal((await client.data(simpleMessage({ subject: `burst ${c}-${i}` }))).code, 250);
      }
      await client.quit();
    }),
  );
  const after = await db.mailbox.findUniqueOrThrow({
    where: { accountId_id: { accountId: bob.id, id: inbox.id } },
  });
  const messages = await db.message.findMany({
    where: { accountId: bob.id, mailboxId: inbox.id },
    orderBy: { uid: "asc" },
  });
  assert.equal(after.uidNext - before.uidNext, 40);
  assert.deepEqual(
    messages.map((m) => m.uid),
    Array.from({ length: after.uidNext - 1 }, (_, i) => i + 1),
    "uids 1..n without gaps or repeats",
  );
  assert.equal(after.messageCount, messages.length);
  assert.equal(after.unreadCount, messages.filter((m) => !m.seen).length);
  assert.equal(after.totalBytes, BigInt(messages.reduce((n, m) => n + m.size, 0)));
  assert.equal(after.highestModseq, BigInt(Math.max(...messages.map((m) => Number(m.modseq)))));
  const account = await db.account.findUniqueOrThrow({ where: { id: bob.id } });
  assert.equal(account.usedBytes, after.totalBytes);
});

test("a NOTIFY on mail_changes announces each new message when it is committed", async () => {
  const listener = new pg.Client({ connectionString: databaseUrl });
  await listener.connect();
  const changes: unknown[] = [];
  listener.on("notification", (n) => {
    if (n.channel === MAIL_CHANGES_CHANNEL) changes.push(parseMailChange(n.payload));
  });
  await listener.query(`LISTEN ${MAIL_CHANGES_CHANNEL}`);
  await deliver(simpleMessage({ subject: "announced" }));
  const stored = await latest();
  for (let i = 0; i < 50 && changes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  await listener.end();
  assert.deepEqual(changes, [
    { accountId: bob.id, mailboxId: inbox.id, kind: "new", messageId: stored.id, uid: stored.uid },
  ]);
});

test("a message without a header/body separator is stored and parsed", async () => {
  const headerOnly = "Subject: header only\r\nFrom: x@example.org\r\n";
  await deliver(headerOnly);
  const stored = await latest();
  const raw = Buffer.from(stored.source.raw);
  assert.ok(raw.toString().endsWith(headerOnly));
  assert.equal(stored.subject, "header only");
  assert.ok(findHeaderEnd(raw) === -1 || findHeaderEnd(raw) === raw.length);
});
