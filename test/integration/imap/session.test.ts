// The IMAP protocol layer over a raw socket: IDLE push, login throttling per
// client address and disabled accounts (shared with web and SMTP), size
// limits on lines and literals, and a fuzz run of random and mutated commands after which the
// server still serves a well-formed session and no other account's data.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { deliverMail } from "../../helpers/mail.ts";
import { RawImapClient, startImapGateway } from "../../helpers/imap.ts";
import { assertStrangerThrottled } from "../../helpers/login-throttle.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const gateway = await startImapGateway({ maxMessageBytes: 100_000 });

async function loggedIn(address: string): Promise<RawImapClient> {
  const client = await RawImapClient.connect(gateway.imapPort);
  const reply = await client.command(`LOGIN ${address} "${TEST_PASSWORD}"`);
  assert.match(reply.at(-1)!, /^t\d+ OK /, reply.join("\n"));
  return client;
}

test("IDLE pushes EXISTS for a delivery within a second", async () => {
  const erin = await makeAccount("erin");
  const client = await loggedIn("erin@mail.test");
  await client.command("SELECT INBOX");
  client.write("i1 IDLE\r\n");
  assert.equal(await client.readLine(), "+ idling");
  await deliverMail(erin.id, { subject: "pushed" });
  const start = Date.now();
  assert.equal(await client.readLine(2000), "* 1 EXISTS");
  assert.ok(Date.now() - start < 1000, `${Date.now() - start} ms`);
  assert.equal(await client.readLine(), "* 1 RECENT");
  client.write("DONE\r\n");
  assert.match(await client.readLine(), /^i1 OK/);
  client.destroy();
});

test("a stranger's wrong passwords are answered later and later, then NO [UNAVAILABLE]; the owner elsewhere logs in", async () => {
  await makeAccount("frank");
  const probe = async (source: string, password: string) => {
    const client = await RawImapClient.connect(gateway.imapPort, false, { localAddress: source });
    const reply = await client.command(`LOGIN frank@mail.test "${password}"`, undefined, 30_000);
    client.destroy();
    return reply.at(-1)!;
  };
  await assertStrangerThrottled(
    probe,
    {
      wrong: /^t\d+ NO \[AUTHENTICATIONFAILED\] Wrong address or password\.$/,
      ok: /^t\d+ OK \[CAPABILITY .*\] Logged in$/,
      locked:
        /^t\d+ NO \[UNAVAILABLE\] Too many failed sign-ins to this account from your network\. Try again in 15 minutes\.$/,
      busy: /^t\d+ NO \[UNAVAILABLE\] Too many sign-ins to this account are being checked at once from your network\. Try again in a moment\.$/,
    },
    { stranger: "127.0.0.7", owner: "127.0.0.8" },
  );
});

test("a disabled account is refused with CONTACTADMIN, as on the web", async () => {
  const grace = await makeAccount("grace");
  await db.account.update({ where: { id: grace.id }, data: { disabled: true } });
  const other = await RawImapClient.connect(gateway.imapPort);
  const plain = Buffer.from(`\u0000grace@mail.test\u0000${TEST_PASSWORD}`).toString("base64");
  const disabled = await other.command(`AUTHENTICATE PLAIN ${plain}`);
  assert.match(disabled.at(-1)!, /NO \[CONTACTADMIN\]/);
  other.destroy();
});

test("oversized lines and literals are refused with a clear reply", async () => {
  await makeAccount("heidi");
  const client = await loggedIn("heidi@mail.test");
  client.write("a1 APPEND INBOX {200000}\r\n");
  assert.match(await client.readLine(), /^a1 NO \[TOOBIG\] Message of 200000 bytes is larger/);
  client.write("a2 LOGIN {9999999}\r\n");
  assert.match(await client.readLine(), /^a2 BAD Literal of 9999999 bytes is larger/);
  client.write(`a3 NOOP ${"x".repeat(70_000)}\r\n`);
  assert.match(await client.readLine(), /BAD Line is longer than/);
  const ok = await client.command("NOOP");
  assert.match(ok.at(-1)!, /OK/);
  // A non-synchronizing literal we will not read ends the connection.
  client.write("a4 APPEND INBOX {500000+}\r\n");
  assert.match(await client.readLine(), /^a4 NO \[TOOBIG\]/);
  assert.match(await client.readLine(), /^\* BYE/);
  client.destroy();
});

const COMMANDS = [
  "CAPABILITY",
  "NOOP",
  "SELECT INBOX",
  "EXAMINE Sent",
  'LIST "" "*"',
  'LSUB "" *',
  "STATUS INBOX (MESSAGES UIDNEXT)",
  "FETCH 1:* (FLAGS UID ENVELOPE BODYSTRUCTURE)",
  "FETCH 1 BODY.PEEK[HEADER.FIELDS (From Subject)]<0.20>",
  "UID FETCH 1:* (BODY.PEEK[1.MIME] BODY[TEXT])",
  "SEARCH OR FROM alice NOT SEEN",
  "UID SEARCH SUBJECT x SINCE 1-Jan-2020",
  "STORE 1 +FLAGS (\\Flagged $Label)",
  "UID STORE 1:* -FLAGS.SILENT (\\Seen)",
  "COPY 1 Archive",
  "MOVE 1 Junk",
  "EXPUNGE",
  "CREATE Fuzz/Box",
  "RENAME Fuzz Fuzzed",
  "DELETE Fuzzed",
  "APPEND INBOX (\\Seen) {5+}\r\nHello",
  'ID ("name" "fuzz")',
  "ENABLE CONDSTORE",
  "NAMESPACE",
  "CHECK",
  "UNSELECT",
];

function mutate(line: string): string {
  const chars = [...line];
  const edits = 1 + Math.floor(Math.random() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(Math.random() * (chars.length + 1));
    const r = Math.random();
    const junk = [
      "(",
      ")",
      "{",
      "}",
      "[",
      "]",
      "<",
      ">",
      '"',
      "\\",
      "*",
      "%",
      ":",
      ",",
      " ",
      "{3}",
      "{0+}",
      "\u0000",
      "\u00ff",
      "9999999999",
      "-1",
      "NIL",
    ][Math.floor(Math.random() * 22)]!;
    if (r < 0.4) chars.splice(at, 1);
    else if (r < 0.8) chars.splice(at, 0, junk);
    else chars.splice(at, 1, junk);
  }
  return chars.join("");
}

test("fuzz: thousands of random and mutated commands never crash the server", async () => {
  const ivan = await makeAccount("ivan");
  const judy = await makeAccount("judy");
  await deliverMail(ivan.id, { subject: "ivan's mail", text: "for ivan" });
  await deliverMail(judy.id, { subject: "judy's secret", text: "only judy" });
  let sent = 0;
  for (let round = 0; round < 30; round++) {
    const client = await loggedIn("ivan@mail.test");
    await client.command("SELECT INBOX");
    const lines: Buffer[] = [];
    for (let i = 0; i < 100; i++) {
      const kind = Math.random();
      let line: Buffer;
      if (kind < 0.2) line = randomBytes(1 + Math.floor(Math.random() * 200));
      else {
        const base = COMMANDS[Math.floor(Math.random() * COMMANDS.length)]!;
        line = Buffer.from(`f${i} ${kind < 0.6 ? mutate(base) : base}`, "latin1");
      }
      lines.push(line, Buffer.from("\r\n"));
    }
    // A few literal announcements the client never fulfils, and oversized ones.
    if (round % 5 === 0) lines.push(Buffer.from("x APPEND INBOX {99999999}\r\n"));
    client.write(Buffer.concat(lines));
    sent += 100;
    await new Promise((r) => setTimeout(r, 150));
    client.destroy();
  }
  assert.ok(sent >= 3000);

  // The server still answers a well-formed session, with ivan's data only.
  const client = await loggedIn("ivan@mail.test");
  const select = await client.command("SELECT INBOX");
  assert.match(select.at(-1)!, /OK \[READ-WRITE\]/);
  const search = await client.command("UID SEARCH TEXT secret");
  assert.equal(search[0], "* SEARCH");
  const all = await client.command("FETCH 1:* (BODY.PEEK[])");
  assert.ok(!all.join("\n").includes("only judy"));
  const foreign = await client.command('SELECT "../judy@mail.test/INBOX"');
  assert.match(foreign.at(-1)!, /NO \[NONEXISTENT\]/);
  const logout = await client.command("LOGOUT");
  assert.match(logout.at(-1)!, /OK/);
  client.destroy();
});
