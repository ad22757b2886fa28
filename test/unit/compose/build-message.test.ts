// The composer's MIME builder, reply/forward rules and header-injection
// refusals, without a database.
import assert from "node:assert/strict";
import { test } from "node:test";
import { simpleParser } from "mailparser";
import { buildMessage, type OutgoingMessage } from "../../../lib/compose/build-message.ts";
import { composeSchema } from "../../../lib/compose/model.ts";
import {
  forwardSubject,
  replyRecipients,
  replySubject,
  replyThreading,
  type OriginalMessage,
} from "../../../lib/compose/reply.ts";
import { uploadUrl } from "../../../lib/compose/upload-url.ts";

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);
const IMAGE_ID = "0190a0b0-0000-7000-8000-000000000001";
const FILE_ID = "0190a0b0-0000-7000-8000-000000000002";

function message(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    from: { name: "Ann Writer", address: "ann@mail.test" },
    to: [{ name: "Bob", address: "bob@example.org" }],
    cc: [],
    bcc: [{ name: "", address: "hidden@example.org" }],
    subject: "Plans ✓",
    format: "html",
    body: `<p>Hello <b>Bob</b> <script>alert(1)</script><img src="${uploadUrl(IMAGE_ID)}"></p><ul><li>one</li></ul>`,
    attachments: [
      { id: IMAGE_ID, filename: "dot.png", contentType: "image/png", content: PNG },
      {
        id: FILE_ID,
        filename: "notes.bin",
        contentType: "application/octet-stream",
        content: Buffer.from([0, 1, 2, 255]),
      },
    ],
    inReplyTo: "<parent@example.org>",
    references: ["<root@example.org>", "<parent@example.org>"],
    messageId: "<new@mail.test>",
    date: new Date("2026-11-22T10:00:00Z"),
    keepBcc: false,
    ...overrides,
  };
}

test("HTML mail is multipart/alternative with a text part, inline image by cid, attachment bytes intact", async () => {
  const raw = await buildMessage(message());
  const parsed = await simpleParser(raw, { keepCidLinks: true });
  assert.equal(parsed.subject, "Plans ✓");
  assert.equal(parsed.from?.value[0]?.address, "ann@mail.test");
  assert.equal(parsed.inReplyTo, "<parent@example.org>");
  assert.deepEqual(parsed.references, ["<root@example.org>", "<parent@example.org>"]);
  assert.equal(parsed.messageId, "<new@mail.test>");
  assert.equal(parsed.headers.get("bcc"), undefined, "Bcc left out unless kept");
  assert.match(raw.toString("latin1"), /multipart\/alternative/);
  assert.match(parsed.text ?? "", /Hello BOB/i);
  assert.ok(typeof parsed.html === "string", "typeof parsed.html === 'string'");
  assert.doesNotMatch(parsed.html, /script/);
  assert.match(parsed.html, new RegExp(`src="cid:${IMAGE_ID}@mail.test"`));
  const image = parsed.attachments.find((a) => a.filename === "dot.png")!;
  assert.equal(image.cid, `${IMAGE_ID}@mail.test`);
  assert.ok(image.content.equals(PNG), "image.content.equals(PNG)");
  const file = parsed.attachments.find((a) => a.filename === "notes.bin")!;
  assert.ok(
    file.content.equals(Buffer.from([0, 1, 2, 255])),
    "file.content.equals(Buffer.from([0, 1, 2, 255]))",
  );
});

test("plain-text mode sends text/plain only; keepBcc keeps Bcc for drafts", async () => {
  const raw = await buildMessage(
    message({ format: "text", body: "Just text\n<b>not bold</b>", attachments: [], keepBcc: true }),
  );
  const parsed = await simpleParser(raw);
  assert.equal(parsed.html, false);
  assert.equal(parsed.text?.trim(), "Just text\n<b>not bold</b>");
  assert.match(raw.toString("latin1"), /^Content-Type: text\/plain/im);
  assert.equal(
    (parsed.bcc as { value: { address: string }[] }).value[0]?.address,
    "hidden@example.org",
  );
});

test("header injection: CR/LF in subject, names or addresses is refused by the schema and the builder", async () => {
  const attempts = [
    { subject: "Hi\r\nBcc: victim@example.org" },
    { subject: "Hi\nX-Evil: 1" },
    { to: [{ name: "Bob\r\nBcc: victim@example.org", address: "bob@example.org" }] },
    { to: [{ name: "", address: "bob@example.org\r\nBcc: victim@example.org" }] },
    { cc: [{ name: "", address: "a@example.org, victim@example.org" }] },
    { bcc: [{ name: "", address: "Eve <eve@example.org>" }] },
    { inReplyTo: "<a@b>\r\nBcc: victim@example.org" },
  ];
  for (const attempt of attempts) {
    const result = composeSchema.safeParse({ ...attempt });
    assert.equal(result.success, false, `schema refused ${JSON.stringify(attempt)}`);
  }
  await assert.rejects(
    buildMessage(message({ subject: "x\r\nBcc: victim@example.org" })),
    /injection/,
  );
  await assert.rejects(
    buildMessage(message({ to: [{ name: "B\nX: y", address: "bob@example.org" }] })),
    /injection/,
  );
  await assert.rejects(
    buildMessage(message({ to: [{ name: "", address: "bob@example.org\r\nBcc: v@x.org" }] })),
    /invalid address/,
  );
  // A unicode name and subject are encoded, not refused.
  const raw = await buildMessage(
    message({
      subject: "Grüße: Bcc: x@y.org",
      to: [{ name: 'Zoë, "Q"', address: "z@example.org" }],
    }),
  );
  const head = raw.toString("latin1").split("\r\n\r\n")[0]!;
  assert.doesNotMatch(head, /^Bcc:/im);
  const parsed = await simpleParser(raw);
  assert.equal(parsed.subject, "Grüße: Bcc: x@y.org");
  assert.deepEqual(
    (parsed.to as { value: { address: string }[] }).value.map((a) => a.address),
    ["z@example.org"],
  );
});

const original: OriginalMessage = {
  from: { name: "Carol", address: "carol@example.org" },
  replyTo: [],
  to: [
    { name: "Ann", address: "ann@mail.test" },
    { name: "Dave", address: "dave@example.org" },
  ],
  cc: [
    { name: "", address: "ann+lists@mail.test" },
    { name: "", address: "alias@mail.test" },
    { name: "", address: "erin@example.org" },
  ],
  subject: "Re: Plans",
  date: new Date("2026-11-20T08:00:00Z"),
  messageId: "<c2@example.org>",
  references: ["<c1@example.org>"],
  html: null,
  text: "Hi",
};

test("reply goes to the sender; reply all adds the others and drops the user's addresses and aliases", () => {
  const own = ["ann@mail.test", "alias@mail.test"];
  assert.deepEqual(replyRecipients(original, own, false), {
    to: [{ name: "Carol", address: "carol@example.org" }],
    cc: [],
  });
  const all = replyRecipients(original, own, true);
  assert.deepEqual(
    all.to.map((a) => a.address),
    ["carol@example.org"],
  );
  assert.deepEqual(
    all.cc.map((a) => a.address),
    ["dave@example.org", "erin@example.org"],
  );
  const withReplyTo = replyRecipients(
    { ...original, replyTo: [{ name: "", address: "list@example.org" }] },
    own,
    false,
  );
  assert.deepEqual(
    withReplyTo.to.map((a) => a.address),
    ["list@example.org"],
  );
  // Replying to one's own sent message goes to its recipients.
  const mine = replyRecipients(
    { ...original, from: { name: "Ann", address: "ann@mail.test" } },
    own,
    false,
  );
  assert.deepEqual(
    mine.to.map((a) => a.address),
    ["dave@example.org"],
  );
});

test("replying to one's own message addresses its recipients, never only oneself or nobody", () => {
  const own = ["ann@mail.test", "team@mail.test"];
  const addresses = (r: { to: { address: string }[]; cc: { address: string }[] }) => ({
    to: r.to.map((a) => a.address),
    cc: r.cc.map((a) => a.address),
  });
  const mine = (from: string, to: string[], cc: string[] = []): OriginalMessage => ({
    ...original,
    from: { name: "Ann", address: from },
    replyTo: [],
    to: to.map((address) => ({ name: "", address })),
    cc: cc.map((address) => ({ name: "", address })),
  });
  // From Sent: To of the original; Reply all also its Cc; the user's own
  // addresses (account, an owned alias, a subaddress) left out.
  const sent = mine(
    "ann@mail.test",
    ["bob@example.org", "ann+x@mail.test"],
    ["carol@example.org", "team@mail.test"],
  );
  assert.deepEqual(addresses(replyRecipients(sent, own, false)), {
    to: ["bob@example.org"],
    cc: [],
  });
  assert.deepEqual(addresses(replyRecipients(sent, own, true)), {
    to: ["bob@example.org"],
    cc: ["carol@example.org"],
  });
  // Sent as an owned alias (or a subaddress), a Reply-To of one's own ignored.
  const asAlias = {
    ...mine("team+news@mail.test", ["dave@example.org"]),
    replyTo: [{ name: "", address: "team@mail.test" }],
  };
  assert.deepEqual(addresses(replyRecipients(asAlias, own, false)).to, ["dave@example.org"]);
  // Sent to Cc only: those people are the To.
  const ccOnly = mine("ann@mail.test", [], ["carol@example.org", "erin@example.org"]);
  assert.deepEqual(addresses(replyRecipients(ccOnly, own, false)), {
    to: ["carol@example.org", "erin@example.org"],
    cc: [],
  });
  // A note to oneself, or to an alias one owns: the reply goes there again.
  assert.deepEqual(
    addresses(replyRecipients(mine("ann@mail.test", ["ann@mail.test"]), own, true)),
    { to: ["ann@mail.test"], cc: [] },
  );
  assert.deepEqual(
    addresses(
      replyRecipients(mine("ann@mail.test", ["team@mail.test"], ["ann@mail.test"]), own, true),
    ),
    { to: ["team@mail.test"], cc: [] },
  );
  // Nothing but the From: back to it.
  assert.deepEqual(addresses(replyRecipients(mine("ann@mail.test", []), own, false)).to, [
    "ann@mail.test",
  ]);
});

test("subjects do not pile up; threading ids follow RFC 5322", () => {
  assert.equal(replySubject("Plans"), "Re: Plans");
  assert.equal(replySubject("Re: Plans"), "Re: Plans");
  assert.equal(replySubject("AW: Plans"), "AW: Plans");
  assert.equal(replySubject("Fwd: Plans"), "Re: Fwd: Plans");
  assert.equal(forwardSubject("Plans"), "Fwd: Plans");
  assert.equal(forwardSubject("Fwd: Plans"), "Fwd: Plans");
  assert.equal(forwardSubject("FW: Plans"), "FW: Plans");
  assert.deepEqual(replyThreading(original), {
    inReplyTo: "<c2@example.org>",
    references: ["<c1@example.org>", "<c2@example.org>"],
  });
});
