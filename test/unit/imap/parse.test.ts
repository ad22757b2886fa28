// The IMAP command grammar and framing, without sockets: literals (both
// kinds), sets, sections and partials, search keys, and refusals with a reason.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCommand, ParseError, STAR } from "../../../mail-gateway/imap/parse.ts";
import { CommandReader } from "../../../mail-gateway/imap/reader.ts";
import { decodeMailboxName, encodeMailboxName } from "../../../mail-gateway/imap/mutf7.ts";
import { parseMimeStructure, findPart } from "../../../lib/mime/mime-structure.ts";

const parse = (text: string) => parseCommand(Buffer.from(text, "latin1"));

test("FETCH items, sections and partials", () => {
  const c = parse(
    'a1 UID FETCH 1:*,5 (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (From "X-Y")]<10.20> BODY[])',
  );
  assert.equal(c.name, "FETCH");
  if (c.name !== "FETCH") return;
  assert.equal(c.uid, true);
  assert.deepEqual(c.set, [
    [1, STAR],
    [5, 5],
  ]);
  assert.deepEqual(c.items[1], {
    kind: "SECTION",
    peek: true,
    section: { path: [1, 2], text: "HEADER.FIELDS", fields: ["From", "X-Y"] },
    partial: { start: 10, length: 20 },
  });
  assert.deepEqual(c.items[2], {
    kind: "SECTION",
    peek: false,
    section: { path: [], text: null, fields: [] },
    partial: null,
  });
});

test("literals and quoted strings in LOGIN, APPEND with flags and date", () => {
  const login = parse('a LOGIN {5}\r\nuser@ "p\\"w"');
  assert.deepEqual(login, { tag: "a", name: "LOGIN", user: "user@", password: 'p"w' });
  const append = parse(
    'b APPEND "Sent Items" (\\Seen $Work) "22-Nov-2026 10:00:00 +0100" {5+}\r\nHello',
  );
  assert.equal(append.name, "APPEND");
  if (append.name !== "APPEND") return;
  assert.equal(append.mailbox, "Sent Items");
  assert.deepEqual(append.flags, ["\\Seen", "$Work"]);
  assert.equal(append.date!.toISOString(), "2026-11-22T09:00:00.000Z");
  assert.equal(append.message.toString(), "Hello");
});

test("search keys nest with OR, NOT and parentheses", () => {
  const c = parse(
    's SEARCH CHARSET UTF-8 OR (FROM "a b" UNSEEN) NOT 2:4 HEADER X-Spam yes SINCE 1-Feb-2026',
  );
  assert.equal(c.name, "SEARCH");
  if (c.name !== "SEARCH") return;
  assert.deepEqual(c.key, {
    op: "and",
    keys: [
      {
        op: "or",
        left: {
          op: "and",
          keys: [
            { op: "address", field: "from", value: "a b" },
            { op: "flag", flag: "seen", set: false },
          ],
        },
        right: { op: "not", key: { op: "seq", set: [[2, 4]] } },
      },
      { op: "header", field: "X-Spam", value: "yes" },
      { op: "date", field: "internal", cmp: "since", day: "2026-02-01" },
    ],
  });
});

test("garbage is refused with a reason, never thrown as anything else", () => {
  for (const line of [
    "",
    "a",
    "a FOO",
    "a FETCH",
    "a FETCH 0 FLAGS",
    "a FETCH 1 (FLAGS",
    "a LOGIN {99}\r\nx",
    "+ NOOP",
    "a SEARCH " + "NOT ".repeat(100) + "ALL",
    "a STORE 1 FLAGS \\Bogus\\",
  ]) {
    assert.throws(
      () => parse(line),
      (e: unknown) => e instanceof ParseError && e.message.length > 0,
      line,
    );
  }
});

test("the reader frames literals, answers synchronizing ones and refuses big ones", () => {
  const reader = new CommandReader(1000);
  const events = reader.push(Buffer.from("a LOGIN {3}\r\n"));
  assert.deepEqual(events, [{ kind: "continue" }]);
  const done = reader.push(Buffer.from('bob "pw"\r\nb NOOP\r\n'));
  assert.deepEqual(
    done.map((e) => (e.kind === "command" ? e.data.toString() : e.kind)),
    ['a LOGIN {3}\r\nbob "pw"', "b NOOP"],
  );
  const big = reader.push(Buffer.from("c APPEND INBOX {5000}\r\n"));
  assert.equal(big[0]!.kind, "refused");
  assert.equal(big[0]!.kind === "refused" && big[0]!.code, "TOOBIG");
  const after = reader.push(Buffer.from("d NOOP\r\n"));
  assert.equal(after[0]!.kind, "command");
});

test("modified UTF-7 names round-trip", () => {
  for (const name of ["Entwürfe", "日本語/メール", "A&B", "plain"]) {
    assert.equal(decodeMailboxName(encodeMailboxName(name)), name);
  }
  assert.equal(encodeMailboxName("Entwürfe"), "Entw&APw-rfe");
});

test("MIME structure: nested multiparts and message/rfc822 parts by number", () => {
  const inner =
    "Subject: inner\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\n--in\r\nContent-Type: text/plain\r\n\r\ninner text\r\n--in\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n--in--\r\n";
  const raw = Buffer.from(
    'Subject: outer\r\nContent-Type: multipart/mixed; boundary="out"\r\n\r\npreamble\r\n--out\r\n\r\nfirst part\r\n--out\r\nContent-Type: message/rfc822\r\n\r\n' +
      inner +
      "\r\n--out--\r\n",
  );
  const root = parseMimeStructure(raw);
  assert.equal(root.children.length, 2);
  const text = (path: number[]) => {
    const p = findPart(root, path)!;
    return raw.subarray(p.bodyStart, p.end).toString();
  };
  assert.equal(text([1]), "first part");
  assert.equal(findPart(root, [2])!.message!.children.length, 2);
  assert.equal(text([2, 1]), "inner text");
  assert.equal(text([2, 2]), "<b>x</b>");
  assert.equal(findPart(root, [3]), null);
});
