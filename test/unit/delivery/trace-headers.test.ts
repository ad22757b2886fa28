import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addressLiteral,
  formatReceived,
  receivedProtocol,
  returnPathField,
} from "../../../lib/delivery/trace-headers.ts";

test("address literals follow RFC 5321 §4.1.3", () => {
  assert.equal(addressLiteral("192.0.2.1"), "[192.0.2.1]");
  assert.equal(addressLiteral("::ffff:192.0.2.1"), "[192.0.2.1]");
  assert.equal(addressLiteral("2001:db8::1"), "[IPv6:2001:db8::1]");
});

test("protocol names follow RFC 3848 and RFC 6531", () => {
  const base = { esmtp: true, tls: null, authenticated: false, smtpUtf8: false };
  assert.equal(receivedProtocol({ ...base, esmtp: false }), "SMTP");
  assert.equal(receivedProtocol(base), "ESMTP");
  assert.equal(receivedProtocol({ ...base, tls: { protocol: "TLSv1.3", cipher: "x" } }), "ESMTPS");
  assert.equal(
    receivedProtocol({ ...base, tls: { protocol: "TLSv1.3", cipher: "x" }, authenticated: true }),
    "ESMTPSA",
  );
  assert.equal(
    receivedProtocol({ ...base, smtpUtf8: true, tls: { protocol: "TLSv1.3", cipher: "x" } }),
    "UTF8SMTPS",
  );
});

test("the Received field names client, server, protocol, id, recipient and date; client text cannot break it", () => {
  const value = formatReceived({
    helo: "evil\r\nBcc: x (y)",
    clientIp: "192.0.2.7",
    clientHostname: null,
    hostname: "mx.mail.test",
    esmtp: true,
    tls: null,
    authenticated: false,
    smtpUtf8: false,
    id: "abc123",
    recipient: "bob@mail.test",
    date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
  });
  assert.equal(
    value,
    "from evil??Bcc: x ?y? ([192.0.2.7])\r\n\tby mx.mail.test with ESMTP id abc123\r\n\tfor <bob@mail.test>; Fri, 2 Jan 2026 03:04:05 +0000",
  );
  assert.deepEqual(returnPathField(""), { name: "Return-Path", value: "<>" });
});
