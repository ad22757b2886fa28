import assert from "node:assert/strict";
import { test } from "node:test";
import { simpleParser } from "mailparser";
import { retryDelaySeconds } from "../../../lib/queue/backoff.ts";
import {
  composeDsn,
  enhancedStatusOf,
  headerBlockOf,
  subjectOf,
} from "../../../lib/mime/compose-dsn.ts";

/** The body of the MIME part with this content type (mailparser folds report parts into the text). */
function part(raw: Buffer, contentType: string): string {
  const text = raw.toString();
  const boundary = /boundary="([^"]+)"/.exec(text)![1]!;
  const found = text
    .split(`--${boundary}`)
    .find((p) => p.startsWith(`\r\nContent-Type: ${contentType}`));
  assert.ok(found, `has a ${contentType} part`);
  return found.slice(found.indexOf("\r\n\r\n") + 4);
}

test("retries back off from 5 minutes, doubling, capped at 4 hours", () => {
  const policy = { baseSeconds: 300, maxSeconds: 4 * 3600 };
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 50].map((n) => retryDelaySeconds(n, policy)),
    [300, 600, 1200, 2400, 4800, 9600, 14400, 14400],
  );
});

test("enhanced status codes come from the reply, else the fallback", () => {
  assert.equal(enhancedStatusOf("550 5.1.1 <x@y>: user unknown", "5.0.0"), "5.1.1");
  assert.equal(enhancedStatusOf("451 Try later", "4.0.0"), "4.0.0");
  assert.equal(enhancedStatusOf(null, "5.0.0"), "5.0.0");
});

test("a bounce is a well-formed RFC 3464 report carrying the original headers", async () => {
  const original = Buffer.from(
    "From: Alice <alice@mail.test>\r\nTo: bob@remote.test\r\nSubject: Quarterly plan\r\nMessage-ID: <q1@mail.test>\r\n\r\nBody text\r\n",
  );
  const headers = headerBlockOf(original);
  assert.equal(subjectOf(headers), "Quarterly plan");
  const { raw } = composeDsn({
    reportingHost: "mx.mail.test",
    to: "alice@mail.test",
    arrivalDate: new Date("2026-11-20T10:00:00Z"),
    originalHeaders: headers,
    originalSubject: subjectOf(headers),
    recipients: [
      {
        recipient: "bob@remote.test",
        action: "failed",
        status: "5.1.1",
        diagnostic: "550 5.1.1 <bob@remote.test>: Recipient address rejected\r\nInjected: yes",
        remoteMta: "mx.remote.test",
        lastAttemptAt: new Date("2026-11-20T10:00:05Z"),
        willRetryUntil: null,
      },
    ],
  });
  const text = raw.toString();
  assert.match(text, /^From: Mail Delivery System <MAILER-DAEMON@mx\.mail\.test>\r\n/);
  assert.match(text, /\r\nAuto-Submitted: auto-replied\r\n/);
  assert.match(text, /Content-Type: multipart\/report; report-type=delivery-status;/);
  assert.doesNotMatch(text, /\r\nInjected: yes/, "CR/LF in a reply cannot start a header");
  const parsed = await simpleParser(raw);
  assert.equal(parsed.subject, "Undelivered Mail Returned to Sender: Quarterly plan");
  const fields = part(raw, "message/delivery-status");
  assert.match(fields, /Reporting-MTA: dns; mx\.mail\.test/);
  assert.match(fields, /Final-Recipient: rfc822; bob@remote\.test/);
  assert.match(fields, /Action: failed/);
  assert.match(fields, /Status: 5\.1\.1/);
  assert.match(fields, /Diagnostic-Code: smtp; 550 5\.1\.1/);
  assert.match(
    part(raw, "text/rfc822-headers"),
    /^From: Alice <alice@mail\.test>\r\n(.|\r\n)*Message-ID: <q1@mail\.test>/,
  );
});

test("a delay warning says the system keeps trying", async () => {
  const { raw } = composeDsn({
    reportingHost: "mx.mail.test",
    to: "alice@mail.test",
    arrivalDate: new Date(),
    originalHeaders: Buffer.from("Subject: hi"),
    originalSubject: "hi",
    recipients: [
      {
        recipient: "bob@remote.test",
        action: "delayed",
        status: "4.4.1",
        diagnostic: "451 4.4.1 connection refused",
        remoteMta: null,
        lastAttemptAt: new Date(),
        willRetryUntil: new Date(Date.now() + 86_400_000),
      },
    ],
  });
  const parsed = await simpleParser(raw);
  assert.equal(parsed.subject, "Delivery Status Notification (Delay): hi");
  assert.match(parsed.text ?? "", /keeps trying/);
  assert.match(part(raw, "message/delivery-status"), /Action: delayed\r\nStatus: 4\.4\.1/);
  assert.match(part(raw, "message/delivery-status"), /Will-Retry-Until: /);
});
