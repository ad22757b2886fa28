// NUL in IMAP commands (RFC 3501 §9 and RFC 9051 §9: quoted strings are
// CHARs, literals CHAR8s, neither includes %x00): over a raw socket, every
// place a client can put one (login names, passwords, mailbox names, SEARCH
// strings, flags and keywords, literals) gets a tagged BAD from the parser,
// never a database error (Postgres text cannot hold NUL). An APPEND's
// message is bytes and keeps its NUL.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { RawImapClient, startImapGateway } from "../../helpers/imap.ts";

await useTestDatabase();
const gateway = await startImapGateway();
const NUL_BAD = /^\w+ BAD NUL is not allowed in a command$/;
let tags = 0;

/** Sends `command` (latin1, so "\0" is one NUL byte) and returns the tagged reply. */
async function send(client: RawImapClient, command: string): Promise<string> {
  const tag = `n${++tags}`;
  client.write(Buffer.from(`${tag} ${command}\r\n`, "latin1"));
  const lines = await client.until(tag);
  return lines.at(-1)!;
}

async function assertRefused(client: RawImapClient, command: string, reason = NUL_BAD) {
  const reply = await send(client, command);
  assert.match(reply, reason, `${JSON.stringify(command)} -> ${reply}`);
}

/** A logged-in session (a fresh one per batch: 20 BADs end a connection). */
async function session(address: string, select = false): Promise<RawImapClient> {
  const client = await RawImapClient.connect(gateway.imapPort);
  assert.match(await send(client, `LOGIN ${address} "${TEST_PASSWORD}"`), /^n\d+ OK /);
  if (select) assert.match(await send(client, "SELECT INBOX"), /OK \[READ-WRITE\]/);
  return client;
}

test("a NUL in a login name or password is BAD, in quoted strings, literals and atoms", async () => {
  await makeAccount("nora");
  const client = await RawImapClient.connect(gateway.imapPort);
  await assertRefused(client, `LOGIN "no\0ra@mail.test" "${TEST_PASSWORD}"`);
  await assertRefused(client, `LOGIN nora@mail.test "${TEST_PASSWORD}\0"`);
  await assertRefused(client, `LOGIN {15+}\r\nnora\0@mail.test "${TEST_PASSWORD}"`);
  await assertRefused(client, `LOGIN nora@mail.test {3+}\r\na\0b`);
  await assertRefused(client, `LOGIN no\0ra@mail.test "${TEST_PASSWORD}"`);
  // The session goes on and the right login works.
  assert.match(await send(client, `LOGIN nora@mail.test "${TEST_PASSWORD}"`), /^n\d+ OK /);
  client.destroy();
  assert.deepEqual(
    gateway.logs.filter((l) => l.includes("failed")),
    [],
    "no login reached the database with a NUL",
  );
});

test("a NUL in mailbox names, SEARCH strings, flags, keywords and other strings is BAD", async () => {
  await makeAccount("omar");
  let client = await session("omar@mail.test");
  const message = "Subject: one\r\n\r\nbody\r\n";
  assert.match(await send(client, `APPEND INBOX {${message.length}+}\r\n${message}`), /OK/);

  for (const command of [
    'SELECT "IN\0BOX"',
    'EXAMINE "Fo\0o"',
    'CREATE "Fo\0o"',
    "CREATE {3+}\r\na\0b",
    'DELETE "Fo\0o"',
    'RENAME "Sent" "S\0ent"',
    'SUBSCRIBE "a\0b"',
    'UNSUBSCRIBE "a\0b"',
    'STATUS "a\0b" (MESSAGES)',
    'LIST "" "a\0b"',
    'LIST "a\0" "*"',
    'LSUB "" "a\0b"',
    'APPEND "a\0b" {5+}\r\nx\r\n\r\n',
    "APPEND INBOX (\\Seen a\0b) {5+}\r\nx\r\n\r\n",
    "APPEND INBOX (\\Se\0en) {5+}\r\nx\r\n\r\n",
    'APPEND INBOX "01-Jan-2026 10:00:00 +0000\0" {5+}\r\nx\r\n\r\n',
    'ID ("name" "a\0b")',
    'ID ("na\0me" NIL)',
  ]) {
    await assertRefused(client, command);
  }
  client.destroy();

  client = await session("omar@mail.test", true);
  for (const command of [
    'SEARCH SUBJECT "a\0b"',
    'SEARCH FROM "a\0b"',
    'SEARCH TO "a\0b"',
    'SEARCH BODY "a\0b"',
    'SEARCH TEXT "a\0b"',
    "SEARCH TEXT {3+}\r\na\0b",
    "SEARCH CHARSET UTF-8 SUBJECT {3+}\r\na\0b",
    'SEARCH HEADER "X-A\0" "b"',
    'SEARCH HEADER "X-A" "b\0"',
    "SEARCH KEYWORD a\0b",
    "UID SEARCH UNKEYWORD a\0b",
    "SEARCH OR SUBJECT x FROM {2+}\r\n\0x",
    "STORE 1 +FLAGS (a\0b)",
    "STORE 1 FLAGS.SILENT (\\Seen \0)",
    'COPY 1 "a\0b"',
    'MOVE 1 "a\0b"',
    "UID COPY 1 {3+}\r\na\0b",
    'FETCH 1 BODY.PEEK[HEADER.FIELDS ("Sub\0ject")]',
  ]) {
    await assertRefused(client, command);
  }
  client.destroy();

  client = await session("omar@mail.test", true);
  // Modified UTF-7 that decodes to U+0000 or to a lone surrogate is no name either.
  await assertRefused(client, 'CREATE "&AAA-"', /BAD Modified UTF-7 in a name decodes to invalid/);
  await assertRefused(client, 'CREATE "&2AA-"', /BAD Modified UTF-7 in a name decodes to invalid/);
  await assertRefused(client, 'SELECT "a&3AA-"', /BAD Modified UTF-7 in a name decodes to invalid/);

  // Nothing was created or changed, and the session still works.
  const list = await client.command('LIST "" "*"');
  assert.deepEqual(
    list
      .filter((l) => l.startsWith("* LIST"))
      .map((l) => l.replace(/^.* /, ""))
      .sort(),
    ['"Archive"', '"Drafts"', '"INBOX"', '"Junk"', '"Sent"', '"Trash"'],
  );
  const flags = await client.command("FETCH 1 FLAGS");
  assert.match(flags[0]!, /^\* 1 FETCH \(FLAGS \(\)\)$/);
  client.destroy();
  assert.deepEqual(
    gateway.logs.filter((l) => l.includes("failed")),
    [],
  );
});

test("an APPEND's message may hold NUL: it is stored and fetched byte for byte", async () => {
  await makeAccount("pia");
  const message = "Subject: binary\r\n\r\nbefore\0after\r\n";
  const again = await session("pia@mail.test");
  const appended = await send(again, `APPEND INBOX ($Binary) {${message.length}+}\r\n${message}`);
  assert.match(appended, /OK \[APPENDUID \d+ 1\]/);
  await send(again, "SELECT INBOX");
  const fetched = await again.command("FETCH 1 (FLAGS BODY.PEEK[])");
  // The keyword is announced first (FLAGS, PERMANENTFLAGS); the message is \Recent here.
  assert.equal(
    fetched[2],
    `* 1 FETCH (FLAGS (\\Recent $Binary) BODY[] {${message.length}}\r\n${message})`,
  );
  again.destroy();
});
