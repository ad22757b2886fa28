// SMTP submission (RFC 6409) over real sockets with real clients: AUTH PLAIN
// and LOGIN after STARTTLS, refused without TLS or without AUTH, failed
// logins throttled per client address, disabled accounts refused, spoofed senders refused, and
// one message to a local and a remote recipient.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { startTestGateway, RawSmtpClient } from "../../helpers/smtp-harness.ts";
import { python, swaks } from "../../helpers/smtp-clients.ts";
import { assertStrangerThrottled } from "../../helpers/login-throttle.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const manage = await import("../../../lib/accounts/manage.ts");
const gateway = await startTestGateway({ relay: false });
const port = gateway.submissionPort!;
const alice = await makeAccount("alice");
const bob = await makeAccount("bob");

const plain = (user: string, password: string) =>
  Buffer.from(`\u0000${user}\u0000${password}`).toString("base64");

async function tlsSession() {
  const { client, greeting } = await RawSmtpClient.connect(port);
  assert.equal(greeting.code, 220);
  await client.command("EHLO client.example");
  assert.equal((await client.startTls()).code, 220);
  await client.command("EHLO client.example");
  return client;
}

test("AUTH is refused before STARTTLS and MAIL is refused before AUTH", async () => {
  const { client } = await RawSmtpClient.connect(port);
  const ehlo = await client.command("EHLO client.example");
  assert.ok(ehlo.lines.some((l) => /STARTTLS/.test(l)));
  const auth = await client.command(`AUTH PLAIN ${plain("alice@mail.test", TEST_PASSWORD)}`);
  assert.equal(auth.code, 538, auth.text);
  const mail = await client.command("MAIL FROM:<alice@mail.test>");
  assert.equal(mail.code, 530, mail.text);
  await client.quit();
});

test("a desktop client sends to a local and a remote recipient (swaks, AUTH LOGIN over STARTTLS)", async () => {
  const result = await swaks([
    "--server",
    `127.0.0.1:${port}`,
    "--tls",
    "--auth",
    "LOGIN",
    "--auth-user",
    "alice@mail.test",
    "--auth-password",
    TEST_PASSWORD,
    "--from",
    "alice@mail.test",
    "--to",
    "bob@mail.test,carol@remote.test",
    "--header",
    "Subject: From Thunderbird-like client",
    "--body",
    "Hello from submission",
  ]);
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /<~ {1,2}250 [0-9.]+ Message accepted </);
  const inbox = await db.message.findMany({
    where: { accountId: bob.id, mailbox: { specialUse: "INBOX" } },
  });
  assert.equal(inbox.length, 1);
  assert.equal(inbox[0]!.subject, "From Thunderbird-like client");
  const queued = await db.outboundRecipient.findMany({ where: { accountId: alice.id } });
  assert.deepEqual(
    queued.map((q) => q.recipient),
    ["carol@remote.test"],
  );
  assert.equal(
    await db.message.count({ where: { accountId: alice.id, mailbox: { specialUse: "SENT" } } }),
    1,
  );
});

test("Python smtplib: login, then a spoofed sender and an unknown local user are refused", async () => {
  const out = await python<{ login: number; spoof: [number, string]; unknown: [number, string] }>(
    `
import json, smtplib, ssl, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
s.starttls(context=ssl._create_unverified_context())
code, _ = s.login("alice@mail.test", sys.argv[2])
spoof = s.mail("bob@mail.test")
s.rset()
s.mail("alice@mail.test")
unknown = s.rcpt("nobody@mail.test")
s.quit()
print(json.dumps({"login": code, "spoof": [spoof[0], spoof[1].decode()], "unknown": [unknown[0], unknown[1].decode()]}))
`,
    [String(port), TEST_PASSWORD],
  );
  assert.equal(out.login, 235);
  assert.equal(out.spoof[0], 553);
  assert.match(out.spoof[1], /^5\.7\.1 /);
  assert.equal(out.unknown[0], 550);
  assert.match(out.unknown[1], /^5\.1\.1 /);
});

test("a stranger's wrong passwords get 535 4.7.8 with growing delays, then 454 4.7.0; the owner elsewhere gets in (smtplib)", async () => {
  await makeAccount("mallory");
  // AUTH PLAIN alone (smtplib's login() would try LOGIN after a refused PLAIN).
  const probe = (source: string, password: string) =>
    python<string>(
      `
import json, smtplib, ssl, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), source_address=(sys.argv[2], 0), timeout=60)
s.starttls(context=ssl._create_unverified_context())
s.ehlo()
s.user, s.password = sys.argv[3], sys.argv[4]
try:
    code, text = s.auth("PLAIN", s.auth_plain)
except smtplib.SMTPAuthenticationError as e:
    code, text = e.smtp_code, e.smtp_error
print(json.dumps("%d %s" % (code, text.decode())))
`,
      [String(port), source, "mallory@mail.test", password],
    );
  await assertStrangerThrottled(
    probe,
    {
      wrong: /^535 5\.7\.8 Authentication credentials invalid$/,
      ok: /^235 /,
      locked:
        /^454 4\.7\.0 Too many failed sign-ins to this account from your network\. Try again in 15 minutes\.$/,
      busy: /^454 4\.7\.0 Too many sign-ins to this account are being checked at once from your network\. Try again in a moment\.$/,
    },
    { stranger: "127.0.0.2", owner: "127.0.0.3" },
  );
});

test("a disabled account gets 535", async () => {
  await makeAccount("dora");
  await manage.setAccountDisabled("dora@mail.test", true);
  const disabled = await tlsSession();
  const refused = await disabled.command(`AUTH PLAIN ${plain("dora@mail.test", TEST_PASSWORD)}`);
  assert.equal(refused.code, 535);
  await disabled.quit();
});
