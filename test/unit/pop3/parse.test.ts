// The POP3 wire format without sockets: command lines, argument checks,
// SASL PLAIN, multi-line encoding (dot-stuffing, line ends) and TOP.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeBase64Strict,
  decodeSaslPlain,
  encodeMultiline,
  parseArgs,
  parseCommandLine,
  topOf,
} from "../../../mail-gateway/pop3/parse.ts";

const b = (s: string) => Buffer.from(s, "latin1");

test("command lines: case-insensitive keyword, space-separated arguments", () => {
  assert.deepEqual(parseCommandLine("retr 1"), { verb: "RETR", args: ["1"] });
  assert.deepEqual(parseCommandLine("TOP  2 10 "), { verb: "TOP", args: ["2", "10"] });
  assert.equal(parseCommandLine(""), null);
  assert.equal(parseCommandLine("RETRIEVE 1"), null);
  assert.equal(parseCommandLine("R3TR 1"), null);
});

test("arguments: counts and message numbers are checked", () => {
  assert.deepEqual(parseArgs("TOP", ["3", "0"]), { ok: true, value: [3, 0] });
  assert.deepEqual(parseArgs("LIST", []), { ok: true, value: [] });
  assert.deepEqual(parseArgs("LIST", ["1", "2"]), {
    ok: false,
    reason: "wrong number of arguments",
  });
  assert.deepEqual(parseArgs("RETR", ["0"]), {
    ok: false,
    reason: "message numbers start at 1",
  });
  assert.deepEqual(parseArgs("DELE", ["-1"]), { ok: false, reason: "message number expected" });
  assert.deepEqual(parseArgs("RETR", ["1234567890"]), {
    ok: false,
    reason: "message number expected",
  });
});

test("SASL PLAIN: strict base64, no proxy identity", () => {
  const encoded = Buffer.from("\0ann@mail.test\0pass word").toString("base64");
  assert.deepEqual(decodeSaslPlain(decodeBase64Strict(encoded)!), {
    username: "ann@mail.test",
    password: "pass word",
  });
  assert.deepEqual(decodeSaslPlain(b("ann@mail.test\0ann@mail.test\0pw")), {
    username: "ann@mail.test",
    password: "pw",
  });
  assert.equal(decodeSaslPlain(b("bob@mail.test\0ann@mail.test\0pw")), null);
  assert.equal(decodeSaslPlain(b("\0ann@mail.test")), null);
  assert.equal(decodeBase64Strict("abc"), null);
  assert.equal(decodeBase64Strict("ab!="), null);
  assert.deepEqual(decodeBase64Strict("="), Buffer.alloc(0));
});

test("multi-line: CRLF sources go out as they are; dots stuffed; bare LF/CR become CRLF", () => {
  assert.equal(encodeMultiline(b("A: 1\r\n\r\nbody\r\n")).toString(), "A: 1\r\n\r\nbody\r\n.\r\n");
  assert.equal(
    encodeMultiline(b(".x\r\nA\r\n.\r\n..y\r\n")).toString(),
    "..x\r\nA\r\n..\r\n...y\r\n.\r\n",
  );
  assert.equal(encodeMultiline(b("a\nb\rc\r\n.d")).toString(), "a\r\nb\r\nc\r\n..d\r\n.\r\n");
  assert.equal(encodeMultiline(b("no final line end")).toString(), "no final line end\r\n.\r\n");
  assert.equal(encodeMultiline(Buffer.alloc(0)).toString(), ".\r\n");
});

test("TOP: the header, the blank line and n body lines", () => {
  const source = b("A: 1\r\nB: 2\r\n\r\none\r\ntwo\r\nthree\r\n");
  assert.equal(topOf(source, 0).toString(), "A: 1\r\nB: 2\r\n\r\n");
  assert.equal(topOf(source, 2).toString(), "A: 1\r\nB: 2\r\n\r\none\r\ntwo\r\n");
  assert.equal(topOf(source, 99).toString(), source.toString());
  assert.equal(topOf(b("A: 1\r\nB: 2\r\n"), 3).toString(), "A: 1\r\nB: 2\r\n");
});
