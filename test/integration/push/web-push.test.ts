// Web Push against a local push service the test starts (RFC 8030): new mail
// in an announced folder reaches every subscribed browser of the account as
// a POST signed with the service's VAPID key (RFC 8292: the JWT verifies
// with the key in the header, which is the one kept in the database for all
// instances) and an aes128gcm payload (RFC 8291) that decrypts with the
// browser's keys; folders not announced push nothing; a subscription the
// push service calls gone (410) is dropped.
import assert from "node:assert/strict";
import { createECDH, createPublicKey, randomBytes, verify } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import ece from "http_ece";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { deliverMail } from "../../helpers/mail.ts";

await useTestDatabase();
process.env.OUTBOUND_HTTP_ALLOW_PRIVATE = "true";
const { db } = await import("../../../lib/db.ts");
const { savePushSubscription } = await import("../../../lib/push/subscriptions.ts");
const { pushesSettled } = await import("../../../lib/push/announce.ts");
const { setNotificationFolders } = await import("../../../lib/push/notification-settings.ts");

type Received = { url: string; headers: http.IncomingHttpHeaders; body: Buffer };
const received: Received[] = [];
let status = 201;
const pushService = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    received.push({ url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
    res.writeHead(status).end();
  });
});
await new Promise<void>((r) => pushService.listen(0, "127.0.0.1", r));
after(() => new Promise<void>((r) => pushService.close(() => r())));
const origin = `http://127.0.0.1:${(pushService.address() as AddressInfo).port}`;

/** A browser's side of a subscription: its ECDH key pair and auth secret. */
function browserKeys() {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    ecdh,
    auth,
    keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: auth.toString("base64url") },
  };
}

function verifyVapid(header: string | undefined, audience: string) {
  const m = /^vapid t=([^,]+), k=(.+)$/.exec(header ?? "");
  assert.ok(m, `Authorization: ${header}`);
  const [jwt, k] = [m[1]!, m[2]!];
  const [h, p, sig] = jwt.split(".");
  const point = Buffer.from(k, "base64url");
  assert.equal(point.length, 65);
  const key = createPublicKey({
    key: {
      kty: "EC",
      crv: "P-256",
      x: point.subarray(1, 33).toString("base64url"),
      y: point.subarray(33).toString("base64url"),
    },
    format: "jwk",
  });
  assert.ok(
    verify(
      "sha256",
      Buffer.from(`${h}.${p}`),
      { key, dsaEncoding: "ieee-p1363" },
      Buffer.from(sig!, "base64url"),
    ),
    "the VAPID JWT verifies with k",
  );
  assert.deepEqual(JSON.parse(Buffer.from(h!, "base64url").toString()), {
    typ: "JWT",
    alg: "ES256",
  });
  const claims = JSON.parse(Buffer.from(p!, "base64url").toString()) as Record<string, unknown>;
  assert.equal(claims.aud, audience);
  assert.equal(claims.sub, "mailto:postmaster@mail.test");
  const exp = Number(claims.exp);
  assert.ok(exp > Date.now() / 1000 && exp <= Date.now() / 1000 + 24 * 3600, "exp within 24 h");
  return k;
}

test("new Inbox mail is pushed, VAPID-signed and encrypted for the browser", async () => {
  const account = await makeAccount("pushed");
  const phone = browserKeys();
  const laptop = browserKeys();
  await savePushSubscription(account.id, { endpoint: `${origin}/push/phone`, keys: phone.keys });
  await savePushSubscription(account.id, { endpoint: `${origin}/push/laptop`, keys: laptop.keys });
  await assert.rejects(
    savePushSubscription(account.id, { endpoint: "javascript:x", keys: phone.keys }),
  );

  const copy = await deliverMail(account.id, {
    from: "Alice <alice@example.org>",
    to: account.address,
    subject: "Lunch?",
  });
  await pushesSettled();
  assert.deepEqual(received.map((r) => r.url).sort(), ["/push/laptop", "/push/phone"]);
  const stored = await db.setting.findUniqueOrThrow({ where: { key: "webPush.vapidKeys" } });
  for (const r of received) {
    const k = verifyVapid(r.headers.authorization, origin);
    assert.equal(k, (stored.value as { publicKey: string }).publicKey, "the shared key signs");
    assert.equal(r.headers["content-encoding"], "aes128gcm");
    assert.equal(r.headers.ttl, String(24 * 3600));
    const keys = r.url.endsWith("phone") ? phone : laptop;
    const plain = ece.decrypt(r.body, {
      version: "aes128gcm",
      privateKey: keys.ecdh,
      authSecret: keys.auth.toString("base64url"),
    });
    assert.deepEqual(JSON.parse(plain.toString()), {
      title: "Alice",
      body: "Lunch?",
      url: `/mail?folder=${copy.mailboxId}&m=${copy.messageId}`,
      tag: copy.messageId,
    });
  }
});

test("only announced folders push; a subscription gone at the push service is dropped", async () => {
  const account = await makeAccount("push-folders");
  const browser = browserKeys();
  await savePushSubscription(account.id, { endpoint: `${origin}/push/only`, keys: browser.keys });
  const archive = await db.mailbox.findFirstOrThrow({
    where: { accountId: account.id, specialUse: "ARCHIVE" },
  });
  // Announce the Archive only: Inbox mail is not pushed.
  await setNotificationFolders(account.id, [archive.id]);
  received.length = 0;
  await deliverMail(account.id, { to: account.address, subject: "Quiet" });
  await pushesSettled();
  assert.equal(received.length, 0);

  await setNotificationFolders(account.id, []);
  const inbox = await db.mailbox.findFirstOrThrow({
    where: { accountId: account.id, specialUse: "INBOX" },
  });
  await setNotificationFolders(account.id, [inbox.id]);
  status = 410;
  await deliverMail(account.id, { to: account.address, subject: "Loud" });
  await pushesSettled();
  status = 201;
  assert.equal(received.length, 1);
  assert.equal(await db.pushSubscription.count({ where: { accountId: account.id } }), 0);
});

test("a message back from snooze is pushed as new mail is", async () => {
  const { snoozeMessages, wakeDueSnoozes } = await import("../../../lib/store/snooze.ts");
  const account = await makeAccount("push-snooze");
  const browser = browserKeys();
  const copy = await deliverMail(account.id, {
    from: "Alice <alice@example.org>",
    to: account.address,
    subject: "Remind me",
  });
  await pushesSettled();
  await savePushSubscription(account.id, { endpoint: `${origin}/push/snooze`, keys: browser.keys });
  const until = new Date(Date.now() + 60_000);
  await snoozeMessages(account.id, [copy.messageId], until);
  received.length = 0;
  assert.equal(await wakeDueSnoozes(new Date(until.getTime() + 1000)), 1);
  await pushesSettled();
  assert.equal(received.length, 1);
  const plain = ece.decrypt(received[0]!.body, {
    version: "aes128gcm",
    privateKey: browser.ecdh,
    authSecret: browser.auth.toString("base64url"),
  });
  const inbox = await db.mailbox.findFirstOrThrow({
    where: { accountId: account.id, specialUse: "INBOX" },
  });
  assert.deepEqual(JSON.parse(plain.toString()), {
    title: "Alice",
    body: "Remind me",
    url: `/mail?folder=${inbox.id}&m=${copy.messageId}`,
    tag: copy.messageId,
  });
});
