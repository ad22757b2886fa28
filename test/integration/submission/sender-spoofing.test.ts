// Sending as someone else over SMTP submission (RFC 6409), with real
// clients over real sockets: a second From (or one split off by a bare LF
// or CR), fields RFC 5322 §3.6 allows once, several From mailboxes without
// a Sender, a Sender or a second From mailbox the user does not own, and a
// display name that reads as another address (plain, RFC 2047-encoded,
// fullwidth, zero-width) are refused with 554 5.6.0 or 550 5.7.1 and the
// reason; nothing is stored or queued. What does leave is DKIM-signed over
// the From that was checked, oversigned so a From added later breaks it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dkimVerify } from "mailauth";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { ownAlias } from "../../helpers/aliases.ts";
import { startTestGateway, RawSmtpClient, type Reply } from "../../helpers/smtp-harness.ts";
import { startSmtpPeer } from "../../helpers/smtp-peer.ts";
import { python, swaks } from "../../helpers/smtp-clients.ts";

await useTestDatabase();
const peer = await startSmtpPeer();
// The relay worker of the gateway below sends remote.test mail to the peer.
process.env.RELAY_ROUTES = `remote.test=127.0.0.1:${peer.port}`;
process.env.RELAY_POLL_SECONDS = "0.2";
const { db } = await import("../../../lib/db.ts");
const { dkimDnsRecord, ensureDkimKey } = await import("../../../lib/dkim/keys.ts");
const { createStaticResolver, toMailauthResolver } = await import("../../../lib/dns/resolver.ts");
const gateway = await startTestGateway();
const port = gateway.submissionPort!;
const alice = await makeAccount("alice");
const bob = await makeAccount("bob");
await ownAlias(alice.address, "sales@mail.test");

const plain = (user: string, password: string) =>
  Buffer.from(`\u0000${user}\u0000${password}`).toString("base64");

/** One submission over a raw socket (STARTTLS, AUTH PLAIN), bytes exactly as given. */
async function submitRaw(message: string, rcptTo = bob.address): Promise<Reply> {
  const { client } = await RawSmtpClient.connect(port);
  try {
    await client.command("EHLO client.example");
    assert.equal((await client.startTls()).code, 220);
    await client.command("EHLO client.example");
    const auth = await client.command(`AUTH PLAIN ${plain(alice.address, TEST_PASSWORD)}`);
    assert.equal(auth.code, 235, auth.text);
    assert.equal((await client.command(`MAIL FROM:<${alice.address}>`)).code, 250);
    assert.equal((await client.command(`RCPT TO:<${rcptTo}>`)).code, 250);
    assert.equal((await client.command("DATA")).code, 354);
    return await client.data(message);
  } finally {
    await client.quit();
  }
}

const headers = (...lines: string[]) =>
  [...lines, "To: bob@mail.test", "Date: Sun, 22 Nov 2026 10:00:00 +0000"].join("\r\n") +
  "\r\n\r\nHello Bob.\r\n";

async function nothingArrived() {
  assert.equal(await db.message.count({ where: { accountId: bob.id } }), 0, "bob got nothing");
  assert.equal(
    await db.message.count({ where: { accountId: alice.id, mailbox: { specialUse: "SENT" } } }),
    0,
    "no Sent copy",
  );
}

test("Python smtplib: a second From field is refused with 554 5.6.0, nothing sent", async () => {
  const out = await python<{ code: number; text: string }>(
    `
import json, smtplib, ssl, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
s.starttls(context=ssl._create_unverified_context())
s.login("alice@mail.test", sys.argv[2])
msg = b"From: alice@mail.test\\r\\nFrom: bob@mail.test\\r\\nTo: bob@mail.test\\r\\nSubject: two froms\\r\\n\\r\\nhi\\r\\n"
try:
    s.sendmail("alice@mail.test", ["bob@mail.test"], msg)
    print(json.dumps({"code": 250, "text": ""}))
except smtplib.SMTPDataError as e:
    print(json.dumps({"code": e.smtp_code, "text": e.smtp_error.decode()}))
s.quit()
`,
    [String(port), TEST_PASSWORD],
  );
  assert.equal(out.code, 554, out.text);
  assert.match(
    out.text,
    /^5\.6\.0 The message has 2 From fields; RFC 5322 section 3\.6 allows one at most\.$/,
  );
  await nothingArrived();
});

test("bare LF and bare CR in the header (raw socket) are refused with 554 5.6.0", async () => {
  // Read as two lines by mailparser and mail apps, as one by a check that
  // splits on CRLF: refused instead of guessed.
  const lf = await submitRaw(
    headers("From: alice@mail.test\nFrom: bob@mail.test", "Subject: bare LF"),
  );
  assert.equal(lf.code, 554, lf.text);
  assert.match(lf.text, /^5\.6\.0 Line 1 of the header has a line feed \(LF\) without its pair/);
  const cr = await submitRaw(
    headers("Subject: bare CR", "From: alice@mail.test\rFrom: bob@mail.test"),
  );
  assert.equal(cr.code, 554, cr.text);
  assert.match(cr.text, /^5\.6\.0 Line 2 of the header has a carriage return \(CR\)/);
  // A bare LF that ends the header early (the rest would be body to some).
  const early = await submitRaw(
    "From: alice@mail.test\r\n\nFrom: bob@mail.test\r\nSubject: x\r\n\r\nhi\r\n",
  );
  assert.equal(early.code, 554, early.text);
  await nothingArrived();
});

test("fields RFC 5322 §3.6 allows once, obsolete syntax, Sender rules", async () => {
  const refusals: [string, number, RegExp][] = [
    [headers("From: alice@mail.test", "Subject: a", "Subject: b"), 554, /2 Subject fields/],
    [headers("From: alice@mail.test", "Subject: a", "To: carol@remote.test"), 554, /2 To fields/],
    [
      headers("From: alice@mail.test", "Sender: alice@mail.test", "Sender: alice@mail.test"),
      554,
      /2 Sender fields/,
    ],
    [headers("From : bob@mail.test", "From: alice@mail.test"), 554, /not a header field/],
    [
      headers("Subject: hi", " continued", "From: alice@mail.test", " ", "Cc: x@remote.test"),
      554,
      /only white space/,
    ],
    // RFC 5322 §3.6.2: several authors need a Sender.
    [headers("From: alice@mail.test, sales@mail.test", "Subject: two"), 554, /needs a Sender/],
    [
      headers("From: alice@mail.test, bob@mail.test", "Sender: alice@mail.test"),
      550,
      /You cannot send as bob@mail\.test\./,
    ],
    [
      headers("From: alice@mail.test", "Sender: bob@mail.test"),
      550,
      /You cannot send as bob@mail\.test\./,
    ],
    [headers("From: team: alice@mail.test;"), 554, /cannot hold a group/],
  ];
  for (const [message, code, reason] of refusals) {
    const reply = await submitRaw(message);
    assert.equal(reply.code, code, `${message}\n${reply.text}`);
    assert.match(reply.text, code === 554 ? /^5\.6\.0 / : /^5\.7\.1 /);
    assert.match(reply.text, reason);
  }
  await nothingArrived();
  // Several authors the user may send as, with the Sender: accepted.
  const ok = await submitRaw(
    headers(
      "From: alice@mail.test, Sales <sales@mail.test>",
      "Sender: alice@mail.test",
      "Subject: both",
    ),
  );
  assert.equal(ok.code, 250, ok.text);
  await db.message.deleteMany({ where: { accountId: { in: [alice.id, bob.id] } } });
});

test("a display name that reads as another address is refused with 550 5.7.1 (swaks, raw)", async () => {
  const result = await swaks([
    "--server",
    `127.0.0.1:${port}`,
    "--tls",
    "--auth",
    "PLAIN",
    "--auth-user",
    alice.address,
    "--auth-password",
    TEST_PASSWORD,
    "--from",
    alice.address,
    "--to",
    bob.address,
    "--header",
    'From: "bob@mail.test" <alice@mail.test>',
    "--header",
    "Subject: From the boss",
  ]);
  assert.match(
    result.output,
    /<~\* {1,2}550 5\.7\.1 The From field reads as bob@mail\.test, an address you cannot send as/,
  );
  for (const from of [
    // RFC 2047, as mail apps decode it (even inside quotes).
    "=?utf-8?q?bob=40mail=2Etest?= <alice@mail.test>",
    '"=?UTF-8?B?Ym9iQG1haWwudGVzdA==?=" <alice@mail.test>',
    // Fullwidth commercial at, and a zero-width space inside the name.
    "=?utf-8?q?bob=EF=BC=A0mail.test?= <alice@mail.test>",
    "=?utf-8?q?b=E2=80=8Bob@mail.test?= <alice@mail.test>",
    // Hidden in a comment, or as an unquoted word (read as the name).
    "alice@mail.test (bob@mail.test)",
    "bob@mail.test <alice@mail.test>",
    '"bob\\@mail.test" <alice@mail.test>',
  ]) {
    const reply = await submitRaw(headers(`From: ${from}`, "Subject: boss"));
    assert.equal(reply.code, 550, `${from}: ${reply.text}`);
    assert.match(reply.text, /^5\.7\.1 The From field reads as bob@mail\.test/, from);
  }
  await nothingArrived();
  // The user's own address as the name is no one else's: accepted.
  const own = await submitRaw(headers('From: "alice@mail.test" <alice@mail.test>', "Subject: me"));
  assert.equal(own.code, 250, own.text);
  await db.message.deleteMany({ where: { accountId: { in: [alice.id, bob.id] } } });
});

test("what leaves is DKIM-signed over the checked From, and a From added on top breaks it", async () => {
  const reply = await submitRaw(
    [
      "From: Alice <alice@mail.test>",
      "To: carol@remote.test",
      "Subject: Signed and checked",
      "",
      "Hello Carol,   ",
      "trailing space and blank lines follow",
      "",
      "",
    ].join("\r\n"),
    "carol@remote.test",
  );
  assert.equal(reply.code, 250, reply.text);
  await peer.waitForMessages(1, 20_000);
  const sent = peer.received.at(-1)!.raw;
  const key = (await ensureDkimKey("mail.test"))!;
  const record = dkimDnsRecord(key);
  const resolver = toMailauthResolver(
    createStaticResolver({ [record.name]: { TXT: [[record.value]] } }),
  );
  const verify = (raw: Buffer) => dkimVerify(raw, { resolver } as Parameters<typeof dkimVerify>[1]);

  const result = await verify(sent);
  assert.equal(result.results[0]?.status?.result, "pass", JSON.stringify(result.results[0]));
  assert.deepEqual(result.headerFrom, ["alice@mail.test"]);
  // h= names From once more than the message has it (oversigning, RFC 6376 §5.4.2).
  const h = /\bh=([^;]+);/.exec(sent.toString("latin1").replace(/\r\n[ \t]/g, " "))![1]!;
  assert.deepEqual(
    h
      .split(":")
      .map((n) => n.trim())
      .filter((n) => n === "from"),
    ["from", "from"],
  );
  // Another From put on top (where readers that take the first would see
  // it) or at the bottom no longer verifies.
  const head = sent.indexOf("From: Alice");
  for (const forged of [
    Buffer.concat([Buffer.from("From: Bob <bob@mail.test>\r\n"), sent]),
    Buffer.concat([
      sent.subarray(0, head),
      Buffer.from("From: Bob <bob@mail.test>\r\n"),
      sent.subarray(head),
    ]),
  ]) {
    assert.notEqual((await verify(forged)).results[0]?.status?.result, "pass");
  }
});
