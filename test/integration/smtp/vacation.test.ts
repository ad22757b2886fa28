// The vacation responder over real SMTP: mail from outside reaches the MX,
// the auto-reply goes out through the relay queue to a loopback peer with
// MAIL FROM:<> (RFC 3834 §3.3), once per sender, and never to lists, bulk or
// automatic mail, null senders, mail not addressed to the user, or outside
// the dates the user chose.
import assert from "node:assert/strict";
import { test } from "node:test";
import { simpleParser } from "mailparser";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { startSmtpPeer } from "../../helpers/smtp-peer.ts";
import { sendOnce, simpleMessage, startTestGateway } from "../../helpers/smtp-harness.ts";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { parseConfig } = await import("../../../lib/config/index.ts");
const { updateVacation } = await import("../../../lib/accounts/user-settings.ts");
const { vacationRepliesSettled } = await import("../../../lib/delivery/vacation.ts");
const { submitMessage } = await import("../../../lib/submission/submit-message.ts");
const { createStaticResolver } = await import("../../../lib/dns/resolver.ts");
const { hostedDkimTable, signedIfHosted } = await import("../../helpers/hosted-signature.ts");

const peer = await startSmtpPeer();
const spoolDir = await mkdtemp(path.join(tmpdir(), "mail-spool-"));
const gateway = await startTestGateway({
  spoolDir,
  resolver: createStaticResolver(await hostedDkimTable()),
  config: parseConfig({
    ...process.env,
    MAIL_DOMAIN: "mail.test",
    MAIL_HOSTNAME: "mx.mail.test",
    DATA_DIR: spoolDir,
    RELAY_ROUTES: `example.org=127.0.0.1:${peer.port}`,
    RELAY_POLL_SECONDS: "0.1",
  }),
});

const bob = await makeAccount("bob");
const away = {
  enabled: true,
  subject: "Out of office until Monday",
  body: "I am away and will read your message when I am back.\nBob",
  startDate: "",
  endDate: "",
  timeZone: "UTC",
  replyIntervalDays: 4,
};
await updateVacation(bob.id, away);

const day = 24 * 60 * 60 * 1000;
const isoDate = (offsetDays: number) =>
  new Date(Date.now() + offsetDays * day).toISOString().slice(0, 10);
// Away from next week on, and back since yesterday: neither answers today.
const carol = await makeAccount("carol");
await updateVacation(carol.id, { ...away, startDate: isoDate(7), endDate: isoDate(14) });
const dan = await makeAccount("dan");
await updateVacation(dan.id, { ...away, startDate: isoDate(-10), endDate: isoDate(-1) });

async function deliver(
  from: string,
  to: string,
  options: { headers?: string[]; header?: { from?: string; to?: string }; id?: string } = {},
) {
  const message = simpleMessage({
    from: options.header?.from ?? from,
    to: options.header?.to ?? to,
    subject: "Project update",
    messageId: options.id,
    extraHeaders: options.headers,
  });
  // A hosted sender's mail at the MX carries its domain's signature.
  const result = await sendOnce(
    gateway.smtpPort,
    { from, to: [to] },
    await signedIfHosted(message, from),
  );
  assert.equal(result.final?.code, 250, result.final?.text);
  // The reply is started after the commit; wait for it to be queued (or not).
  await vacationRepliesSettled();
}

async function nullSenderRows() {
  return db.outboundRecipient.findMany({ where: { mailFrom: "" }, orderBy: { createdAt: "asc" } });
}

test("an external sender writing twice gets exactly one reply, well-formed, from the null sender", async () => {
  await deliver("alice@example.org", "bob@mail.test", { id: "<first.1@example.org>" });
  await peer.waitForMessages(1);
  await deliver("alice@example.org", "bob@mail.test", { id: "<second.2@example.org>" });

  assert.equal((await nullSenderRows()).length, 1);
  const [reply] = peer.received;
  assert.equal(reply!.mailFrom, "", "RFC 3834 §3.3: MAIL FROM:<>");
  assert.deepEqual(reply!.rcptTo, ["alice@example.org"]);
  const parsed = await simpleParser(reply!.raw);
  assert.equal(parsed.headers.get("auto-submitted"), "auto-replied");
  assert.equal(parsed.inReplyTo, "<first.1@example.org>");
  assert.ok(
    [parsed.references ?? []].flat().includes("<first.1@example.org>"),
    "References carries the original",
  );
  assert.equal(parsed.subject, "Out of office until Monday");
  assert.equal(parsed.from?.value[0]?.address, "bob@mail.test");
  assert.equal(
    parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.address : "",
    "alice@example.org",
  );
  assert.match(parsed.text ?? "", /I am away and will read your message/);
  assert.ok(parsed.headers.has("dkim-signature"), "signed with the domain key");
  // Bob still got both messages.
  const inbox = await db.message.count({ where: { accountId: bob.id } });
  assert.equal(inbox, 2);

  // A second, later delivery after the interval is answered again.
  await db.vacationReply.updateMany({
    where: { accountId: bob.id },
    data: { repliedAt: new Date(Date.now() - 5 * day) },
  });
  await deliver("alice@example.org", "bob@mail.test", { id: "<third.3@example.org>" });
  assert.equal((await nullSenderRows()).length, 2);
  await peer.waitForMessages(2);
});

test("lists, bulk and automatic mail, null senders, robots, Bcc and the user's own mail get no reply", async () => {
  const before = (await nullSenderRows()).length;
  await deliver("news@example.org", "bob@mail.test", {
    headers: ["List-Id: Weekly news <news.example.org>"],
  });
  await deliver("unsub@example.org", "bob@mail.test", {
    headers: ["List-Unsubscribe: <mailto:unsub@example.org>"],
  });
  await deliver("promo@example.org", "bob@mail.test", { headers: ["Precedence: bulk"] });
  await deliver("robot@example.org", "bob@mail.test", {
    headers: ["Auto-Submitted: auto-generated"],
  });
  await deliver("other-vacation@example.org", "bob@mail.test", {
    headers: ["Auto-Submitted: auto-replied"],
  });
  await deliver("", "bob@mail.test", { header: { from: "MAILER-DAEMON@example.org" } });
  await deliver("no-reply@example.org", "bob@mail.test");
  await deliver("bcc@example.org", "bob@mail.test", { header: { to: "someone@example.org" } });
  await deliver("bob@mail.test", "bob@mail.test");
  assert.equal((await nullSenderRows()).length, before);
  // Bob received every one of them.
  assert.equal(await db.message.count({ where: { accountId: bob.id } }), 3 + 9);

  // Auto-Submitted: no is a person's mail: answered.
  await deliver("person@example.org", "bob@mail.test", { headers: ["Auto-Submitted: no"] });
  assert.equal((await nullSenderRows()).length, before + 1);
});

test("outside the chosen dates nobody is answered", async () => {
  const before = (await nullSenderRows()).length;
  await deliver("alice@example.org", "carol@mail.test");
  await deliver("alice@example.org", "dan@mail.test");
  assert.equal((await nullSenderRows()).length, before);
  assert.equal(
    await db.vacationReply.count({ where: { accountId: { in: [carol.id, dan.id] } } }),
    0,
  );
});

test("a local sender is answered in their Inbox with an empty Return-Path", async () => {
  const erin = await makeAccount("erin");
  await deliver("erin@mail.test", "bob@mail.test");
  const copy = await db.message.findFirst({
    where: { accountId: erin.id },
    include: { source: { select: { raw: true } } },
  });
  assert.ok(copy, "the reply reached erin's Inbox");
  const raw = Buffer.from(copy.source.raw).toString("latin1");
  assert.match(raw, /^Return-Path: <>\r\n/);
  assert.match(raw, /\r\nAuto-Submitted: auto-replied\r\n/);
});

test("a colleague sending through submission (webmail, SMTP AUTH) is answered too", async () => {
  const fay = await makeAccount("fay");
  await submitMessage({
    accountId: fay.id,
    recipients: ["bob@mail.test"],
    via: { protocol: "webmail", clientIp: "127.0.0.1" },
    raw: Buffer.from(
      simpleMessage({ from: "fay@mail.test", to: "bob@mail.test", subject: "Lunch?" }),
    ),
  });
  await vacationRepliesSettled();
  const inbox = await db.message.findMany({
    where: { accountId: fay.id, mailbox: { specialUse: "INBOX" } },
    include: { source: { select: { raw: true } } },
  });
  assert.equal(inbox.length, 1, "exactly one auto-reply reached fay's Inbox");
  const raw = Buffer.from(inbox[0]!.source.raw).toString("latin1");
  assert.match(raw, /\r\nAuto-Submitted: auto-replied\r\n/);
  assert.match(raw, /\r\nIn-Reply-To: <[^>]+>\r\n/);
});

test("a display name saved before names were checked is left out of the reply", async () => {
  const gil = await makeAccount("gil");
  await updateVacation(gil.id, away);
  // Settings refuse such a name now; one from before stays in the table.
  await db.account.update({ where: { id: gil.id }, data: { displayName: "bob@mail.test" } });
  const before = peer.received.length;
  await deliver("zoe@example.org", "gil@mail.test");
  await peer.waitForMessages(before + 1);
  const reply = peer.received.find((r) => r.rcptTo.includes("zoe@example.org"))!;
  const parsed = await simpleParser(reply.raw);
  assert.deepEqual(parsed.from?.value, [{ address: "gil@mail.test", name: "" }]);
});
