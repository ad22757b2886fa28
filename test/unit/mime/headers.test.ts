import assert from "node:assert/strict";
import { test } from "node:test";
import {
  countHeaderFields,
  findHeaderEnd,
  formatHeaderLines,
  formatHeaderBlock,
  formatRfc5322Date,
  headerValue,
  parseHeaderFields,
  parseStrictHeaderBlock,
  rawHeaderField,
} from "../../../lib/mime/headers.ts";
import { addressesNamedIn } from "../../../lib/mime/named-addresses.ts";

test("the header block ends at the first empty line, CRLF or bare LF", () => {
  assert.equal(findHeaderEnd(Buffer.from("A: 1\r\nB: 2\r\n\r\nbody")), 14);
  assert.equal(findHeaderEnd(Buffer.from("A: 1\nB: 2\n\nbody")), 11);
  assert.equal(findHeaderEnd(Buffer.from("\r\nbody only")), 2);
  assert.equal(findHeaderEnd(Buffer.from("A: 1\r\nB: 2\r\n")), -1);
});

test("fields are unfolded, names lower-cased, junk lines skipped", () => {
  const fields = parseHeaderFields(
    Buffer.from(
      "Received: from a\r\n\tby b; Mon, 1 Jan 2024\r\nnot a header\r\nSubject: hi\r\nRECEIVED: x\r\n\r\nbody: no",
    ),
  );
  assert.deepEqual(fields, [
    { name: "received", value: "from a\tby b; Mon, 1 Jan 2024" },
    { name: "subject", value: "hi" },
    { name: "received", value: "x" },
  ]);
  assert.equal(countHeaderFields(fields, "Received"), 2);
  assert.equal(headerValue(fields, "SUBJECT"), "hi");
  assert.equal(headerValue(fields, "body"), undefined);
});

test("8-bit header bytes survive parsing", () => {
  const fields = parseHeaderFields(Buffer.from("Subject: Grüße\r\n\r\n", "utf8"));
  assert.equal(Buffer.from(fields[0]!.value, "latin1").toString("utf8"), "Grüße");
});

test("trace fields are formatted one per line, CRLF-terminated", () => {
  const block = formatHeaderLines([
    { name: "Return-Path", value: "<a@b.c>" },
    { name: "Received", value: "from x\r\n\tby y; date" },
  ]);
  assert.equal(block.toString(), "Return-Path: <a@b.c>\r\nReceived: from x\r\n\tby y; date\r\n");
});

test("RFC 5322 dates are in UTC", () => {
  assert.equal(
    formatRfc5322Date(new Date(Date.UTC(2026, 10, 22, 9, 5, 3))),
    "Sun, 22 Nov 2026 09:05:03 +0000",
  );
});

test("the strict parse keeps each field's bytes and serializes back to the same message", () => {
  const raw = Buffer.from(
    "From: Ann <ann@mail.test>\r\nSubject: Gr\u00fc\u00dfe\r\n\tfolded\r\nX-Empty:\r\n\r\nbody\r\n\r\n",
    "latin1",
  );
  const parsed = parseStrictHeaderBlock(raw);
  assert.ok(parsed.ok);
  assert.deepEqual(
    parsed.block.fields.map((f) => [f.name, f.value, f.raw]),
    [
      ["from", "Ann <ann@mail.test>", "From: Ann <ann@mail.test>"],
      ["subject", "Gr\u00fc\u00dfe\tfolded", "Subject: Gr\u00fc\u00dfe\r\n\tfolded"],
      ["x-empty", "", "X-Empty:"],
    ],
  );
  assert.equal(parsed.block.body.toString(), "body\r\n\r\n");
  assert.ok(formatHeaderBlock(parsed.block).equals(raw));
  const added = rawHeaderField("Received", "from a\r\n\tby b");
  assert.deepEqual(added, {
    name: "received",
    value: "from a\tby b",
    raw: "Received: from a\r\n\tby b",
  });
  // No body at all (RFC 5322 §3.5): the whole message is header.
  const bare = parseStrictHeaderBlock(Buffer.from("From: a@b.test\r\n"));
  assert.ok(bare.ok && bare.block.fields.length === 1 && bare.block.body.length === 0);
});

test("the strict parse refuses what another reader could split differently", () => {
  const problem = (text: string) => {
    const parsed = parseStrictHeaderBlock(Buffer.from(text, "latin1"));
    return parsed.ok ? null : parsed.problem;
  };
  assert.match(problem("From: a@b.test\nFrom: c@d.test\r\n\r\nx")!, /^Line 1 .* line feed \(LF\)/);
  assert.match(
    problem("To: x@y.test\r\nFrom: a@b.test\rFrom: c@d.test\r\n\r\nx")!,
    /^Line 2 .* carriage return/,
  );
  assert.match(problem("From: a@b.test\r\n\nFrom: c@d.test\r\n\r\nx")!, /line feed/);
  assert.match(problem("From: a@b.test\u0000\r\n\r\nx")!, /NUL/);
  assert.match(problem(" From: a@b.test\r\n\r\nx")!, /starts with a continuation/);
  assert.match(problem("From: a@b.test\r\n \t\r\n\r\nx")!, /only white space/);
  assert.match(problem("From : a@b.test\r\n\r\nx")!, /Line 1 .* not a header field/);
  assert.match(
    problem("From: a@b.test\r\nno colon here\r\n\r\nx")!,
    /Line 2 .* not a header field/,
  );
  assert.match(problem(`Subject: ${"x".repeat(990)}\r\n\r\nx`)!, /longer than 998/);
  // The body is not the header's business: bare LF there is left alone.
  assert.equal(problem("From: a@b.test\r\n\r\nline\nline\r"), null);
});

test("addresses a reader would see: encoded words, quoted-pairs, look-alike characters", () => {
  assert.deepEqual(addressesNamedIn('"Admin@Mail.Test" <me@mail.test>'), [
    "admin@mail.test",
    "me@mail.test",
  ]);
  for (const text of [
    "=?utf-8?q?admin=40mail.test?=",
    "=?UTF-8?B?YWRtaW5AbWFpbC50ZXN0?=",
    '"admin\\@mail.test"',
    "admin\uff20mail.test", // fullwidth commercial at
    "admin\ufe6bmail.test", // small commercial at
    "\uff41\uff44\uff4d\uff49\uff4e@mail.test", // fullwidth letters
    "ad\u200bmin@mail\u200d.test", // zero-width space and joiner
    "admin@mail\u3002test", // ideographic full stop
    "admin @ mail.test",
  ]) {
    assert.deepEqual(addressesNamedIn(text), ["admin@mail.test"], text);
  }
  assert.deepEqual(addressesNamedIn("Ann Writer"), []);
  assert.deepEqual(addressesNamedIn("Sales @ Acme"), []);
});
