// The MX enforces authentication before its 250 (lib/spam/verdict.ts): DMARC
// p=reject failing is refused with 550 5.7.1, p=quarantine goes to Junk, SPF
// -all failing without aligned DKIM goes to Junk (or is refused, an admin
// setting), and mail from outside claiming a hosted domain is refused unless
// it carries that domain's DKIM signature or a trusted forwarder's ARC seal.
// Real clients (swaks, smtplib, a raw socket) against the gateway, which asks
// a real DNS server (dnsmasq) the test starts.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import { authenticate, dkimSign } from "mailauth";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { makeAccount } = await import("../../helpers/accounts.ts");
const { startTestGateway, sendOnce, simpleMessage } = await import("../../helpers/smtp-harness.ts");
const { startDnsServer } = await import("../../helpers/dns-server.ts");
const { swaks, python } = await import("../../helpers/smtp-clients.ts");
const { createStaticResolver } = await import("../../../lib/dns/resolver.ts");
const { ensureHostedDomain } = await import("../../../lib/accounts/domains.ts");
const { dkimDnsRecord, ensureDkimKey } = await import("../../../lib/dkim/keys.ts");
const { signWithDomainKey } = await import("../../../lib/dkim/sign.ts");
const { updateSpamSettings, resetSpamSettings } = await import("../../../lib/spam/settings.ts");
const { db } = await import("../../../lib/db.ts");

const rsa = () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    pem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    record: `v=DKIM1; k=rsa; p=${publicKey.export({ type: "spki", format: "der" }).toString("base64")}`,
  };
};
const senderKey = rsa();
const forwarderKey = rsa();

await ensureHostedDomain("mail.test");
const ours = dkimDnsRecord((await ensureDkimKey("mail.test"))!);
// The test client connects from 127.0.0.1; the senders' own servers are 192.0.2.1.
const dns = await startDnsServer({
  txt: {
    "bank.example": ["v=spf1 ip4:192.0.2.1 -all"],
    "_dmarc.bank.example": ["v=DMARC1; p=reject"],
    "shop.example": ["v=spf1 ip4:192.0.2.1 -all"],
    "_dmarc.shop.example": ["v=DMARC1; p=quarantine"],
    "sampled.example": ["v=spf1 ip4:192.0.2.1 -all"],
    "_dmarc.sampled.example": ["v=DMARC1; p=reject; pct=50"],
    "nodmarc.example": ["v=spf1 ip4:192.0.2.1 -all"],
    "sel._domainkey.nodmarc.example": [senderKey.record],
    "lists.example": ["v=spf1 ip4:127.0.0.1 -all"],
    "arc._domainkey.lists.example": [forwarderKey.record],
    "fine.example": ["v=spf1 ip4:127.0.0.1 -all"],
    "_dmarc.fine.example": ["v=DMARC1; p=reject"],
    [ours.name]: [ours.value],
  },
});
const gateway = await startTestGateway({ resolver: dns.resolver, relay: false });
const bob = await makeAccount("bob");

async function latestCopy(subject: string) {
  return db.message.findFirst({
    where: { accountId: bob.id, subject },
    include: { mailbox: true, source: { select: { raw: true } } },
  });
}

async function deliver(mailFrom: string, message: string | Buffer) {
  return sendOnce(gateway.smtpPort, { from: mailFrom, to: [bob.address] }, message);
}

/** Sends a plain message with From = MAIL FROM; asserts the 250 and returns the stored copy. */
async function accepted(mailFrom: string, subject: string) {
  const result = await deliver(mailFrom, simpleMessage({ from: mailFrom, subject }));
  assert.equal(result.final?.code, 250, result.final?.text);
  return (await latestCopy(subject))!;
}

async function signedBy(domain: string, key: string, selector: string, message: string) {
  const { signatures } = await dkimSign(message, {
    signingDomain: domain,
    selector,
    privateKey: "",
    signatureData: [{ signingDomain: domain, selector, privateKey: key }],
  });
  assert.match(signatures, /^DKIM-Signature: /);
  return signatures + message;
}

test("DMARC p=reject failing: swaks sees 550 5.7.1 with the reason, nothing is stored", async () => {
  const run = await swaks([
    "--server",
    `127.0.0.1:${gateway.smtpPort}`,
    "--from",
    "alerts@bank.example",
    "--to",
    bob.address,
    "--header",
    "From: Bank <alerts@bank.example>",
    "--header",
    "Subject: Your account is locked",
    "--body",
    "Click here.",
  ]);
  assert.match(run.output, /<\*\* 550 5\.7\.1 Failed DMARC for bank\.example/, run.output);
  assert.equal(await latestCopy("Your account is locked"), null);
});

test("DMARC p=quarantine failing goes to Junk with the reason kept on the copy", async () => {
  const copy = await accepted("news@shop.example", "Quarantined");
  assert.equal(copy.mailbox.specialUse, "JUNK");
  const verdict = copy.spamVerdict as { action: string; reasons: { code: string; text: string }[] };
  assert.equal(verdict.action, "junk");
  assert.deepEqual(
    verdict.reasons.map((r) => [r.code, r.text]),
    [
      ["dmarc_quarantine", "Failed DMARC for shop.example"],
      ["spf_fail", "Failed SPF for shop.example: not sent by a server it allows"],
    ],
  );
  const raw = Buffer.from(copy.source.raw).toString("latin1");
  assert.match(
    raw,
    /\r\nX-Spam-Status: Yes, action=junk tests=DMARC_QUARANTINE,SPF_FAIL\r\nX-Spam-Reasons: Failed DMARC for shop\.example;\r\n\tFailed SPF/,
  );
  assert.match(
    raw,
    /^Return-Path: <news@shop\.example>\r\nAuthentication-Results: mx\.mail\.test;[^]*dmarc=fail/,
  );
});

test("DMARC with pct below 100 applies the next weaker policy (RFC 7489 §6.6.4)", async () => {
  const copy = await accepted("news@sampled.example", "Sampled");
  assert.equal(copy.mailbox.specialUse, "JUNK");
});

test("SPF -all failing: Junk without aligned DKIM, Inbox with it, refused when the admin says so", async () => {
  const plain = await accepted("info@nodmarc.example", "SPF only");
  assert.equal(plain.mailbox.specialUse, "JUNK");

  const signed = await signedBy(
    "nodmarc.example",
    senderKey.pem,
    "sel",
    simpleMessage({ from: "info@nodmarc.example", subject: "SPF fail but signed" }),
  );
  assert.equal((await deliver("info@nodmarc.example", signed)).final?.code, 250);
  const kept = (await latestCopy("SPF fail but signed"))!;
  assert.equal(kept.mailbox.specialUse, "INBOX");
  assert.match(
    Buffer.from(kept.source.raw).toString("latin1"),
    /\r\nReceived: [^]*?\r\nX-Spam-Status: No, action=inbox tests=none\r\n/,
  );

  await updateSpamSettings({ spfFailAction: "reject" });
  try {
    const refused = await deliver(
      "info@nodmarc.example",
      simpleMessage({ from: "info@nodmarc.example", subject: "SPF refused" }),
    );
    assert.equal(refused.final?.code, 550);
    assert.match(refused.final!.text, /^5\.7\.1 Failed SPF for nodmarc\.example/);
  } finally {
    await resetSpamSettings();
  }
});

test("authenticated mail from a domain with p=reject is delivered to the Inbox", async () => {
  const copy = await accepted("news@fine.example", "All fine");
  assert.equal(copy.mailbox.specialUse, "INBOX");
  assert.deepEqual(copy.spamVerdict, { action: "inbox", score: null, reasons: [] });
});

test("a hosted sender claimed from outside is refused (smtplib), unless our key signed it", async () => {
  const script = `
import json, smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
s.ehlo("client.example.org")
msg = "From: IT <it@mail.test>\\r\\nTo: bob@mail.test\\r\\nSubject: Reset your password\\r\\n\\r\\nHi.\\r\\n"
try:
    s.sendmail(sys.argv[2], ["bob@mail.test"], msg)
    print(json.dumps({"code": 250}))
except smtplib.SMTPDataError as e:
    print(json.dumps({"code": e.smtp_code, "text": e.smtp_error.decode()}))
s.quit()
`;
  for (const envelope of ["it@mail.test", "stranger@elsewhere.example"]) {
    const reply = await python<{ code: number; text?: string }>(script, [
      String(gateway.smtpPort),
      envelope,
    ]);
    assert.equal(reply.code, 550, envelope);
    assert.match(reply.text!, /^5\.7\.1 Claims to be from it@mail\.test but came from outside/);
  }
  assert.equal(await latestCopy("Reset your password"), null);

  // A list that kept our signature: mail.test's own key vouches for it.
  const signed = await signWithDomainKey(
    Buffer.from(simpleMessage({ from: "Bob <bob@mail.test>", subject: "Back via a list" })),
    "mail.test",
  );
  assert.equal((await deliver("list-bounces@lists.example", signed)).final?.code, 250);
  assert.equal((await latestCopy("Back via a list"))!.mailbox.specialUse, "INBOX");

  // The admin may file such claims as Junk instead.
  await updateSpamSettings({ hostedSpoofAction: "junk" });
  try {
    const junk = await deliver(
      "stranger@elsewhere.example",
      simpleMessage({ from: "it@mail.test", subject: "Spoof to Junk" }),
    );
    assert.equal(junk.final?.code, 250, junk.final?.text);
    const copy = (await latestCopy("Spoof to Junk"))!;
    assert.equal(copy.mailbox.specialUse, "JUNK");
    assert.equal(copy.claimedLocalSender, "it@mail.test");
  } finally {
    await resetSpamSettings();
  }
});

/**
 * The message as a forwarder (lists.example) passes it on: it checked it as
 * arriving from the sender's own server (192.0.2.1) and sealed that result
 * (RFC 8617 §5.1), then sends it from its own address, 127.0.0.1.
 */
async function forwarded(from: string, subject: string): Promise<string> {
  const message = simpleMessage({ from, subject, extraHeaders: ["List-Id: <team.lists.example>"] });
  const result = await authenticate(message, {
    ip: "192.0.2.1",
    helo: "mail.bank.example",
    sender: from,
    mta: "mx.lists.example",
    resolver: async (name: string, type: string) => {
      const table = createStaticResolver({
        "bank.example": { TXT: [["v=spf1 ip4:192.0.2.1 -all"]] },
        "_dmarc.bank.example": { TXT: [["v=DMARC1; p=reject"]] },
        "mail.test": { TXT: [["v=spf1 ip4:192.0.2.1 -all"]] },
      });
      return (await table.resolve(name, type as "TXT")) as string[][];
    },
    seal: { signingDomain: "lists.example", selector: "arc", privateKey: forwarderKey.pem },
  });
  assert.match(result.headers, /ARC-Seal: /);
  return result.headers + message;
}

test("a trusted forwarder's ARC seal stands in for the DMARC and hosted-domain checks", async () => {
  const bank = await forwarded("alerts@bank.example", "Forwarded bank mail");
  const spoofish = await forwarded("Bob <bob@mail.test>", "Forwarded own mail");
  for (const message of [bank, spoofish]) {
    const refused = await deliver("team-bounces@lists.example", message);
    assert.equal(refused.final?.code, 550, "not trusted yet");
  }
  await updateSpamSettings({ trustedForwarders: ["lists.example"] });
  try {
    for (const [message, subject] of [
      [bank, "Forwarded bank mail"],
      [spoofish, "Forwarded own mail"],
    ] as const) {
      const result = await deliver("team-bounces@lists.example", message);
      assert.equal(result.final?.code, 250, result.final?.text);
      const copy = (await latestCopy(subject))!;
      assert.equal(copy.mailbox.specialUse, "INBOX");
      assert.deepEqual(
        (copy.spamVerdict as { reasons: { code: string }[] }).reasons.map((r) => r.code),
        ["arc_trusted"],
      );
    }
  } finally {
    await resetSpamSettings();
  }
});

test("the admin's sender domain lists: blocked is refused, allowed only counts when authenticated", async () => {
  await updateSpamSettings({
    blockedSenderDomains: ["fine.example"],
    allowedSenderDomains: ["shop.example"],
  });
  try {
    const blocked = await deliver(
      "news@fine.example",
      simpleMessage({ from: "news@fine.example", subject: "Blocked sender" }),
    );
    assert.equal(blocked.final?.code, 550);
    assert.match(blocked.final!.text, /^5\.7\.1 Mail from fine\.example is blocked here/);
    // shop.example fails SPF from here: a forger of an allowed domain gains nothing.
    const forged = await accepted("news@shop.example", "Allowed but forged");
    assert.equal(forged.mailbox.specialUse, "JUNK");
  } finally {
    await resetSpamSettings();
  }
});

test("X-Spam-* fields and an Authentication-Results under our name from outside are removed", async () => {
  const message = simpleMessage({ from: "news@fine.example", subject: "Claims to be clean" });
  const forged =
    `X-Spam-Status: No, score=-100\r\nX-Spam-Flag: NO\r\n` +
    `Authentication-Results: mx.mail.test; dmarc=pass header.from=fine.example\r\n` +
    `Authentication-Results: other.example; spf=pass\r\n` +
    message;
  const result = await deliver("news@fine.example", forged);
  assert.equal(result.final?.code, 250, result.final?.text);
  const raw = Buffer.from((await latestCopy("Claims to be clean"))!.source!.raw).toString("latin1");
  assert.doesNotMatch(raw, /score=-100|X-Spam-Flag/);
  assert.match(raw, /Authentication-Results: other\.example; spf=pass/);
  assert.equal(raw.match(/Authentication-Results: mx\.mail\.test/g)?.length, 1);
});

test("with the DNS server gone the checks are temperror: delivered, nothing refused", async () => {
  await dns.stop();
  const copy = await accepted("alerts@bank.example", "No DNS");
  assert.equal(copy.mailbox.specialUse, "INBOX");
  assert.match(Buffer.from(copy.source.raw).toString("latin1"), /dmarc=temperror/);
});
