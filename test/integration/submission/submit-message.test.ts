// The one submission path (webmail composer and SMTP submission): who may
// send as whom, limits, local delivery plus queueing in one transaction, the
// Sent copy, Bcc removal, DKIM, and bounces back into the sender's Inbox.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dkimVerify } from "mailauth";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { startSmtpPeer } from "../../helpers/smtp-peer.ts";

// Limits are read once per process: set before lib/config is first used.
process.env.SEND_LIMIT_MESSAGES_PER_HOUR = "4";
process.env.SEND_LIMIT_RECIPIENTS_PER_DAY = "8";
await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { submitMessage, RecipientRefusedError } =
  await import("../../../lib/submission/submit-message.ts");
const { UserError } = await import("../../../lib/errors.ts");
const { dkimDnsRecord, ensureDkimKey } = await import("../../../lib/dkim/keys.ts");
const { createStaticResolver, toMailauthResolver } = await import("../../../lib/dns/resolver.ts");
const { parseConfig } = await import("../../../lib/config/index.ts");
const { deliverSenderReports } = await import("../../../lib/queue/reports.ts");
const { RelayWorker } = await import("../../../mail-gateway/relay/worker.ts");
const { deliveryStatusForSentMessage } = await import("../../../lib/queue/status.ts");

const alice = await makeAccount("alice");
const bob = await makeAccount("bob");
const carol = await makeAccount("carol");
const domain = await db.domain.findUniqueOrThrow({ where: { name: "mail.test" } });
await db.alias.create({
  data: {
    address: "sales@mail.test",
    domainId: domain.id,
    ownerAccountId: alice.id,
    targets: { create: [{ address: "alice@mail.test" }] },
  },
});

const via = { protocol: "webmail" as const, clientIp: "127.0.0.1" };
const message = (from: string, extra = "") =>
  Buffer.from(
    `From: Alice <${from}>\r\nTo: bob@mail.test, friend@remote.test\r\n${extra}Subject: Plans\r\n\r\nSee you at ten.\r\n`,
  );

async function inbox(accountId: string) {
  return db.message.findMany({
    where: { accountId, mailbox: { specialUse: "INBOX" } },
    include: { source: true },
  });
}

test("local and remote recipients in one message: Inbox copy, queue row, read Sent copy", async () => {
  const result = await submitMessage({
    accountId: alice.id,
    recipients: ["bob@mail.test", "friend@remote.test", "carol@mail.test"],
    raw: message("alice@mail.test", "Bcc: carol@mail.test\r\n"),
    via,
  });
  assert.deepEqual(result.localRecipients.sort(), ["bob@mail.test", "carol@mail.test"]);
  assert.deepEqual(result.queuedRecipients, ["friend@remote.test"]);
  assert.match(result.messageId, /^<[^@]+@mail\.test>$/);

  const [bobCopy] = await inbox(bob.id);
  assert.ok(bobCopy, "bob got it");
  assert.equal(bobCopy.seen, false);
  const raw = Buffer.from(bobCopy.source.raw).toString();
  assert.doesNotMatch(raw, /^Bcc:/im, "Bcc never reaches recipients");
  assert.match(raw, /^Message-ID: </im);
  assert.match(raw, /^Date: /im);
  assert.match(raw, /^DKIM-Signature: /m);
  assert.equal((await inbox(carol.id)).length, 1, "the Bcc recipient got it");

  const sent = await db.message.findMany({
    where: { accountId: alice.id, mailbox: { specialUse: "SENT" } },
  });
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.seen, true);
  const sentBox = await db.mailbox.findFirstOrThrow({
    where: { accountId: alice.id, specialUse: "SENT" },
  });
  assert.equal(sentBox.unreadCount, 0);
  assert.equal(sentBox.messageCount, 1);

  const queued = await db.outboundRecipient.findMany({ where: { accountId: alice.id } });
  assert.deepEqual(
    queued.map((q) => [q.recipient, q.mailFrom, q.status]),
    [["friend@remote.test", "alice@mail.test", "QUEUED"]],
  );

  // The signature verifies against the record admins are told to publish.
  const record = dkimDnsRecord((await ensureDkimKey("mail.test"))!);
  const resolver = createStaticResolver({ [record.name]: { TXT: [[record.value]] } });
  const verified = await dkimVerify(Buffer.from(bobCopy.source.raw), {
    resolver: toMailauthResolver(resolver),
  } as Parameters<typeof dkimVerify>[1]);
  assert.equal(verified.results[0]?.status?.result, "pass");
});

test("From must be the user's address or an alias they own", async () => {
  await assert.rejects(
    submitMessage({
      accountId: alice.id,
      recipients: ["bob@mail.test"],
      raw: message("bob@mail.test"),
      via,
    }),
    (e: unknown) =>
      e instanceof UserError && e.code === "forbidden" && /bob@mail\.test/.test(e.message),
  );
  await assert.rejects(
    submitMessage({
      accountId: bob.id,
      recipients: ["alice@mail.test"],
      raw: message("sales@mail.test"),
      via,
    }),
    (e: unknown) => e instanceof UserError && e.code === "forbidden",
  );
  await assert.rejects(
    submitMessage({
      accountId: alice.id,
      mailFrom: "ceo@mail.test",
      recipients: ["bob@mail.test"],
      raw: message("alice@mail.test"),
      via,
    }),
    (e: unknown) => e instanceof UserError && e.code === "forbidden",
  );
  const viaAlias = await submitMessage({
    accountId: alice.id,
    recipients: ["bob@mail.test"],
    raw: message("sales@mail.test"),
    via,
  });
  assert.deepEqual(viaAlias.localRecipients, ["bob@mail.test"]);
});

test("unknown hosted recipients are refused before anything is stored", async () => {
  const before = await db.message.count();
  await assert.rejects(
    submitMessage({
      accountId: alice.id,
      recipients: ["bob@mail.test", "nobody@mail.test"],
      raw: message("alice@mail.test"),
      via,
    }),
    (e: unknown) =>
      e instanceof RecipientRefusedError &&
      e.recipient === "nobody@mail.test" &&
      e.reason === "unknown_user",
  );
  assert.equal(await db.message.count(), before);
});

test("sending limits: messages per hour and recipients per day", async () => {
  const dave = await makeAccount("dave");
  const send = (recipients: string[]) =>
    submitMessage({
      accountId: dave.id,
      recipients,
      raw: Buffer.from("From: dave@mail.test\r\nSubject: x\r\n\r\nx\r\n"),
      via,
    });
  await send(["bob@mail.test", "carol@mail.test", "alice@mail.test"]);
  await send(["bob@mail.test", "carol@mail.test", "alice@mail.test"]);
  // 6 of 8 recipients used: 3 more would go over the daily limit.
  await assert.rejects(
    send(["a@remote.test", "b@remote.test", "c@remote.test"]),
    (e: unknown) =>
      e instanceof UserError && e.code === "throttled" && /recipients a day/.test(e.message),
  );
  await send(["bob@mail.test"]);
  await send(["bob@mail.test"]);
  // 4 messages this hour: the fifth is refused.
  await assert.rejects(
    send(["bob@mail.test"]),
    (e: unknown) =>
      e instanceof UserError && e.code === "throttled" && /messages an hour/.test(e.message),
  );
});

test("a remote 5xx comes back as a bounce in the sender's Inbox, and the queue shows why", async () => {
  const peer = await startSmtpPeer();
  peer.behaviours.set("missing@bounce.test", {
    kind: "reply",
    stage: "rcpt",
    code: 550,
    message: "5.1.1 No such user here",
  });
  const erin = await makeAccount("erin");
  await submitMessage({
    accountId: erin.id,
    recipients: ["missing@bounce.test"],
    raw: Buffer.from(
      "From: erin@mail.test\r\nTo: missing@bounce.test\r\nSubject: Hello there\r\n\r\nhi\r\n",
    ),
    via,
  });
  const worker = new RelayWorker({
    relay: parseConfig({
      RELAY_ROUTES: `bounce.test=127.0.0.1:${peer.port}`,
      RELAY_POLL_SECONDS: "0.1",
    }).relay,
    hostname: "mx.mail.test",
    resolver: createStaticResolver({}),
    deliverReports: (reports) => deliverSenderReports(reports),
    log: () => {},
  });
  worker.start();
  try {
    const deadline = Date.now() + 20_000;
    let bounces: Awaited<ReturnType<typeof inbox>> = [];
    while (Date.now() < deadline && bounces.length === 0) {
      bounces = (await inbox(erin.id)).filter((m) =>
        m.fromAddress.toLowerCase().startsWith("mailer-daemon@"),
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(bounces.length, 1, "one bounce in erin's Inbox");
    assert.match(bounces[0]!.subject, /^Undelivered Mail Returned to Sender: Hello there$/);
    const raw = Buffer.from(bounces[0]!.source.raw).toString();
    assert.match(raw, /^Return-Path: <>/m);
    assert.match(raw, /Status: 5\.1\.1/);
    const sentCopy = await db.message.findFirstOrThrow({
      where: { accountId: erin.id, mailbox: { specialUse: "SENT" } },
    });
    const [status] = await deliveryStatusForSentMessage(erin.id, sentCopy.sourceSha256);
    assert.equal(status!.recipient, "missing@bounce.test");
    assert.equal(status!.status, "bounced");
    assert.match(status!.lastReply ?? "", /550 5\.1\.1 No such user here/);
    assert.equal(status!.nextAttemptAt, null);
    // Another account asking about the same bytes learns nothing.
    assert.deepEqual(await deliveryStatusForSentMessage(alice.id, sentCopy.sourceSha256), []);
  } finally {
    await worker.stop();
  }
});
