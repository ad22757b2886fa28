// RCPT TO decisions over a real socket: every reply code of the issue.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { makeAccount } = await import("../../helpers/accounts.ts");
const { startTestGateway, RawSmtpClient } = await import("../../helpers/smtp-harness.ts");
const { setAccountDisabled } = await import("../../../lib/accounts/manage.ts");
const { db } = await import("../../../lib/db.ts");

const port = (await startTestGateway()).smtpPort;
{
  await makeAccount("bob");
  await makeAccount("carol");
  await makeAccount("gone");
  await setAccountDisabled("gone@mail.test", true);
  const full = await makeAccount("full", { quotaBytes: 1000n });
  await db.account.update({ where: { id: full.id }, data: { usedBytes: 1000n } });
  const domain = await db.domain.findUniqueOrThrow({ where: { name: "mail.test" } });
  await db.alias.create({
    data: {
      address: "team@mail.test",
      domainId: domain.id,
      targets: { create: [{ address: "bob@mail.test" }, { address: "carol@mail.test" }] },
    },
  });
  await db.domain.create({ data: { name: "elsewhere.test", hosted: false } });
}

async function rcpt(...addresses: string[]) {
  const { client } = await RawSmtpClient.connect(port);
  await client.command("EHLO client.example.org");
  assert.equal((await client.command("MAIL FROM:<alice@example.org>")).code, 250);
  const replies = [];
  for (const a of addresses) replies.push(await client.command(`RCPT TO:<${a}>`));
  await client.quit();
  return replies.map((r) => `${r.code} ${r.text}`);
}

test("an account, an alias, a subaddress and mixed case are accepted", async () => {
  const replies = await rcpt(
    "bob@mail.test",
    "team@mail.test",
    "bob+news@mail.test",
    "Carol@MAIL.test",
  );
  for (const reply of replies) assert.match(reply, /^250 2\.1\.5 /);
});

test("an unknown local user is 550 5.1.1", async () => {
  assert.match((await rcpt("nobody@mail.test"))[0]!, /^550 5\.1\.1 /);
});

test("a domain we do not host is 554 5.7.1: never an open relay", async () => {
  const replies = await rcpt(
    "someone@example.com",
    "x@elsewhere.test",
    "bob@[127.0.0.1]",
    "bob@mail.test.evil.example",
  );
  for (const reply of replies) assert.match(reply, /^554 5\.7\.1 Relay access denied/);
});

test("a disabled account is 550 5.2.1", async () => {
  assert.match((await rcpt("gone@mail.test"))[0]!, /^550 5\.2\.1 /);
});

test("an account at its quota is 452 4.2.2", async () => {
  assert.match((await rcpt("full@mail.test"))[0]!, /^452 4\.2\.2 /);
});

test("an over-long local part on our domain is 553 5.1.3", async () => {
  assert.match((await rcpt(`${"x".repeat(70)}@mail.test`))[0]!, /^553 5\.1\.3 /);
});

test("the 101st recipient is 452 4.5.3 and the first 100 still get the message", async () => {
  const { client } = await RawSmtpClient.connect(port);
  await client.command("EHLO client.example.org");
  await client.command("MAIL FROM:<alice@example.org>");
  const codes: string[] = [];
  for (let i = 0; i < 101; i++) {
    const r = await client.command(`RCPT TO:<bob+${i}@mail.test>`);
    codes.push(`${r.code} ${r.text.slice(0, 5)}`);
  }
  assert.deepEqual(new Set(codes.slice(0, 100)), new Set(["250 2.1.5"]));
  assert.equal(codes[100], "452 4.5.3");
  assert.equal((await client.command("DATA")).code, 354);
  const final = await client.data("Subject: many\r\nMessage-ID: <many@example.org>\r\n\r\nhi\r\n");
  assert.equal(final.code, 250);
  await client.quit();
  // 100 recipient addresses, one account: one copy (RFC 5321 §3.7 duplicates are ours to fold).
  const bob = await db.account.findUniqueOrThrow({ where: { address: "bob@mail.test" } });
  assert.equal(
    await db.message.count({ where: { accountId: bob.id, messageIdHeader: "<many@example.org>" } }),
    1,
  );
});

test("VRFY discloses nothing: 252 for users and non-users alike", async () => {
  const { client } = await RawSmtpClient.connect(port);
  await client.command("EHLO client.example.org");
  const known = await client.command("VRFY bob@mail.test");
  const unknown = await client.command("VRFY nobody@mail.test");
  assert.equal(known.code, 252);
  assert.equal(unknown.code, 252);
  assert.equal(known.text, unknown.text);
  await client.quit();
});

test("RCPT before MAIL and DATA before RCPT are sequence errors (RFC 5321 §4.1.4)", async () => {
  const { client } = await RawSmtpClient.connect(port);
  await client.command("EHLO client.example.org");
  assert.equal((await client.command("RCPT TO:<bob@mail.test>")).code, 503);
  await client.command("MAIL FROM:<alice@example.org>");
  assert.equal((await client.command("DATA")).code, 503);
  await client.quit();
});
