// Authentication-Results (RFC 8601) with SPF, DKIM and DMARC verdicts from
// mailauth, through an injected DNS table, and what happens without DNS.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import { dkimSign } from "mailauth";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { makeAccount } = await import("../../helpers/accounts.ts");
const { startTestGateway, sendOnce, simpleMessage } = await import("../../helpers/smtp-harness.ts");
const { createStaticResolver, createUnavailableResolver } =
  await import("../../../lib/dns/resolver.ts");
const { db } = await import("../../../lib/db.ts");

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const dkimRecord = `v=DKIM1; k=rsa; p=${publicKey.export({ type: "spki", format: "der" }).toString("base64")}`;

const dns = createStaticResolver({
  // The client connects from 127.0.0.1: good.example passes SPF, bad.example fails it.
  "good.example": { TXT: [["v=spf1 ip4:127.0.0.1 -all"]] },
  "_dmarc.good.example": { TXT: [["v=DMARC1; p=reject"]] },
  "sel._domainkey.good.example": { TXT: [[dkimRecord]] },
  "bad.example": { TXT: [["v=spf1 ip4:192.0.2.1 -all"]] },
  // p=none: recorded, not enforced (enforcing is spam-authentication.test.ts's).
  "_dmarc.bad.example": { TXT: [["v=DMARC1; p=none"]] },
});
const withDns = await startTestGateway({ resolver: dns });
const withoutDns = await startTestGateway({ resolver: createUnavailableResolver() });
await makeAccount("bob");

async function deliver(port: number, from: string, message: string | Buffer, subject: string) {
  const result = await sendOnce(port, { from, to: ["bob@mail.test"] }, message);
  assert.equal(result.final?.code, 250, result.final?.text);
  const stored = await db.message.findFirstOrThrow({
    where: { subject },
    include: { source: true },
  });
  const raw = Buffer.from(stored.source.raw).toString("utf8");
  const results = /^Authentication-Results: ([^]*?)\r\n(?=\S)/m.exec(raw)?.[1] ?? "";
  return { raw, results: results.replace(/\r\n\t/g, " ") };
}

async function signed(fields: Parameters<typeof simpleMessage>[0]): Promise<string> {
  const message = simpleMessage(fields, "Signed body.\r\n");
  const { signatures } = await dkimSign(message, {
    signingDomain: "good.example",
    selector: "sel",
    privateKey: "",
    signatureData: [
      {
        signingDomain: "good.example",
        selector: "sel",
        privateKey: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
      },
    ],
  });
  assert.match(signatures, /^DKIM-Signature: /);
  return signatures + message;
}

test("SPF pass, DKIM pass and DMARC pass for an aligned, signed message", async () => {
  const message = await signed({ from: "news@good.example", subject: "all pass" });
  const { raw, results } = await deliver(
    withDns.smtpPort,
    "bounce@good.example",
    message,
    "all pass",
  );
  assert.match(results, /^mx\.mail\.test; /);
  assert.match(results, /dkim=pass .*header\.d=good\.example/);
  assert.match(results, /spf=pass .*smtp\.mailfrom=bounce@good\.example/);
  assert.match(results, /dmarc=pass .*header\.from=good\.example/);
  // Trace fields are on top, in order, then the verdict (lib/spam/verdict.ts),
  // and the message follows untouched.
  assert.match(
    raw,
    /^Return-Path: <bounce@good\.example>\r\nAuthentication-Results: [^]*?\r\nReceived: from client\.example\.org \(\[127\.0\.0\.1\]\)\r\n\tby mx\.mail\.test with ESMTP id [0-9a-f]{16}\r\n\tfor <bob@mail\.test>; \w{3}, \d+ \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\nX-Spam-Status: No, action=inbox tests=none\r\nDKIM-Signature: /,
  );
  assert.ok(raw.endsWith(message));
});

test("a broken signature and an unauthorised IP fail, and DMARC fails with them", async () => {
  const message = (await signed({ from: "news@bad.example", subject: "tampered" })).replace(
    "Signed body.",
    "Changed body.",
  );
  const { results } = await deliver(withDns.smtpPort, "bounce@bad.example", message, "tampered");
  assert.match(results, /dkim=(fail|neutral|policy)/);
  assert.match(results, /spf=fail /);
  assert.match(results, /dmarc=fail /);
});

test("an unsigned message: dkim=none, and DMARC none without a record", async () => {
  const { results } = await deliver(
    withDns.smtpPort,
    "someone@unlisted.example",
    simpleMessage({ from: "someone@unlisted.example", subject: "unsigned" }),
    "unsigned",
  );
  assert.match(results, /dkim=none \(message not signed\)/);
  assert.match(results, /spf=none /);
  assert.match(results, /dmarc=none /);
});

test("the null reverse-path is checked as postmaster@HELO (RFC 7208 §2.4)", async () => {
  const { raw, results } = await deliver(
    withDns.smtpPort,
    "",
    simpleMessage({ subject: "bounce" }),
    "bounce",
  );
  assert.match(raw, /^Return-Path: <>\r\n/);
  assert.match(results, /smtp\.mailfrom=postmaster@client\.example\.org/);
});

test("without DNS the checks come out temperror, and the mail is still accepted", async () => {
  const message = await signed({ from: "news@good.example", subject: "no dns" });
  const { results } = await deliver(withoutDns.smtpPort, "bounce@good.example", message, "no dns");
  assert.match(results, /dkim=(temperror|neutral)/);
  assert.match(results, /spf=temperror/);
  assert.match(results, /dmarc=temperror/);
});
