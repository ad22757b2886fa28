// POP3 sessions with Python's poplib and a raw client against the gateway in
// development mode (login without TLS): STAT/LIST/UIDL against the store,
// RETR and TOP, DELE applied only at QUIT (moved to Trash, counters and
// NOTIFY), RSET, a dropped connection deleting nothing, the snapshot taken
// at login, stable UIDLs across sessions, RETR marking read.
import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { useTestDatabase } from "../../helpers/db.ts";

const databaseUrl = await useTestDatabase();
const { makeAccount, TEST_PASSWORD } = await import("../../helpers/accounts.ts");
const { deliverMail } = await import("../../helpers/mail.ts");
const { startPop3Gateway, RawPop3Client, poplib } = await import("../../helpers/pop3.ts");
const { db } = await import("../../../lib/db.ts");

const gateway = await startPop3Gateway({ insecure: true });
const port = gateway.pop3Port;

type Summary = { stat: [number, number]; list: string[]; uidl: string[] };

/** Logs in with poplib's USER/PASS and reads STAT, LIST and UIDL. */
const SUMMARY = `
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=20)
p.user(sys.argv[2]); p.pass_(sys.argv[3])
stat = p.stat()
resp, lines, _ = p.list()
resp2, uidls, _ = p.uidl()
p.quit()
print(json.dumps({"stat": list(stat), "list": [l.decode() for l in lines], "uidl": [l.decode() for l in uidls]}))
`;

async function inboxOf(accountId: string) {
  return db.message.findMany({
    where: { accountId, mailbox: { specialUse: "INBOX" } },
    orderBy: { uid: "asc" },
    select: { id: true, size: true, seen: true },
  });
}

async function login(address: string) {
  const { client, greeting } = await RawPop3Client.connect(port);
  assert.match(greeting, /^\+OK /);
  assert.match(await client.command(`USER ${address}`), /^\+OK/);
  assert.match(await client.command(`PASS ${TEST_PASSWORD}`), /^\+OK /);
  return client;
}

test("poplib: login, STAT, LIST and UIDL match the Inbox, oldest first", async () => {
  const ann = await makeAccount("ann");
  for (let i = 1; i <= 3; i++) {
    await deliverMail(ann.id, { to: ann.address, subject: `Message ${i}`, text: `Body ${i}` });
  }
  const inbox = await inboxOf(ann.id);
  const summary = await poplib<Summary>(SUMMARY, [String(port), ann.address, TEST_PASSWORD]);
  const octets = inbox.reduce((n, m) => n + m.size, 0);
  assert.deepEqual(summary.stat, [3, octets]);
  assert.deepEqual(
    summary.list,
    inbox.map((m, i) => `${i + 1} ${m.size}`),
  );
  assert.deepEqual(
    summary.uidl,
    inbox.map((m, i) => `${i + 1} ${m.id}`),
  );
});

test("RETR and TOP: the stored bytes, dot-stuffed; TOP gives the header and n body lines", async () => {
  const bo = await makeAccount("bo");
  const text = ["first line", ".starts with a dot", "..two dots", "fourth", "fifth"].join("\r\n");
  const copy = await deliverMail(bo.id, { to: bo.address, subject: "Dots", text });
  const stored = await db.message.findUniqueOrThrow({
    where: { accountId_id: { accountId: bo.id, id: copy.messageId } },
    select: { source: { select: { raw: true } } },
  });
  const raw = Buffer.from(stored.source.raw);
  const result = await poplib<{ octets: number; retr: string; top: string[]; top0: string[] }>(
    `
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=20)
p.user(sys.argv[2]); p.pass_(sys.argv[3])
resp, lines, _ = p.retr(1)
top = p.top(1, 2)[1]
top0 = p.top(1, 0)[1]
p.quit()
print(json.dumps({"octets": int(resp.split()[1]), "retr": (b"\\r\\n".join(lines) + b"\\r\\n").hex(),
  "top": [l.decode("latin1") for l in top], "top0": [l.decode("latin1") for l in top0]}))
`,
    [String(port), bo.address, TEST_PASSWORD],
  );
  assert.equal(result.octets, raw.length);
  assert.ok(Buffer.from(result.retr, "hex").equals(raw), "RETR unstuffed equals the stored source");
  const headerLines = raw.toString("latin1").split("\r\n\r\n")[0]!.split("\r\n");
  assert.deepEqual(result.top0, [...headerLines, ""]);
  assert.deepEqual(result.top.slice(0, headerLines.length + 1), [...headerLines, ""]);
  assert.equal(result.top.length, headerLines.length + 3);
  assert.deepEqual(result.top.slice(-2), ["first line", ".starts with a dot"]);

  // On the wire the dot lines are stuffed (RFC 1939 §3).
  const client = await login(bo.address);
  const { status, body } = await client.multiline("RETR 1");
  assert.equal(status, `+OK ${raw.length} octets`);
  assert.match(body.toString("latin1"), /\r\n\.\.starts with a dot\r\n\.\.\.two dots\r\n/);
  await client.command("QUIT");
});

test("RETR marks the message read (webmail shows it read); TOP does not", async () => {
  const cy = await makeAccount("cy");
  await deliverMail(cy.id, { to: cy.address, subject: "one" });
  await deliverMail(cy.id, { to: cy.address, subject: "two" });
  const client = await login(cy.address);
  await client.multiline("TOP 1 0");
  await client.multiline("RETR 2");
  await client.command("QUIT");
  assert.deepEqual(
    (await inboxOf(cy.id)).map((m) => m.seen),
    [false, true],
  );
  const inbox = await db.mailbox.findFirstOrThrow({
    where: { accountId: cy.id, specialUse: "INBOX" },
  });
  assert.equal(inbox.unreadCount, 1);
});

test("DELE then RSET deletes nothing; DELE then QUIT moves to Trash only at QUIT, in one change with NOTIFY", async () => {
  const di = await makeAccount("di");
  for (let i = 1; i <= 3; i++) await deliverMail(di.id, { to: di.address, subject: `m${i}` });
  const before = await inboxOf(di.id);

  const client = await login(di.address);
  assert.equal(await client.command("DELE 1"), "+OK Message 1 deleted");
  assert.equal(await client.command("DELE 1"), "-ERR Message already deleted");
  assert.equal(await client.command("RETR 1"), "-ERR No such message");
  assert.match(await client.command("STAT"), /^\+OK 2 /);
  assert.match(await client.command("RSET"), /^\+OK Maildrop has 3 messages/);
  assert.match(await client.command("STAT"), /^\+OK 3 /);

  const listener = new pg.Client({ connectionString: databaseUrl });
  await listener.connect();
  const heard: { mailboxId: string; kind: string }[] = [];
  listener.on("notification", (n) => heard.push(JSON.parse(n.payload!)));
  await listener.query("LISTEN mail_changes");
  try {
    assert.match(await client.command("DELE 1"), /^\+OK/);
    assert.match(await client.command("DELE 3"), /^\+OK/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await inboxOf(di.id)).length, 3, "nothing moves before QUIT");
    assert.equal(heard.length, 0);
    assert.match(await client.command("QUIT"), /^\+OK .*\(2 messages deleted\)/);
    await client.closedByServer();

    assert.deepEqual(
      (await inboxOf(di.id)).map((m) => m.id),
      [before[1]!.id],
    );
    const trash = await db.message.findMany({
      where: { accountId: di.id, mailbox: { specialUse: "TRASH" } },
      select: { id: true },
    });
    assert.deepEqual(trash.map((m) => m.id).sort(), [before[0]!.id, before[2]!.id].sort());
    const boxes = await db.mailbox.findMany({
      where: { accountId: di.id, specialUse: { in: ["INBOX", "TRASH"] } },
    });
    const inbox = boxes.find((b) => b.specialUse === "INBOX")!;
    const trashBox = boxes.find((b) => b.specialUse === "TRASH")!;
    assert.equal(inbox.messageCount, 1);
    assert.equal(trashBox.messageCount, 2);
    for (let i = 0; i < 20 && heard.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      heard.map((h) => [h.mailboxId, h.kind]).sort(),
      [
        [inbox.id, "removed"],
        [trashBox.id, "added"],
      ].sort(),
    );
  } finally {
    await listener.end();
  }
});

test("a dropped connection deletes nothing", async () => {
  const ed = await makeAccount("ed");
  await deliverMail(ed.id, { to: ed.address, subject: "keep me" });
  const client = await login(ed.address);
  assert.match(await client.command("DELE 1"), /^\+OK/);
  client.destroy();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await inboxOf(ed.id)).length, 1);
  // And the next session sees it, same UIDL.
  const next = await login(ed.address);
  assert.match(await next.command("STAT"), /^\+OK 1 /);
  await next.command("QUIT");
});

test("keep mode: UIDLs are stable across sessions; mail arriving mid-session shows in the next one", async () => {
  const fi = await makeAccount("fi");
  await deliverMail(fi.id, { to: fi.address, subject: "old 1" });
  await deliverMail(fi.id, { to: fi.address, subject: "old 2" });
  const first = await poplib<Summary>(SUMMARY, [String(port), fi.address, TEST_PASSWORD]);

  const session = await login(fi.address);
  await deliverMail(fi.id, { to: fi.address, subject: "new" });
  assert.match(await session.command("STAT"), /^\+OK 2 /, "the snapshot is taken at login");
  assert.equal(await session.command("RETR 3"), "-ERR No such message");
  const { body } = await session.multiline("UIDL");
  assert.deepEqual(body.toString().trim().split("\r\n"), first.uidl);
  await session.command("QUIT");

  const second = await poplib<Summary>(SUMMARY, [String(port), fi.address, TEST_PASSWORD]);
  assert.equal(second.stat[0], 3);
  assert.deepEqual(second.uidl.slice(0, 2), first.uidl);
  // Reading in keep mode (RETR, no DELE) leaves the maildrop as it was.
  await poplib(
    `
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=20)
p.user(sys.argv[2]); p.pass_(sys.argv[3])
for i in range(1, 4): p.retr(i)
p.quit()
print("{}")
`,
    [String(port), fi.address, TEST_PASSWORD],
  );
  const third = await poplib<Summary>(SUMMARY, [String(port), fi.address, TEST_PASSWORD]);
  assert.deepEqual(third.uidl, second.uidl);
});

test("two sessions on one maildrop: both work; the second QUIT does not move twice", async () => {
  const gu = await makeAccount("gu");
  await deliverMail(gu.id, { to: gu.address, subject: "shared" });
  const a = await login(gu.address);
  const b = await login(gu.address);
  assert.match(await a.command("DELE 1"), /^\+OK/);
  assert.match(await b.command("DELE 1"), /^\+OK/);
  assert.match(await a.command("QUIT"), /\(1 messages deleted\)/);
  // The message is in Trash now, still the account's: b can still read its snapshot.
  assert.match(await b.command("RSET"), /^\+OK/);
  assert.match((await b.multiline("RETR 1")).status, /^\+OK \d+ octets/);
  assert.match(await b.command("DELE 1"), /^\+OK/);
  assert.match(await b.command("QUIT"), /^\+OK/);
  const trash = await db.mailbox.findFirstOrThrow({
    where: { accountId: gu.id, specialUse: "TRASH" },
  });
  assert.equal(trash.messageCount, 1);
});

test("commands: CAPA, NOOP, argument errors, state errors", async () => {
  const ho = await makeAccount("ho");
  await deliverMail(ho.id, { to: ho.address });
  const { client } = await RawPop3Client.connect(port);
  assert.equal(await client.command("STAT"), "-ERR STAT is not valid in the AUTHORIZATION state");
  assert.equal(await client.command("PASS x"), "-ERR Send USER first");
  const capa = await client.multiline("CAPA");
  const capabilities = capa.body.toString().trim().split("\r\n");
  for (const c of ["TOP", "UIDL", "USER", "SASL PLAIN", "STLS", "RESP-CODES", "PIPELINING"])
    assert.ok(capabilities.includes(c), `CAPA lists ${c}`);
  assert.match(await client.command(`user ${ho.address}`), /^\+OK/);
  assert.match(await client.command(`pass ${TEST_PASSWORD}`), /^\+OK ho@mail\.test has 1 messages/);
  assert.equal(await client.command("NOOP"), "+OK");
  assert.equal(await client.command("RETR"), "-ERR RETR: wrong number of arguments");
  assert.equal(await client.command("RETR 0"), "-ERR RETR: message numbers start at 1");
  assert.equal(await client.command("RETR x"), "-ERR RETR: message number expected");
  assert.equal(await client.command("TOP 1"), "-ERR TOP: wrong number of arguments");
  assert.equal(await client.command("LIST 2"), "-ERR No such message");
  assert.equal(await client.command("USER x"), "-ERR USER is not valid in the TRANSACTION state");
  const transactionCapa = await client.multiline("CAPA");
  assert.ok(!transactionCapa.body.toString().includes("STLS"));
  // Pipelined commands are answered in order (RFC 2449 PIPELINING).
  client.write("NOOP\r\nSTAT\r\nLIST 1\r\n");
  assert.equal(await client.line(), "+OK");
  assert.match(await client.line(), /^\+OK 1 \d+$/);
  assert.match(await client.line(), /^\+OK 1 \d+$/);
  assert.match(await client.command("QUIT"), /^\+OK/);
});

// Last: it stops this file's gateway.
test("gateway shutdown: open sessions are told so and their marked deletions are not applied", async () => {
  const zo = await makeAccount("zo");
  await deliverMail(zo.id, { to: zo.address });
  const client = await login(zo.address);
  assert.match(await client.command("DELE 1"), /^\+OK/);
  const closing = gateway.close();
  assert.equal(await client.line(), "-ERR [SYS/TEMP] Server shutting down, try again later");
  await client.closedByServer();
  await closing;
  assert.equal((await inboxOf(zo.id)).length, 1);
});
