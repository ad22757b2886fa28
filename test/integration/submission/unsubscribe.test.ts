// One-click unsubscribe against a local HTTP server the test starts: the
// server (not a browser) POSTs RFC 8058's body to the list's URL; private
// and loopback addresses are refused unless the test-only setting allows
// them; a mailto: list gets a message through submitMessage (Sent copy,
// delivered to the hosted list address).
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { deliverRaw } from "../../helpers/mail.ts";
import { assertUserError } from "../../helpers/user-error.ts";

await useTestDatabase();
process.env.OUTBOUND_HTTP_ALLOW_PRIVATE = "true";
const { unsubscribe, getUnsubscribeOptions } =
  await import("../../../lib/unsubscribe/unsubscribe.ts");
const { postSafely } = await import("../../../lib/http/safe-post.ts");
const { db } = await import("../../../lib/db.ts");

type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string };
const seen: Seen[] = [];
let answer = 200;
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString()));
  req.on("end", () => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    res.writeHead(answer).end("ok");
  });
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
after(() => new Promise<void>((r) => server.close(() => r())));
const port = (server.address() as AddressInfo).port;

function listMail(to: string, headers: string[]): Buffer {
  return Buffer.from(
    [
      "From: News <news@lists.example>",
      `To: ${to}`,
      "Subject: This week's news",
      "Message-ID: <news-1@lists.example>",
      "Date: Tue, 1 Dec 2026 10:00:00 +0000",
      ...headers,
      "",
      "News.",
      "",
    ].join("\r\n"),
  );
}

test("one-click: our server POSTs List-Unsubscribe=One-Click to the list's URL", async () => {
  const account = await makeAccount("reader");
  const [copy] = await deliverRaw(
    [account.id],
    listMail(account.address, [
      `List-Unsubscribe: <mailto:leave@lists.example>, <http://127.0.0.1:${port}/unsub/42?u=reader>`,
      "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
    ]),
  );
  const options = await getUnsubscribeOptions(account.id, copy!.messageId);
  assert.equal(options.oneClick, `http://127.0.0.1:${port}/unsub/42?u=reader`);
  assert.equal(
    await unsubscribe(account.id, copy!.messageId, { clientIp: "127.0.0.1" }),
    "one-click",
  );
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.method, "POST");
  assert.equal(seen[0]!.url, "/unsub/42?u=reader");
  assert.equal(seen[0]!.body, "List-Unsubscribe=One-Click");
  assert.equal(seen[0]!.headers["content-type"], "application/x-www-form-urlencoded");
  assert.equal(seen[0]!.headers.cookie, undefined);
  // No mail went to the mailto: address: one-click is preferred.
  assert.equal(await db.outboundRecipient.count(), 0);

  // The list's server refusing is said, not swallowed.
  answer = 500;
  await assertUserError(
    unsubscribe(account.id, copy!.messageId, { clientIp: "127.0.0.1" }),
    "invalid_input",
    { message: /HTTP 500/ },
  );
  answer = 200;

  // Another account cannot use this message.
  const other = await makeAccount("not-reader");
  await assertUserError(
    unsubscribe(other.id, copy!.messageId, { clientIp: "127.0.0.1" }),
    "not_found",
  );
});

test("without the test setting, loopback and private addresses are refused before connecting", async () => {
  const before = seen.length;
  for (const url of [
    `http://127.0.0.1:${port}/x`,
    `http://localhost:${port}/x`,
    `http://[::1]:${port}/x`,
    "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.1/x",
  ]) {
    await assertUserError(
      postSafely(url, { headers: {}, body: "x", allowPrivate: false }),
      "forbidden",
      {},
    );
  }
  await assertUserError(postSafely("file:///etc/passwd", { headers: {}, body: "x" }), "forbidden");
  assert.equal(seen.length, before, "nothing reached the server");
});

test("mailto: a message from the subscribed address goes through submission", async () => {
  const reader = await makeAccount("mailto-reader");
  const list = await makeAccount("leave-list");
  const [copy] = await deliverRaw(
    [reader.id],
    listMail(reader.address, [
      `List-Unsubscribe: <mailto:${list.address}?subject=unsubscribe%20me&body=please>`,
    ]),
  );
  assert.equal(await unsubscribe(reader.id, copy!.messageId, { clientIp: "127.0.0.1" }), "mailto");
  const got = await db.message.findFirstOrThrow({
    where: { accountId: list.id, mailbox: { specialUse: "INBOX" } },
  });
  assert.equal(got.subject, "unsubscribe me");
  assert.equal(got.fromAddress, reader.address);
  const sent = await db.message.findFirstOrThrow({
    where: { accountId: reader.id, mailbox: { specialUse: "SENT" } },
  });
  assert.equal(sent.subject, "unsubscribe me");

  const [plain] = await deliverRaw([reader.id], listMail(reader.address, []));
  await assertUserError(
    unsubscribe(reader.id, plain!.messageId, { clientIp: "127.0.0.1" }),
    "invalid_input",
  );
});
