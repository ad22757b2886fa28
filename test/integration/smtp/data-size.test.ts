// DATA-time refusals: size (RFC 1870), quota with the real size, mail loops
// (RFC 5321 §6.3). Each leaves nothing stored and the connection usable.
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { makeAccount } = await import("../../helpers/accounts.ts");
const { startTestGateway, RawSmtpClient, simpleMessage } =
  await import("../../helpers/smtp-harness.ts");
const { db } = await import("../../../lib/db.ts");

// Above SPOOL_MEMORY_BYTES (256 KiB), so messages near the limit take the spool-file path.
const LIMIT = 512 * 1024;
const spoolDir = await mkdtemp(path.join(tmpdir(), "mail-spool-size-"));
const { smtpPort: port } = await startTestGateway({ maxMessageBytes: LIMIT, spoolDir });
const bob = await makeAccount("bob");
const tight = await makeAccount("tight", { quotaBytes: 4000n });

const count = (accountId: string) => db.message.count({ where: { accountId } });

async function session() {
  const { client } = await RawSmtpClient.connect(port);
  const ehlo = await client.command("EHLO client.example.org");
  return { client, ehlo };
}

test("SIZE is advertised with the limit", async () => {
  const { client, ehlo } = await session();
  assert.ok(ehlo.lines.includes(`SIZE ${LIMIT}`), ehlo.text);
  await client.quit();
});

test("a declared SIZE over the limit is refused at MAIL FROM with 552 5.3.4", async () => {
  const { client } = await session();
  const reply = await client.command(`MAIL FROM:<alice@example.org> SIZE=${LIMIT + 1}`);
  assert.equal(reply.code, 552);
  assert.match(reply.text, /^5\.3\.4 /);
  await client.quit();
});

test("bytes over the limit are drained, answered 552 5.3.4, and nothing is stored", async () => {
  const before = await count(bob.id);
  const { client } = await session();
  // No SIZE parameter: the limit must hold on what actually arrives.
  await client.command("MAIL FROM:<alice@example.org>");
  await client.command("RCPT TO:<bob@mail.test>");
  assert.equal((await client.command("DATA")).code, 354);
  const body = ("x".repeat(998) + "\r\n").repeat(Math.ceil((LIMIT * 3) / 1000));
  const reply = await client.data(simpleMessage({ subject: "too big" }, body));
  assert.equal(reply.code, 552);
  assert.match(reply.text, /^5\.3\.4 /);
  // The connection is in sync after the refusal: the next transaction works.
  await client.command("MAIL FROM:<alice@example.org>");
  await client.command("RCPT TO:<bob@mail.test>");
  await client.command("DATA");
  assert.equal((await client.data(simpleMessage({ subject: "small" }))).code, 250);
  await client.quit();
  assert.equal(await count(bob.id), before + 1);
  assert.equal(await db.message.count({ where: { subject: "too big" } }), 0);
  // The partly spooled oversize message left no file behind.
  assert.deepEqual(await readdir(spoolDir).catch(() => []), []);
});

test("a message just under the limit goes through the spool file and is stored whole", async () => {
  const body = ("y".repeat(98) + "\r\n").repeat(5000); // 500 000 bytes
  const message = simpleMessage({ subject: "near limit" }, body);
  assert.ok(message.length < LIMIT && message.length > 256 * 1024);
  const { client } = await session();
  await client.command("MAIL FROM:<alice@example.org>");
  await client.command("RCPT TO:<bob@mail.test>");
  await client.command("DATA");
  assert.equal((await client.data(message)).code, 250);
  await client.quit();
  const stored = await db.message.findFirstOrThrow({
    where: { subject: "near limit" },
    include: { source: true },
  });
  assert.ok(Buffer.from(stored.source.raw).toString("latin1").endsWith(message));
});

test("quota is checked again at DATA with the real size: 452 4.2.2, nothing stored", async () => {
  const { client } = await session();
  await client.command("MAIL FROM:<alice@example.org>");
  assert.equal((await client.command("RCPT TO:<tight@mail.test>")).code, 250);
  await client.command("DATA");
  const reply = await client.data(
    simpleMessage({ to: "tight@mail.test" }, "z".repeat(5000) + "\r\n"),
  );
  assert.equal(reply.code, 452);
  assert.match(reply.text, /^4\.2\.2 /);
  await client.quit();
  assert.equal(await count(tight.id), 0);
  const account = await db.account.findUniqueOrThrow({ where: { id: tight.id } });
  assert.equal(account.usedBytes, 0n);
});

test("a message that fits the quota is stored and charged exactly", async () => {
  const { client } = await session();
  await client.command("MAIL FROM:<alice@example.org>");
  await client.command("RCPT TO:<tight@mail.test>");
  await client.command("DATA");
  assert.equal(
    (await client.data(simpleMessage({ to: "tight@mail.test", subject: "fits" }))).code,
    250,
  );
  await client.quit();
  const [message] = await db.message.findMany({ where: { accountId: tight.id } });
  const account = await db.account.findUniqueOrThrow({ where: { id: tight.id } });
  assert.equal(account.usedBytes, BigInt(message!.size));
});

function withReceived(n: number, subject: string): string {
  const received = Array.from(
    { length: n },
    (_, i) =>
      `Received: from hop${i}.example.org by hop${i + 1}.example.org; Sun, 22 Nov 2026 10:00:0${i % 10} +0000`,
  );
  return simpleMessage({ subject, extraHeaders: received });
}

test("more than 30 Received headers is a loop: 554 5.4.6, nothing stored", async () => {
  const { client } = await session();
  await client.command("MAIL FROM:<alice@example.org>");
  await client.command("RCPT TO:<bob@mail.test>");
  await client.command("DATA");
  const reply = await client.data(withReceived(31, "looping"));
  assert.equal(reply.code, 554);
  assert.match(reply.text, /^5\.4\.6 /);
  await client.command("MAIL FROM:<alice@example.org>");
  await client.command("RCPT TO:<bob@mail.test>");
  await client.command("DATA");
  assert.equal((await client.data(withReceived(30, "thirty hops"))).code, 250);
  await client.quit();
  assert.equal(await db.message.count({ where: { subject: "looping" } }), 0);
  assert.equal(await db.message.count({ where: { subject: "thirty hops" } }), 1);
});
