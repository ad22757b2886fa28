import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import { makeSnippet, parseMessage, SNIPPET_LENGTH } from "../../../lib/mime/parse-message.ts";

const multipart = [
  'From: "Alice Example" <Alice@Example.org>',
  "To: Bob <bob@mail.test>, team: carol@mail.test, dave@mail.test;",
  "Cc: eve@example.net",
  "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= from the team",
  "Date: Tue, 3 Feb 2026 10:11:12 +0100",
  "Message-ID: <msg-2@example.org>",
  "In-Reply-To: <msg-1@example.org>",
  "References: <msg-0@example.org>\r\n <msg-1@example.org>",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="b1"',
  "",
  "--b1",
  'Content-Type: multipart/related; boundary="b2"',
  "",
  "--b2",
  "Content-Type: text/html; charset=utf-8",
  "",
  '<p>Hello <b>Bob</b>,</p><p>see   the\r\n  plan.</p><img src="cid:logo@x">',
  "--b2",
  "Content-Type: image/png",
  "Content-ID: <logo@x>",
  "Content-Transfer-Encoding: base64",
  "",
  Buffer.alloc(300, 7).toString("base64"),
  "--b2--",
  "--b1",
  'Content-Type: application/pdf; name="plan.pdf"',
  'Content-Disposition: attachment; filename="plan.pdf"',
  "Content-Transfer-Encoding: base64",
  "",
  Buffer.alloc(1000, 1).toString("base64"),
  "--b1--",
  "",
].join("\r\n");

test("list fields, bodies and attachments come out of a multipart message", async () => {
  const m = await parseMessage(Buffer.from(multipart));
  assert.deepEqual(m.from, { name: "Alice Example", address: "alice@example.org" });
  assert.deepEqual(
    m.to.map((a) => a.address),
    ["bob@mail.test", "carol@mail.test", "dave@mail.test"],
  );
  assert.deepEqual(m.cc, [{ name: "", address: "eve@example.net" }]);
  assert.equal(m.subject, "Grüße from the team");
  assert.equal(m.date?.toISOString(), "2026-02-03T09:11:12.000Z");
  assert.equal(m.messageId, "<msg-2@example.org>");
  assert.equal(m.inReplyTo, "<msg-1@example.org>");
  assert.deepEqual(m.references, ["<msg-0@example.org>", "<msg-1@example.org>"]);
  assert.match(m.html ?? "", /<b>Bob<\/b>/);
  // HTML-only: the text is rendered from the HTML, the snippet collapsed.
  assert.match(m.text, /Hello Bob/);
  assert.equal(m.snippet, "Hello Bob, see the plan.");
  assert.deepEqual(
    m.attachments.map((a) => [a.filename, a.contentType, a.size, a.contentId, a.inline]),
    [
      [null, "image/png", 300, "logo@x", true],
      ["plan.pdf", "application/pdf", 1000, null, false],
    ],
  );
});

test("a stream parses like a buffer, and large attachments are only counted", async () => {
  const big = Buffer.alloc(3 * 1024 * 1024, 9)
    .toString("base64")
    .replace(/.{76}/g, "$&\r\n");
  const raw = `Subject: big\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--x\r\nContent-Type: application/octet-stream; name=blob.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n${big}\r\n--x--\r\n`;
  const chunks = Buffer.from(raw)
    .toString("latin1")
    .match(/[\s\S]{1,65536}/g)!
    .map((c) => Buffer.from(c, "latin1"));
  const m = await parseMessage(Readable.from(chunks));
  assert.equal(m.text.trim(), "see attached");
  assert.equal(m.attachments.length, 1);
  assert.equal(m.attachments[0]!.size, 3 * 1024 * 1024);
  assert.equal(m.attachments[0]!.contentType, "application/octet-stream");
});

test("a message without headers or MIME still parses", async () => {
  const m = await parseMessage(Buffer.from("\r\njust a body\r\n"));
  assert.equal(m.subject, "");
  assert.equal(m.from, null);
  assert.equal(m.messageId, null);
  assert.equal(m.text.trim(), "just a body");
});

test("snippets are whitespace-collapsed and cut", () => {
  assert.equal(makeSnippet("  a\n\n b\t c "), "a b c");
  const long = makeSnippet("word ".repeat(200));
  assert.equal(long.length, SNIPPET_LENGTH);
  assert.ok(long.endsWith("…"));
});

// A newsletter as senders build them: tracked links around images, a
// padded preview text, a text alternative full of tracking URLs.
const NEWSLETTER_HTML =
  '<html><head><style>p{color:red}</style></head><body><span style="display:none">' +
  "Spring sale starts now" +
  "&zwnj;&nbsp;&#8203;&shy;&#847;".repeat(40) +
  '</span><a href="http://tracker.example/c?u=1"><img src="http://img.example/logo.png" alt="Shop"></a>' +
  "<h1>Weekly news</h1><hr>" +
  '<p>Big <a href="http://tracker.example/c?u=2">savings</a> today <img src="http://tracker.example/open.gif" width="1"></p>' +
  "</body></html>";
const READABLE = "Spring sale starts now Weekly news Big savings today";

test("an HTML mail's snippet and text are its readable text, not link targets or image URLs", async () => {
  const htmlOnly = await parseMessage(
    Buffer.from(
      `From: news@example.org\r\nSubject: News\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${NEWSLETTER_HTML}\r\n`,
    ),
  );
  assert.equal(htmlOnly.snippet, READABLE);
  assert.doesNotMatch(htmlOnly.text, /tracker|img\.example|\[http/);
  assert.match(htmlOnly.text, /Big savings today/);

  const alternative = await parseMessage(
    Buffer.from(
      [
        "From: news@example.org",
        "Subject: News",
        "MIME-Version: 1.0",
        'Content-Type: multipart/alternative; boundary="alt"',
        "",
        "--alt",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "View in browser: http://tracker.example/c?u=0",
        "[http://img.example/logo.png] Weekly news",
        "--alt",
        "Content-Type: text/html; charset=utf-8",
        "",
        NEWSLETTER_HTML,
        "--alt--",
        "",
      ].join("\r\n"),
    ),
  );
  // The reading pane shows the HTML: so does the preview line.
  assert.equal(alternative.snippet, READABLE);
  // The text part is kept as sent (search finds what it says).
  assert.match(alternative.text, /View in browser/);

  // An HTML part with no text in it: the text part's start is the preview.
  const imageOnly = await parseMessage(
    Buffer.from(
      [
        "Subject: Poster",
        "MIME-Version: 1.0",
        'Content-Type: multipart/alternative; boundary="alt"',
        "",
        "--alt",
        "Content-Type: text/plain",
        "",
        "See the poster",
        "--alt",
        "Content-Type: text/html",
        "",
        '<img src="http://img.example/poster.png">',
        "--alt--",
        "",
      ].join("\r\n"),
    ),
  );
  assert.equal(imageOnly.snippet, "See the poster");
});
