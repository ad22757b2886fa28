// Mail reaching the MX from outside that claims to be from a hosted domain
// (From, a From display name, Sender, MAIL FROM, a subdomain) without SPF or
// DKIM for it is told apart from a local user's mail by data on the stored
// copy (Message.claimedLocalSender) and by our Authentication-Results
// verdict, not only by a header; mail signed with the domain's own key is
// not. An Authentication-Results field arriving with our authserv-id is
// removed (RFC 8601 §5), also from a spooled message, and a header section
// too long to check is refused. A message with two From fields shows the
// same sender in the webmail's fields and in IMAP's ENVELOPE.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import {
  MX_HOSTNAME,
  sendOnce,
  simpleMessage,
  startTestGateway,
} from "../../helpers/smtp-harness.ts";
import { imapFlowClient } from "../../helpers/imapflow.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { parseConfig } = await import("../../../lib/config/index.ts");
const { ensureHostedDomain } = await import("../../../lib/accounts/domains.ts");
const { dkimDnsRecord, ensureDkimKey } = await import("../../../lib/dkim/keys.ts");
const { signWithDomainKey } = await import("../../../lib/dkim/sign.ts");
const { createStaticResolver } = await import("../../../lib/dns/resolver.ts");
const { SPOOL_MEMORY_BYTES } = await import("../../../lib/config/limits.ts");

// Such claims are refused by default (spam-authentication.test.ts); filed
// as Junk here, so that what is kept of them can be looked at.
const { updateSpamSettings } = await import("../../../lib/spam/settings.ts");
await updateSpamSettings({ hostedSpoofAction: "junk" });

await ensureHostedDomain("mail.test");
const record = dkimDnsRecord((await ensureDkimKey("mail.test"))!);
const gateway = await startTestGateway({
  relay: false,
  imapPort: 0,
  resolver: createStaticResolver({ [record.name]: { TXT: [[record.value]] } }),
  config: parseConfig({
    ...process.env,
    MAIL_DOMAIN: "mail.test",
    MAIL_HOSTNAME: MX_HOSTNAME,
    ALLOW_INSECURE_AUTH: "true",
  }),
});
const bob = await makeAccount("bob");

/** Sends over the MX port from outside; returns bob's stored copy with its bytes. */
async function receive(mailFrom: string, message: string | Buffer) {
  const result = await sendOnce(gateway.smtpPort, { from: mailFrom, to: [bob.address] }, message);
  assert.equal(result.final?.code, 250, result.final?.text);
  const copy = await db.message.findFirstOrThrow({
    where: { accountId: bob.id },
    orderBy: { receivedAt: "desc" },
    include: { source: { select: { raw: true } } },
  });
  const raw = Buffer.from(copy.source.raw).toString("latin1");
  const ours = raw.slice(0, raw.indexOf("\r\nReceived:"));
  return { copy, raw, verdict: ours.replace(/\r\n\t/g, " ") };
}

test("claims of a hosted sender from outside are marked on the copy and in our verdict", async () => {
  const cases: [string, string, string, RegExp][] = [
    [
      "stranger@evil.test",
      "Admin <admin@mail.test>",
      "admin@mail.test",
      /header\.from=admin@mail\.test/,
    ],
    // The display-name trick: the address is a stranger's, the name ours.
    [
      "stranger@evil.test",
      '"admin@mail.test" <x@evil.test>',
      "admin@mail.test",
      /header\.from=admin@mail\.test/,
    ],
    [
      "admin@mail.test",
      "Stranger <x@evil.test>",
      "admin@mail.test",
      /smtp\.mailfrom=admin@mail\.test/,
    ],
    [
      "stranger@evil.test",
      "IT <it@security.mail.test>",
      "it@security.mail.test",
      /header\.from=it@security\.mail\.test/,
    ],
  ];
  for (const [mailFrom, from, claimed, property] of cases) {
    const { copy, verdict } = await receive(mailFrom, simpleMessage({ from }));
    assert.equal(copy.claimedLocalSender, claimed, from);
    assert.match(verdict, /^Authentication-Results: mx\.mail\.test;/m);
    assert.match(verdict, /x-local-sender=fail \(from outside, claims a hosted domain/);
    assert.match(verdict, property);
  }
  // A Sender field counts too.
  const sender = await receive(
    "stranger@evil.test",
    simpleMessage({ from: "x@evil.test", extraHeaders: ["Sender: boss@mail.test"] }),
  );
  assert.equal(sender.copy.claimedLocalSender, "boss@mail.test");
  assert.match(sender.verdict, /header\.sender=boss@mail\.test/);
});

test("mail from elsewhere, and our own signed mail coming back, is not marked", async () => {
  const plain = await receive("alice@example.org", simpleMessage({ from: "alice@example.org" }));
  assert.equal(plain.copy.claimedLocalSender, null);
  assert.doesNotMatch(plain.verdict, /x-local-sender/);
  // Signed with mail.test's key (as submission signs), e.g. back through a list.
  const signed = await signWithDomainKey(
    Buffer.from(simpleMessage({ from: "Bob <bob@mail.test>", subject: "Via a list" })),
    "mail.test",
  );
  const back = await receive("list-bounces@lists.example.org", signed);
  assert.match(back.verdict, /dkim=pass/);
  assert.match(back.verdict, /x-local-sender=pass .*header\.from=bob@mail\.test/);
  assert.equal(back.copy.claimedLocalSender, null);
  // Our signature vouches for an envelope sender in another hosted domain
  // (submission checked it), not for a From in a domain it did not sign.
  await ensureHostedDomain("second.test");
  const forwarded = await receive("bob@second.test", signed);
  assert.equal(forwarded.copy.claimedLocalSender, null);
  const otherFrom = await signWithDomainKey(
    Buffer.from(simpleMessage({ from: "Boss <boss@second.test>", subject: "Not ours" })),
    "mail.test",
  );
  const notOurs = await receive("bob@mail.test", otherFrom);
  assert.equal(notOurs.copy.claimedLocalSender, "boss@second.test");
});

test("an Authentication-Results field with our authserv-id is removed; others are kept", async () => {
  const forged = [
    "Authentication-Results: mx.mail.test; dkim=pass header.d=mail.test; dmarc=pass",
    "Authentication-Results: (trust me) MX.Mail.Test.;\r\n\tspf=pass smtp.mailfrom=admin@mail.test",
    'Authentication-Results: "mx.mail.test" 1; x-local-sender=pass',
    "Authentication-Results:\r\n mx.mail.test; auth=pass",
  ];
  const theirs = "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=x@example.org";
  const message = simpleMessage({
    from: "Admin <admin@mail.test>",
    extraHeaders: [...forged, theirs],
  });
  const { raw, copy } = await receive("stranger@evil.test", message);
  const fields = raw
    .slice(0, raw.indexOf("\r\n\r\n"))
    .replace(/\r\n[ \t]/g, " ")
    .split("\r\n");
  const results = fields.filter((f) => /^authentication-results:/i.test(f));
  assert.equal(results.length, 2, results.join("\n"));
  assert.match(results[0]!, /^Authentication-Results: mx\.mail\.test; dkim=none/, "ours, on top");
  assert.equal(results[1], theirs);
  assert.ok(raw.endsWith(message.slice(message.indexOf("\r\n\r\n"))), "the body is untouched");
  assert.equal(copy.claimedLocalSender, "admin@mail.test");

  // The same for a message large enough to be spooled to a file.
  const body = `${"A long line of text for the spool file.\r\n".repeat(Math.ceil((SPOOL_MEMORY_BYTES * 2) / 40))}`;
  const big = simpleMessage({ from: "Admin <admin@mail.test>", extraHeaders: [forged[0]!] }, body);
  const spooled = await receive("stranger@evil.test", big);
  assert.doesNotMatch(spooled.raw, /dmarc=pass/);
  assert.ok(spooled.raw.endsWith(body), "the spooled body is stored whole");
  assert.equal(spooled.copy.size, Buffer.byteLength(spooled.raw, "latin1"));
  assert.equal(spooled.copy.claimedLocalSender, "admin@mail.test");
});

test("a spooled message whose header goes on past 64 KiB is refused with 552 5.3.4", async () => {
  const filler = Array.from({ length: 1200 }, (_, i) => `X-Filler-${i}: ${"x".repeat(60)}`);
  const message = simpleMessage(
    { extraHeaders: [...filler, "Authentication-Results: mx.mail.test; dmarc=pass"] },
    "x\r\n".repeat(SPOOL_MEMORY_BYTES),
  );
  const result = await sendOnce(
    gateway.smtpPort,
    { from: "s@evil.test", to: [bob.address] },
    message,
  );
  assert.equal(result.final?.code, 552, result.final?.text);
  assert.match(result.final!.text, /^5\.3\.4 Message header section exceeds 64 KiB/);
});

test("two From fields: the webmail and IMAP ENVELOPE show the same one, and the claim is marked (in Junk)", async () => {
  const { copy } = await receive(
    "stranger@evil.test",
    simpleMessage({
      from: "Stranger <x@evil.test>",
      subject: "Two senders",
      extraHeaders: ["From: Admin <admin@mail.test>"],
    }),
  );
  const client = imapFlowClient(gateway.imapPort!, bob.address);
  await client.connect();
  try {
    await client.mailboxOpen("Junk");
    const fetched = await client.fetchOne(String(copy.uid), { envelope: true }, { uid: true });
    assert.ok(fetched && fetched.envelope);
    assert.deepEqual(
      fetched.envelope.from?.map((a) => a.address),
      [copy.fromAddress],
      "ENVELOPE and the webmail agree",
    );
    assert.equal(copy.fromAddress, "admin@mail.test", "the last copy, the one DKIM signs");
  } finally {
    await client.logout();
  }
  assert.equal(copy.claimedLocalSender, "admin@mail.test");
});
