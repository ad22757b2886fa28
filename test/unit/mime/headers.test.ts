import assert from "node:assert/strict";
import { test } from "node:test";
import {
  countHeaderFields,
  findHeaderEnd,
  formatHeaderLines,
  formatRfc5322Date,
  headerValue,
  parseHeaderFields,
} from "../../../lib/mime/headers.ts";

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
