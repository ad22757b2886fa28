// The conversation itself: extensions, pipelining (RFC 2920), many messages
// per connection, RSET/NOOP/HELO, with our raw client, nodemailer, swaks and
// Python's smtplib.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { makeAccount } = await import("../../helpers/accounts.ts");
const { startTestGateway, RawSmtpClient, simpleMessage, MX_HOSTNAME } =
  await import("../../helpers/smtp-harness.ts");
const { connectNodemailer, swaks, python } = await import("../../helpers/smtp-clients.ts");
const { db } = await import("../../../lib/db.ts");

const { smtpPort: port } = await startTestGateway();
const bob = await makeAccount("bob");
await makeAccount("carol");

const storedSubjects = async (prefix: string) =>
  (
    await db.message.findMany({
      where: { accountId: bob.id, subject: { startsWith: prefix } },
      select: { subject: true },
    })
  )
    .map((m) => m.subject)
    .sort();

test("the greeting and EHLO advertise the extensions the issue lists", async () => {
  const { client, greeting } = await RawSmtpClient.connect(port);
  assert.equal(greeting.code, 220);
  assert.match(greeting.text, new RegExp(`^${MX_HOSTNAME} ESMTP`));
  const ehlo = await client.command("EHLO client.example.org");
  assert.equal(ehlo.code, 250);
  for (const extension of [
    "PIPELINING",
    "8BITMIME",
    "SMTPUTF8",
    "ENHANCEDSTATUSCODES",
    "STARTTLS",
  ]) {
    assert.ok(ehlo.lines.includes(extension), `${extension} in ${ehlo.text}`);
  }
  assert.ok(ehlo.lines.some((l) => /^SIZE \d+$/.test(l)));
  assert.ok(!ehlo.lines.some((l) => l.startsWith("AUTH")), "no AUTH on the MX port");
  await client.quit();
});

test("a pipelined transaction in one write gets its replies in order", async () => {
  const { client } = await RawSmtpClient.connect(port);
  await client.command("EHLO client.example.org");
  // RFC 2920 §3.1: MAIL, RCPTs and DATA may be sent together, the body after 354.
  client.write(
    "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@mail.test>\r\nRCPT TO:<nobody@mail.test>\r\nRCPT TO:<carol@mail.test>\r\nDATA\r\n",
  );
  const replies = [
    await client.read(),
    await client.read(),
    await client.read(),
    await client.read(),
    await client.read(),
  ];
  assert.deepEqual(
    replies.map((r) => r.code),
    [250, 250, 550, 250, 354],
  );
  const final = await client.data(simpleMessage({ subject: "pipelined" }));
  assert.equal(final.code, 250);
  assert.match(final.text, /^2\.6\.0 /);
  await client.quit();
  assert.deepEqual(await storedSubjects("pipelined"), ["pipelined"]);
});

test("many messages on one connection, with RSET and NOOP between them", async () => {
  const { client } = await RawSmtpClient.connect(port);
  await client.command("EHLO client.example.org");
  for (let i = 0; i < 5; i++) {
    assert.equal((await client.command("MAIL FROM:<alice@example.org>")).code, 250);
    assert.equal((await client.command("RCPT TO:<bob@mail.test>")).code, 250);
    assert.equal((await client.command("DATA")).code, 354);
    assert.equal((await client.data(simpleMessage({ subject: `serial ${i}` }))).code, 250);
    assert.equal((await client.command("NOOP")).code, 250);
  }
  // A transaction abandoned with RSET (RFC 5321 §4.1.1.5) leaves nothing behind.
  await client.command("MAIL FROM:<alice@example.org>");
  await client.command("RCPT TO:<bob@mail.test>");
  assert.equal((await client.command("RSET")).code, 250);
  assert.equal((await client.command("DATA")).code, 503);
  // HELO (RFC 5321 §4.1.1.1) starts over too and still allows mail.
  assert.equal((await client.command("HELO plain.example.org")).code, 250);
  await client.command("MAIL FROM:<alice@example.org>");
  await client.command("RCPT TO:<bob@mail.test>");
  await client.command("DATA");
  assert.equal((await client.data(simpleMessage({ subject: "serial helo" }))).code, 250);
  await client.quit();
  assert.deepEqual(await storedSubjects("serial"), [
    "serial 0",
    "serial 1",
    "serial 2",
    "serial 3",
    "serial 4",
    "serial helo",
  ]);
  const helo = await db.message.findFirstOrThrow({
    where: { subject: "serial helo" },
    include: { source: true },
  });
  assert.match(
    Buffer.from(helo.source.raw).toString(),
    /with SMTP id /,
    "HELO sessions are recorded as SMTP",
  );
});

test("nodemailer sends several messages over one connection, per-recipient results", async () => {
  const session = await connectNodemailer(port);
  for (let i = 0; i < 3; i++) {
    const info = await session.send(
      { from: "alice@example.org", to: ["bob@mail.test", "nobody@mail.test"] },
      simpleMessage({ subject: `nodemailer ${i}` }),
    );
    assert.deepEqual(info.accepted, ["bob@mail.test"]);
    assert.deepEqual(info.rejected, ["nobody@mail.test"]);
    assert.match(info.response, /^250 2\.6\.0 /);
  }
  session.close();
  assert.deepEqual(await storedSubjects("nodemailer"), [
    "nodemailer 0",
    "nodemailer 1",
    "nodemailer 2",
  ]);
});

test("swaks with PIPELINING delivers; a relay attempt fails", async () => {
  const ok = await swaks([
    "--server",
    `127.0.0.1:${port}`,
    "--pipeline",
    "--from",
    "alice@example.org",
    "--to",
    "bob@mail.test",
    "--header",
    "Subject: swaks pipelined",
  ]);
  assert.equal(ok.code, 0, ok.output);
  assert.match(ok.output, /<- {2}250 2\.6\.0 /);
  const relay = await swaks([
    "--server",
    `127.0.0.1:${port}`,
    "--from",
    "alice@example.org",
    "--to",
    "victim@example.com",
  ]);
  assert.notEqual(relay.code, 0);
  assert.match(relay.output, /554 5\.7\.1 Relay access denied/);
  assert.deepEqual(await storedSubjects("swaks"), ["swaks pipelined"]);
});

test("Python smtplib: three messages on one connection, VRFY and an 8-bit body", async () => {
  const result = await python<{ vrfy: number; results: unknown[]; codes: number[] }>(
    `
import json, smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="python.example.org")
s.ehlo()
codes = []
results = []
for i in range(3):
    msg = ("From: py@example.org\\r\\nTo: bob@mail.test\\r\\nSubject: python %d\\r\\n"
           "Content-Type: text/plain; charset=utf-8\\r\\nContent-Transfer-Encoding: 8bit\\r\\n\\r\\nGrüße %d\\r\\n" % (i, i)).encode("utf-8")
    results.append(s.sendmail("py@example.org", ["bob@mail.test"], msg, mail_options=["BODY=8BITMIME"]))
    codes.append(s.noop()[0])
vrfy = s.verify("bob@mail.test")[0]
s.quit()
print(json.dumps({"vrfy": vrfy, "results": results, "codes": codes}))
`,
    [String(port)],
  );
  assert.deepEqual(result.results, [{}, {}, {}]); // sendmail returns the refused recipients
  assert.deepEqual(result.codes, [250, 250, 250]);
  assert.equal(result.vrfy, 252);
  assert.deepEqual(await storedSubjects("python"), ["python 0", "python 1", "python 2"]);
  const stored = await db.message.findFirstOrThrow({
    where: { subject: "python 1" },
    include: { source: true },
  });
  assert.equal(stored.snippet, "Grüße 1");
  assert.match(Buffer.from(stored.source.raw).toString("utf8"), /\r\n\r\nGrüße 1\r\n$/);
});

test("SMTPUTF8: an internationalised address and header arrive intact (RFC 6531)", async () => {
  const { client } = await RawSmtpClient.connect(port);
  await client.command("EHLO client.example.org");
  assert.equal((await client.command("MAIL FROM:<jörg@exämple.org> SMTPUTF8")).code, 250);
  assert.equal((await client.command("RCPT TO:<bob@mail.test>")).code, 250);
  await client.command("DATA");
  const message = Buffer.from(
    simpleMessage({ from: "Jörg <jörg@exämple.org>", subject: "utf8 Ünïcode" }),
    "utf8",
  );
  assert.equal((await client.data(message)).code, 250);
  await client.quit();
  const stored = await db.message.findFirstOrThrow({
    where: { subject: "utf8 Ünïcode" },
    include: { source: true },
  });
  const raw = Buffer.from(stored.source.raw).toString("utf8");
  assert.match(raw, /^Return-Path: <jörg@exämple\.org>\r\n/);
  assert.match(raw, /with UTF8SMTP id /);
  assert.equal(stored.fromName, "Jörg");
});
