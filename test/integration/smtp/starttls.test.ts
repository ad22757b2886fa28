// STARTTLS (RFC 3207) with the raw client, nodemailer, swaks and smtplib.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { makeAccount } = await import("../../helpers/accounts.ts");
const { startTestGateway, RawSmtpClient, simpleMessage } =
  await import("../../helpers/smtp-harness.ts");
const { connectNodemailer, swaks, python } = await import("../../helpers/smtp-clients.ts");
const { db } = await import("../../../lib/db.ts");

const { smtpPort: port } = await startTestGateway();
await makeAccount("bob");

const rawOf = async (subject: string) => {
  const m = await db.message.findFirstOrThrow({ where: { subject }, include: { source: true } });
  return Buffer.from(m.source.raw).toString("utf8");
};

test("STARTTLS upgrades, EHLO starts over, and the Received header says ESMTPS", async () => {
  const { client } = await RawSmtpClient.connect(port);
  await client.command("EHLO client.example.org");
  // RFC 3207 §4.2: commands before the handshake are forgotten; the client says EHLO again.
  await client.command("MAIL FROM:<alice@example.org>");
  const start = await client.startTls();
  assert.equal(start.code, 220);
  assert.ok(client.encrypted);
  const ehlo = await client.command("EHLO client.example.org");
  assert.ok(!ehlo.lines.includes("STARTTLS"), "STARTTLS is not offered twice");
  assert.equal(
    (await client.command("RCPT TO:<bob@mail.test>")).code,
    503,
    "MAIL before STARTTLS was discarded",
  );
  await client.command("MAIL FROM:<alice@example.org>");
  await client.command("RCPT TO:<bob@mail.test>");
  await client.command("DATA");
  assert.equal((await client.data(simpleMessage({ subject: "over tls" }))).code, 250);
  await client.quit();
  const raw = await rawOf("over tls");
  assert.match(
    raw,
    /\(using TLSv1\.[23] with cipher [A-Z0-9_-]+\)\r\n\tby mx\.mail\.test with ESMTPS id [0-9a-f]+\r\n\tfor <bob@mail\.test>; /,
  );
});

test("nodemailer with requireTLS delivers over TLS", async () => {
  const session = await connectNodemailer(port, { starttls: true });
  const info = await session.send(
    { from: "alice@example.org", to: ["bob@mail.test"] },
    simpleMessage({ subject: "nodemailer tls" }),
  );
  assert.ok(session.connection.secure);
  assert.deepEqual(info.accepted, ["bob@mail.test"]);
  session.close();
  assert.match(await rawOf("nodemailer tls"), /with ESMTPS id /);
});

test("swaks -tls delivers over TLS", async () => {
  const result = await swaks([
    "--server",
    `127.0.0.1:${port}`,
    "-tls",
    "--from",
    "alice@example.org",
    "--to",
    "bob@mail.test",
    "--header",
    "Subject: swaks tls",
  ]);
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /TLS started with cipher/);
  assert.match(await rawOf("swaks tls"), /with ESMTPS id /);
});

test("Python smtplib starttls() delivers over TLS", async () => {
  const result = await python<{ tls: number; refused: object }>(
    `
import json, smtplib, ssl, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
s.ehlo("python.example.org")
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
code = s.starttls(context=ctx)[0]
s.ehlo("python.example.org")
refused = s.sendmail("py@example.org", ["bob@mail.test"], b"From: py@example.org\\r\\nSubject: python tls\\r\\n\\r\\nhi\\r\\n")
s.quit()
print(json.dumps({"tls": code, "refused": refused}))
`,
    [String(port)],
  );
  assert.equal(result.tls, 220);
  assert.deepEqual(result.refused, {});
  assert.match(await rawOf("python tls"), /with ESMTPS id /);
});
