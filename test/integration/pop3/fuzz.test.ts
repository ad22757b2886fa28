// Malformed-command fuzzing: thousands of random and mutated lines (seeded,
// so a failure replays), pipelined over many connections in both states,
// with binary junk, overlong lines and bare CR/LF. The gateway must answer
// with "+OK"/"-ERR" lines only, never crash, keep the mail as it was (no
// QUIT is sent, so nothing may be deleted), and still serve a fresh session.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { makeAccount, TEST_PASSWORD } = await import("../../helpers/accounts.ts");
const { deliverMail } = await import("../../helpers/mail.ts");
const { startPop3Gateway, RawPop3Client } = await import("../../helpers/pop3.ts");
const { db } = await import("../../../lib/db.ts");

const gateway = await startPop3Gateway({ insecure: true });
const port = gateway.pop3Port;
const zed = await makeAccount("zed");
for (let i = 0; i < 3; i++) {
  await deliverMail(zed.id, { to: zed.address, subject: `fuzz ${i}`, text: `.line\r\n${i}` });
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = [
  "STAT",
  "LIST",
  "LIST 1",
  "UIDL",
  "UIDL 2",
  "RETR 1",
  "TOP 1 3",
  "DELE 2",
  "RSET",
  "NOOP",
  "CAPA",
  "USER zed@mail.test",
  "PASS x",
  "AUTH PLAIN",
  "AUTH",
  "STLS",
  "APOP a b",
];
const JUNK = [
  "0",
  "-1",
  "99999999999",
  "1 2 3",
  "\0",
  "\xff\xfe",
  "%s%n",
  "🙂",
  "=",
  "*",
  "\t",
  " ",
];

function randomLine(random: () => number): Buffer {
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
  const kind = random();
  if (kind < 0.2) {
    // Random bytes (no line ends: those are added by the caller).
    const length = Math.floor(random() * 300);
    const bytes = Array.from({ length }, () => Math.floor(random() * 256));
    return Buffer.from(bytes.filter((b) => b !== 0x0a));
  }
  if (kind < 0.25) return Buffer.alloc(4096 + Math.floor(random() * 9000), "A");
  let line = pick(VALID);
  const mutations = 1 + Math.floor(random() * 3);
  for (let i = 0; i < mutations; i++) {
    const m = random();
    const at = Math.floor(random() * (line.length + 1));
    if (m < 0.3) line = line.slice(0, at) + pick(JUNK) + line.slice(at);
    else if (m < 0.5) line = line.slice(0, at) + line.slice(at + 1);
    else if (m < 0.6) line = line.toLowerCase();
    else if (m < 0.7) line = `${line} ${pick(JUNK)}`;
    else if (m < 0.8) line = line.replace(/\d+/, pick(JUNK));
    else if (m < 0.9) line = line.slice(0, at) + "\r" + line.slice(at);
    else line = line.repeat(2);
  }
  return Buffer.from(line.replace(/QUIT/gi, "NOOP"), "latin1");
}

test("thousands of random and mutated lines: only +OK/-ERR replies, no crash, mail intact", async () => {
  const random = prng(0x9e3779b9);
  const before = await db.message.count({ where: { accountId: zed.id } });
  let answered = 0;
  let connections = 0;
  while (answered < 2000) {
    const loggedIn = connections % 4 === 1;
    const { client, greeting } = await RawPop3Client.connect(port);
    connections++;
    assert.match(greeting, /^\+OK/);
    if (loggedIn) {
      await client.command(`USER ${zed.address}`);
      assert.match(await client.command(`PASS ${TEST_PASSWORD}`), /^\+OK/);
    }
    // Pipelined: a burst of lines in one write. Each line gets exactly one
    // status reply until the server hangs up (too many bad commands, failed
    // logins, or a TLS handshake fed with junk after STLS).
    const lines = Array.from({ length: 40 }, () => randomLine(random));
    const ends = () => Buffer.from(random() < 0.9 ? "\r\n" : "\n");
    client.write(Buffer.concat(lines.flatMap((l) => [l, ends()])));
    for (let expected = lines.length; expected > 0; expected--) {
      let line: string;
      try {
        line = await client.line();
      } catch {
        break;
      }
      answered++;
      assert.match(line, /^(\+OK|-ERR|\+ $)/, `reply ${JSON.stringify(line.slice(0, 80))}`);
      // After STLS the server waits for a TLS handshake: the rest of the burst is not answered.
      if (line.startsWith("+OK Begin TLS")) break;
      if (/^\+OK (Capability|Supported mechanisms|\d+ messages|\d+ octets|Top of)/.test(line)) {
        await client.body();
      }
    }
    client.destroy();
  }
  console.log(`fuzz: ${answered} replies over ${connections} connections`);
  assert.ok(connections > 10);
  assert.equal(await db.message.count({ where: { accountId: zed.id } }), before);
  const inbox = await db.message.count({
    where: { accountId: zed.id, mailbox: { specialUse: "INBOX" } },
  });
  assert.equal(inbox, 3, "no QUIT was sent, so nothing left the Inbox");

  // A fresh session still works.
  const { client } = await RawPop3Client.connect(port);
  await client.command(`USER ${zed.address}`);
  assert.match(
    await client.command(`PASS ${TEST_PASSWORD}`),
    /^\+OK zed@mail\.test has 3 messages/,
  );
  const { status, body } = await client.multiline("RETR 1");
  assert.match(status, /^\+OK \d+ octets$/);
  assert.match(body.toString(), /\r\n\.\.line\r\n/);
  assert.match(await client.command("QUIT"), /^\+OK/);
});
