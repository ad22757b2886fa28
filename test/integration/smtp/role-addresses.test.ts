// postmaster@ and abuse@ over SMTP (RFC 5321 §4.5.1 and §4.1.1.3, RFC 2142):
// every hosted domain has them, a domain added later too, and a bare
// "postmaster"; they reach the admins' Inboxes unless an alias says
// otherwise, from any sender (a bounce, a stranger to a members-only list);
// mail that arrives before there is an admin is accepted, kept and handed to
// the first one. Clients: Python smtplib, swaks and the raw line client,
// on the MX port and on submission.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { makeAccount, TEST_PASSWORD } = await import("../../helpers/accounts.ts");
const { startTestGateway, RawSmtpClient, simpleMessage } =
  await import("../../helpers/smtp-harness.ts");
const { python, swaks } = await import("../../helpers/smtp-clients.ts");
const { db } = await import("../../../lib/db.ts");
const { addHostedDomain, setDomainCatchAll } =
  await import("../../../lib/accounts/manage-domains.ts");
const { createAlias, deleteAlias } = await import("../../../lib/admin/aliases.ts");
const manage = await import("../../../lib/accounts/manage.ts");

const { createStaticResolver } = await import("../../../lib/dns/resolver.ts");
const { hostedDkimTable, signedIfHosted } = await import("../../helpers/hosted-signature.ts");
const gateway = await startTestGateway({
  relay: false,
  resolver: createStaticResolver(await hostedDkimTable()),
});
const user = await makeAccount("ursula");

async function inboxSubjects(accountId: string): Promise<string[]> {
  const rows = await db.message.findMany({
    where: { accountId, mailbox: { specialUse: "INBOX" } },
    orderBy: { receivedAt: "asc" },
    select: { subject: true },
  });
  return rows.map((r) => r.subject);
}

/** One transaction over the raw client; returns the RCPT codes and the final reply's code. */
async function send(from: string, to: string[], subject: string) {
  const { client } = await RawSmtpClient.connect(gateway.smtpPort);
  await client.command("EHLO client.example.org");
  assert.equal((await client.command(`MAIL FROM:<${from}>`)).code, 250);
  const rcpt = [];
  for (const address of to) rcpt.push((await client.command(`RCPT TO:<${address}>`)).code);
  let final = 0;
  if (rcpt.some((c) => c === 250)) {
    assert.equal((await client.command("DATA")).code, 354);
    // A hosted sender's mail at the MX carries its domain's signature.
    const message = await signedIfHosted(simpleMessage({ subject, to: to.join(", ") }), from);
    final = (await client.data(message)).code;
  }
  await client.quit();
  return { rcpt, final };
}

test("before there is an admin, postmaster mail is accepted and kept; the first admin gets it", async () => {
  assert.equal(await db.account.count({ where: { role: "ADMIN" } }), 0);
  // A bounce to the bare postmaster and to abuse@, in one transaction, and a stranger's report.
  const bounce = await send("", ["postmaster", "abuse@mail.test"], "Early bounce");
  assert.deepEqual(bounce, { rcpt: [250, 250], final: 250 });
  const report = await send("reporter@example.org", ["Postmaster@Mail.Test"], "Early report");
  assert.deepEqual(report, { rcpt: [250], final: 250 });
  const held = await db.heldMessage.findMany({ orderBy: { receivedAt: "asc" } });
  assert.deepEqual(
    held.map((h) => [h.recipients, h.mailFrom]),
    [
      [["postmaster@mail.test", "abuse@mail.test"], ""],
      [["postmaster@mail.test"], "reporter@example.org"],
    ],
  );
  assert.deepEqual(await inboxSubjects(user.id), [], "no ordinary user gets it");

  // The first admin (the admin CLI and dashboard make them through createAccount).
  const first = await makeAccount("first", { role: "ADMIN" });
  assert.deepEqual(await inboxSubjects(first.id), ["Early bounce", "Early report"]);
  assert.equal(await db.heldMessage.count(), 0);
  // The kept bytes are what arrived, trace fields included.
  const copy = await db.message.findFirstOrThrow({
    where: { accountId: first.id, subject: "Early bounce" },
    select: { source: { select: { raw: true } } },
  });
  assert.match(Buffer.from(copy.source.raw).toString(), /^Return-Path: <>\r\n/);
  await manage.setAccountRole(first.address, "USER");
});

test("mail kept while the only admin was disabled goes to them once enabled", async () => {
  const boss = await makeAccount("boss", { role: "ADMIN" });
  await manage.setAccountDisabled(boss.address, true);
  assert.deepEqual(await send("x@example.org", ["abuse@mail.test"], "While away"), {
    rcpt: [250],
    final: 250,
  });
  assert.equal(await db.heldMessage.count(), 1);
  await manage.setAccountDisabled(boss.address, false);
  assert.deepEqual(await inboxSubjects(boss.id), ["While away"]);
  assert.equal(await db.heldMessage.count(), 0);
});

test("postmaster@ and abuse@ of the default domain and of a domain added later reach every admin", async () => {
  const ada = await makeAccount("ada", { role: "ADMIN" });
  const bo = await makeAccount("bo", { role: "ADMIN" });
  const off = await makeAccount("off", { role: "ADMIN" });
  await manage.setAccountDisabled(off.address, true);
  await addHostedDomain("later.test");
  // A catch-all does not swallow them either.
  await makeAccount("bin", { domain: "later.test" });
  await setDomainCatchAll("later.test", "bin");

  const out = await python<[number, string][]>(
    `
import json, smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
results = []
for to in ["postmaster@mail.test", "abuse@mail.test", "postmaster@later.test", "abuse@later.test", "postmaster+dmarc@later.test"]:
    msg = "From: r@example.org\\r\\nTo: %s\\r\\nSubject: to %s\\r\\n\\r\\nhello\\r\\n" % (to, to)
    refused = s.sendmail("r@example.org", [to], msg)
    results.append([len(refused), to])
s.quit()
print(json.dumps(results))
`,
    [String(gateway.smtpPort)],
  );
  assert.ok(
    out.every(([refused]) => refused === 0),
    JSON.stringify(out),
  );
  const expected = [
    "to postmaster@mail.test",
    "to abuse@mail.test",
    "to postmaster@later.test",
    "to abuse@later.test",
    "to postmaster+dmarc@later.test",
  ];
  for (const admin of [ada, bo]) {
    const got = await inboxSubjects(admin.id);
    assert.deepEqual(got.slice(-5), expected, admin.address);
  }
  assert.deepEqual(await inboxSubjects(off.id), [], "a disabled admin gets nothing");
  const bin = await db.account.findUniqueOrThrow({ where: { address: "bin@later.test" } });
  assert.deepEqual(await inboxSubjects(bin.id), []);
  // The bare postmaster, in any case, with swaks.
  const bare = await swaks([
    "--server",
    `127.0.0.1:${gateway.smtpPort}`,
    "--from",
    "r@example.org",
    "--to",
    "PostMaster",
    "--header",
    "Subject: bare postmaster",
  ]);
  assert.equal(bare.code, 0, bare.output);
  assert.match(bare.output, /RCPT TO:<PostMaster>\n<- +250 /);
  assert.equal((await inboxSubjects(ada.id)).at(-1), "bare postmaster");
  // Not a free-for-all: other unknown names still are.
  assert.deepEqual((await send("r@example.org", ["nobody@mail.test"], "x")).rcpt, [550]);
});

test("an alias overrides; one that would refuse the mail hands it to the admins instead", async () => {
  const admins = await db.account.findMany({ where: { role: "ADMIN", disabled: false } });
  const carol = await makeAccount("carol");
  const before = await inboxSubjects(admins[0]!.id);
  const alias = await createAlias({
    address: "abuse@mail.test",
    kind: "alias",
    owner: "",
    membersOnly: false,
    targets: [carol.address],
  });
  assert.deepEqual((await send("r@example.org", ["abuse@mail.test"], "To the alias")).final, 250);
  assert.deepEqual(await inboxSubjects(carol.id), ["To the alias"]);
  assert.deepEqual(await inboxSubjects(admins[0]!.id), before, "the alias, not the admins");

  // Its only target disabled: the alias would say 550, but abuse@ must exist.
  await manage.setAccountDisabled(carol.address, true);
  assert.deepEqual(await send("r@example.org", ["abuse@mail.test"], "Target disabled"), {
    rcpt: [250],
    final: 250,
  });
  assert.equal((await inboxSubjects(admins[0]!.id)).at(-1), "Target disabled");
  await deleteAlias(alias.id);

  // A members-only list at postmaster@: a stranger and a bounce are still accepted (by the admins).
  const dan = await makeAccount("dan");
  await createAlias({
    address: "postmaster@mail.test",
    kind: "list",
    owner: "",
    membersOnly: true,
    targets: [dan.address],
  });
  assert.deepEqual((await send("stranger@example.org", ["postmaster"], "Stranger")).rcpt, [250]);
  assert.deepEqual((await send("", ["postmaster@mail.test"], "Bounce to list")).rcpt, [250]);
  assert.deepEqual(await inboxSubjects(dan.id), []);
  assert.deepEqual((await inboxSubjects(admins[0]!.id)).slice(-2), ["Stranger", "Bounce to list"]);
  // A member's post goes to the list, as the admin set it up.
  assert.deepEqual((await send(dan.address, ["postmaster@mail.test"], "Member post")).final, 250);
  assert.deepEqual(await inboxSubjects(dan.id), ["Member post"]);
});

test("submission: a local user writes to postmaster@ and the admins get it", async () => {
  const admins = await db.account.findMany({ where: { role: "ADMIN", disabled: false } });
  const result = await swaks([
    "--server",
    `127.0.0.1:${gateway.submissionPort}`,
    "--tls",
    "--auth",
    "PLAIN",
    "--auth-user",
    user.address,
    "--auth-password",
    TEST_PASSWORD,
    "--from",
    user.address,
    "--to",
    "abuse@later.test",
    "--header",
    "Subject: Spam report from a user",
  ]);
  assert.equal(result.code, 0, result.output);
  for (const admin of admins) {
    assert.equal((await inboxSubjects(admin.id)).at(-1), "Spam report from a user", admin.address);
  }
  const sent = await db.message.count({
    where: { accountId: user.id, mailbox: { specialUse: "SENT" } },
  });
  assert.equal(sent, 1);
});

test("submission before there is an admin: the message is kept, not lost", async () => {
  for (const admin of await db.account.findMany({ where: { role: "ADMIN" } })) {
    await manage.setAccountRole(admin.address, "USER");
  }
  const { client } = await RawSmtpClient.connect(gateway.submissionPort!);
  await client.command("EHLO client.example");
  await client.startTls();
  await client.command("EHLO client.example");
  const plain = Buffer.from(`\0${user.address}\0${TEST_PASSWORD}`).toString("base64");
  assert.equal((await client.command(`AUTH PLAIN ${plain}`)).code, 235);
  assert.equal((await client.command(`MAIL FROM:<${user.address}>`)).code, 250);
  assert.equal((await client.command("RCPT TO:<postmaster@mail.test>")).code, 250);
  assert.equal((await client.command("DATA")).code, 354);
  const final = await client.data(
    simpleMessage({ from: user.address, to: "postmaster@mail.test", subject: "No admin yet" }),
  );
  assert.equal(final.code, 250, final.text);
  await client.quit();
  const [held] = await db.heldMessage.findMany();
  assert.deepEqual([held?.recipients, held?.mailFrom], [["postmaster@mail.test"], user.address]);
  const next = await makeAccount("next", { role: "ADMIN" });
  assert.deepEqual(await inboxSubjects(next.id), ["No admin yet"]);
});
