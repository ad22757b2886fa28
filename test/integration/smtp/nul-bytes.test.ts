// NUL and invalid Unicode at the SMTP boundary, over real sockets: in the
// envelope (HELO/EHLO, MAIL FROM, RCPT TO, AUTH) they get a 5xx syntax reply,
// never a 451 from a failed database lookup; in a message they are content:
// headers that decode to a NUL or a lone surrogate (a UTF-16 encoded-word)
// are still delivered, with the bytes unchanged.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { makeAccount, TEST_PASSWORD } = await import("../../helpers/accounts.ts");
const { startTestGateway, RawSmtpClient, simpleMessage } =
  await import("../../helpers/smtp-harness.ts");
const { db } = await import("../../../lib/db.ts");

const gateway = await startTestGateway({ relay: false });
const bob = await makeAccount("bob");
await makeAccount("alice");

const noLookupFailed = () =>
  assert.deepEqual(
    gateway.logs.filter((l) => /failed/.test(l)),
    [],
    "nothing reached the database with a NUL",
  );

test("MX: a NUL in HELO, EHLO, MAIL FROM or RCPT TO is a syntax error; bad UTF-8 is no user", async () => {
  const { client } = await RawSmtpClient.connect(gateway.smtpPort);
  assert.equal((await client.command("HELO bad\0name.example")).code, 501);
  assert.equal((await client.command("EHLO bad\0name.example")).code, 501);
  assert.equal((await client.command("EHLO client.example")).code, 250);
  assert.equal((await client.command("MAIL FROM:<al\0ice@example.org>")).code, 501);
  assert.equal((await client.command("MAIL FROM:<alice@example.org>")).code, 250);
  assert.equal((await client.command("RCPT TO:<bo\0b@mail.test>")).code, 501);
  assert.equal((await client.command("RCPT TO:<bob@mail.test\0>")).code, 501);
  // Bytes that are not UTF-8 arrive as U+FFFD: an unknown user, a domain not ours.
  client.write(
    Buffer.concat([
      Buffer.from("RCPT TO:<b"),
      Buffer.from([0xff, 0xfe]),
      Buffer.from("@mail.test>\r\n"),
    ]),
  );
  assert.match(`${(await client.read()).code}`, /^550$/);
  client.write(
    Buffer.concat([
      Buffer.from("RCPT TO:<bob@"),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from(".test>\r\n"),
    ]),
  );
  assert.equal((await client.read()).code, 554);
  const ok = await client.command("RCPT TO:<bob@mail.test>");
  assert.equal(ok.code, 250, ok.text);
  await client.quit();
  noLookupFailed();
});

test("submission: a NUL in AUTH, MAIL FROM or RCPT TO is refused with 5xx", async () => {
  const { client } = await RawSmtpClient.connect(gateway.submissionPort!);
  await client.command("EHLO client.example");
  await client.startTls();
  await client.command("EHLO client.example");
  const b64 = (text: string) => Buffer.from(text).toString("base64");
  // LOGIN carries the name alone, so a NUL can be in it (PLAIN uses NUL as its separator).
  assert.equal((await client.command("AUTH LOGIN")).code, 334);
  assert.equal((await client.command(b64("ali\0ce@mail.test"))).code, 501);
  assert.equal((await client.command("AUTH LOGIN")).code, 334);
  assert.equal((await client.command(b64("alice@mail.test"))).code, 334);
  assert.equal((await client.command(b64(`${TEST_PASSWORD}\0`))).code, 535);
  const plain = b64(`\0alice@mail.test\0${TEST_PASSWORD}`);
  assert.equal((await client.command(`AUTH PLAIN ${plain}`)).code, 235);
  assert.equal((await client.command("MAIL FROM:<ali\0ce@mail.test>")).code, 501);
  assert.equal((await client.command("MAIL FROM:<alice@mail.test>")).code, 250);
  assert.equal((await client.command("RCPT TO:<bo\0b@mail.test>")).code, 501);
  assert.equal((await client.command("RCPT TO:<someone@remote\0.test>")).code, 501);
  await client.quit();
  noLookupFailed();
});

test("a message whose headers decode to a lone surrogate or a NUL is delivered, bytes unchanged", async () => {
  const raw = simpleMessage({
    // UTF-16BE 0xD800 alone, and UTF-8 "a NUL b": what mailparser decodes them to cannot be stored as is.
    to: "=?UTF-16BE?B?2AA=?= <bob@mail.test>",
    subject: "=?UTF-16BE?B?2AA=?= and =?UTF-8?B?YQBi?=",
    extraHeaders: ["Cc: =?UTF-8?B?YQBi?= <carol@example.org>"],
  });
  const { client } = await RawSmtpClient.connect(gateway.smtpPort);
  await client.command("EHLO client.example");
  await client.command("MAIL FROM:<alice@example.org>");
  assert.equal((await client.command("RCPT TO:<bob@mail.test>")).code, 250);
  assert.equal((await client.command("DATA")).code, 354);
  const final = await client.data(raw);
  assert.equal(final.code, 250, final.text);
  await client.quit();

  const stored = await db.message.findFirstOrThrow({
    where: { accountId: bob.id },
    select: { subject: true, toList: true, ccList: true, source: { select: { raw: true } } },
  });
  assert.equal(stored.subject, "\ufffd and ab");
  assert.deepEqual(stored.toList, [{ name: "\ufffd", address: "bob@mail.test" }]);
  assert.deepEqual(stored.ccList, [{ name: "ab", address: "carol@example.org" }]);
  assert.ok(Buffer.from(stored.source.raw).toString("latin1").endsWith(raw));
});
