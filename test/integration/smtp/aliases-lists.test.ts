// Aliases (local and external targets, loops), per-domain catch-all, and
// mailing lists (List-Id/List-Post, members-only, loop refusal).
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { makeAccount } = await import("../../helpers/accounts.ts");
const { startTestGateway, sendOnce, simpleMessage, RawSmtpClient } =
  await import("../../helpers/smtp-harness.ts");
const { setAccountDisabled } = await import("../../../lib/accounts/manage.ts");
const { db } = await import("../../../lib/db.ts");

// No relay worker: these tests look at queue rows before anything sends them.
const { smtpPort: port } = await startTestGateway({ relay: false });
const bob = await makeAccount("bob");
const carol = await makeAccount("carol");
await makeAccount("dave");
await setAccountDisabled("dave@mail.test", true);
const erin = await makeAccount("erin", { quotaBytes: 100n });
await db.account.update({ where: { id: erin.id }, data: { usedBytes: 100n } });
const catchAll = await makeAccount("inbox", { domain: "catch.test" });
await db.domain.update({ where: { name: "catch.test" }, data: { catchAllTarget: "inbox" } });

const mailTest = await db.domain.findUniqueOrThrow({ where: { name: "mail.test" } });
async function alias(
  address: string,
  targets: string[],
  options: { list?: boolean; membersOnly?: boolean } = {},
) {
  await db.alias.create({
    data: {
      address,
      domainId: mailTest.id,
      kind: options.list ? "LIST" : "ALIAS",
      membersOnly: options.membersOnly ?? false,
      targets: { create: targets.map((t) => ({ address: t })) },
    },
  });
}
await alias("team@mail.test", ["bob@mail.test", "carol@mail.test", "partner@external.example"]);
await alias("ping@mail.test", ["pong@mail.test", "bob@mail.test"]);
await alias("pong@mail.test", ["ping@mail.test", "carol@mail.test"]);
await alias("quota@mail.test", ["bob@mail.test", "erin@mail.test"]);
await alias("retired@mail.test", ["dave@mail.test"]);
await alias("list@mail.test", ["bob@mail.test", "carol@mail.test", "outsider@external.example"], {
  list: true,
});
await alias("club@mail.test", ["bob@mail.test", "member@example.org"], {
  list: true,
  membersOnly: true,
});

async function copiesOf(messageId: string) {
  return db.message.findMany({
    where: { messageIdHeader: messageId },
    include: { source: true },
    orderBy: { accountId: "asc" },
  });
}

async function deliver(
  from: string,
  to: string[],
  fields: Parameters<typeof simpleMessage>[0] = {},
) {
  const messageId = `<${Math.random().toString(36).slice(2)}@example.org>`;
  const result = await sendOnce(port, { from, to }, simpleMessage({ ...fields, messageId }));
  return { ...result, messageId };
}

test("an alias reaches its local targets with one shared source and queues its external one", async () => {
  const { final, messageId } = await deliver("alice@example.org", ["team@mail.test"]);
  assert.equal(final?.code, 250);
  const copies = await copiesOf(messageId);
  assert.deepEqual(copies.map((c) => c.accountId).sort(), [bob.id, carol.id].sort());
  assert.equal(
    copies[0]!.sourceSha256,
    copies[1]!.sourceSha256,
    "one MessageSource for both copies",
  );
  const queued = await db.outboundRecipient.findMany({
    where: { sourceSha256: copies[0]!.sourceSha256 },
  });
  assert.equal(queued.length, 1);
  assert.equal(queued[0]!.recipient, "partner@external.example");
  assert.equal(queued[0]!.domain, "external.example");
  assert.equal(queued[0]!.status, "QUEUED");
  assert.equal(queued[0]!.mailFrom, "alice@example.org");
  assert.equal(queued[0]!.accountId, null);
});

test("an account named directly and through an alias gets one copy", async () => {
  const { final, messageId } = await deliver("alice@example.org", [
    "bob@mail.test",
    "team@mail.test",
    "BOB+x@mail.test",
  ]);
  assert.equal(final?.code, 250);
  const copies = await copiesOf(messageId);
  assert.equal(copies.filter((c) => c.accountId === bob.id).length, 1);
  assert.equal(copies.filter((c) => c.accountId === carol.id).length, 1);
  // Several recipients: the Received header names none of them (RFC 5321 §7.2).
  assert.doesNotMatch(Buffer.from(copies[0]!.source.raw).toString(), /\tfor </);
});

test("aliases that point at each other end: each account gets one copy", async () => {
  const { final, messageId } = await deliver("alice@example.org", ["ping@mail.test"]);
  assert.equal(final?.code, 250);
  assert.deepEqual(
    (await copiesOf(messageId)).map((c) => c.accountId).sort(),
    [bob.id, carol.id].sort(),
  );
});

test("an alias with a full target defers (452 4.2.2); one with only a disabled target is 550 5.2.1", async () => {
  const full = await deliver("alice@example.org", ["quota@mail.test"]);
  assert.equal(full.rcpt[0]!.code, 452);
  assert.match(full.rcpt[0]!.text, /^4\.2\.2 /);
  const retired = await deliver("alice@example.org", ["retired@mail.test"]);
  assert.equal(retired.rcpt[0]!.code, 550);
  assert.match(retired.rcpt[0]!.text, /^5\.2\.1 /);
});

test("a catch-all takes unknown users of its domain only", async () => {
  const caught = await deliver("alice@example.org", ["anything-at-all@catch.test"]);
  assert.equal(caught.final?.code, 250);
  assert.deepEqual(
    (await copiesOf(caught.messageId)).map((c) => c.accountId),
    [catchAll.id],
  );
  const unknown = await deliver("alice@example.org", ["anything-at-all@mail.test"]);
  assert.equal(unknown.rcpt[0]!.code, 550);
});

test("list copies carry List-Id and List-Post; external members are queued from the list", async () => {
  const { final, messageId } = await deliver("alice@example.org", ["list@mail.test"], {
    subject: "to the list",
  });
  assert.equal(final?.code, 250);
  const copies = await copiesOf(messageId);
  assert.deepEqual(copies.map((c) => c.accountId).sort(), [bob.id, carol.id].sort());
  const raw = Buffer.from(copies[0]!.source.raw).toString();
  assert.match(
    raw,
    /\r\nList-Id: <list\.mail\.test>\r\nList-Post: <mailto:list@mail\.test>\r\nFrom: /,
  );
  const queued = await db.outboundRecipient.findMany({
    where: { sourceSha256: copies[0]!.sourceSha256 },
  });
  assert.deepEqual(
    queued.map((q) => [q.recipient, q.mailFrom]),
    [["outsider@external.example", "list@mail.test"]],
  );
});

test("a member also named directly gets the direct copy, without list headers", async () => {
  const { final, messageId } = await deliver("alice@example.org", [
    "list@mail.test",
    "bob@mail.test",
  ]);
  assert.equal(final?.code, 250);
  const copies = await copiesOf(messageId);
  const bobCopy = copies.find((c) => c.accountId === bob.id)!;
  const carolCopy = copies.find((c) => c.accountId === carol.id)!;
  assert.doesNotMatch(Buffer.from(bobCopy.source.raw).toString(), /List-Id:/);
  assert.match(Buffer.from(carolCopy.source.raw).toString(), /List-Id: <list\.mail\.test>/);
  assert.notEqual(bobCopy.sourceSha256, carolCopy.sourceSha256);
});

test("a post that already went through the list is a loop: 554 5.4.6", async () => {
  const { final, messageId } = await deliver("alice@example.org", ["list@mail.test"], {
    extraHeaders: ["List-Id: Our list <list.mail.test>"],
  });
  assert.equal(final?.code, 554);
  assert.match(final!.text, /^5\.4\.6 /);
  assert.equal((await copiesOf(messageId)).length, 0);
});

test("bounces (null sender) are not redistributed to a list", async () => {
  const { rcpt } = await deliver("", ["list@mail.test"]);
  assert.equal(rcpt[0]!.code, 550);
  assert.match(rcpt[0]!.text, /^5\.7\.1 /);
});

test("a members-only list refuses strangers and takes members, subaddressed too", async () => {
  const stranger = await deliver("alice@example.org", ["club@mail.test"]);
  assert.equal(stranger.rcpt[0]!.code, 550);
  assert.match(stranger.rcpt[0]!.text, /^5\.7\.1 /);
  const member = await deliver("member+lists@example.org", ["club@mail.test"]);
  assert.equal(member.final?.code, 250);
  assert.deepEqual(
    (await copiesOf(member.messageId)).map((c) => c.accountId),
    [bob.id],
  );
});

test("one refused recipient does not spoil the others in the transaction", async () => {
  const { client } = await RawSmtpClient.connect(port);
  await client.command("EHLO client.example.org");
  await client.command("MAIL FROM:<alice@example.org>");
  assert.equal((await client.command("RCPT TO:<club@mail.test>")).code, 550);
  assert.equal((await client.command("RCPT TO:<carol@mail.test>")).code, 250);
  await client.command("DATA");
  assert.equal((await client.data(simpleMessage({ messageId: "<mixed@example.org>" }))).code, 250);
  await client.quit();
  assert.deepEqual(
    (await copiesOf("<mixed@example.org>")).map((c) => c.accountId),
    [carol.id],
  );
});
