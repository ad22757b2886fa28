// RFC 2369 List-Unsubscribe and RFC 8058 List-Unsubscribe-Post, read from
// the header block; and which addresses the server's own requests refuse.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseListUnsubscribe } from "../../../lib/mime/list-unsubscribe.ts";
import { isPublicAddress } from "../../../lib/http/safe-post.ts";

const header = (...lines: string[]) => Buffer.from(`${lines.join("\r\n")}\r\n\r\nbody\r\n`);

test("one-click needs List-Unsubscribe-Post with exactly List-Unsubscribe=One-Click", () => {
  const both = header(
    "From: list@example.org",
    "List-Unsubscribe: <mailto:leave@example.org?subject=bye>,",
    "  <https://example.org/u/123>",
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
  );
  assert.deepEqual(parseListUnsubscribe(both), {
    oneClick: "https://example.org/u/123",
    mailto: { to: "leave@example.org", subject: "bye", body: "unsubscribe" },
    link: "https://example.org/u/123",
  });
  const noPost = header("List-Unsubscribe: <https://example.org/u/1>");
  assert.deepEqual(parseListUnsubscribe(noPost), {
    oneClick: null,
    mailto: null,
    link: "https://example.org/u/1",
  });
  const otherPost = header(
    "List-Unsubscribe: <https://example.org/u/1>",
    "List-Unsubscribe-Post: List-Unsubscribe=Yes",
  );
  assert.equal(parseListUnsubscribe(otherPost).oneClick, null);
});

test("only http(s) and mailto URIs, no credentials, no second header, no header injection", () => {
  assert.deepEqual(
    parseListUnsubscribe(
      header(
        "List-Unsubscribe: <javascript:alert(1)>, <ftp://x.org/>, <https://u:p@example.org/>, <mailto:a%0d%0aBcc:x@y>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
      ),
    ),
    { oneClick: null, mailto: null, link: null },
  );
  assert.deepEqual(
    parseListUnsubscribe(
      header("List-Unsubscribe: <https://a.example/>", "List-Unsubscribe: <https://b.example/>"),
    ),
    { oneClick: null, mailto: null, link: null },
  );
  const subject = parseListUnsubscribe(
    header("List-Unsubscribe: <mailto:l@example.org?subject=a%0D%0ABcc:%20x@y.org&body=b+c>"),
  ).mailto;
  assert.deepEqual(subject, { to: "l@example.org", subject: "a Bcc: x@y.org", body: "b+c" });
  assert.deepEqual(parseListUnsubscribe(header("Subject: not a list")), {
    oneClick: null,
    mailto: null,
    link: null,
  });
});

test("private, loopback, link-local and reserved addresses are not public", () => {
  for (const ip of [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "::1",
    "::",
    "fd00::1",
    "fe80::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "224.0.0.1",
    "not an ip",
  ]) {
    assert.equal(isPublicAddress(ip), false, ip);
  }
  for (const ip of ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"]) {
    assert.equal(isPublicAddress(ip), true, ip);
  }
});
