// When the vacation responder must stay silent (RFC 3834 §2), from the
// envelope sender and the original's header fields alone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { vacationRefusal } from "../../../lib/delivery/vacation.ts";
import { parseHeaderFields } from "../../../lib/mime/headers.ts";

const fields = (...lines: string[]) =>
  parseHeaderFields(Buffer.from(["From: a@example.org", ...lines, "", ""].join("\r\n")));

test("a person's mail is answered", () => {
  assert.equal(vacationRefusal("alice@example.org", fields("Subject: hi")), null);
  assert.equal(vacationRefusal("alice@example.org", fields("Auto-Submitted: no")), null);
  assert.equal(vacationRefusal("alice@example.org", fields("Precedence: first-class")), null);
});

test("null and robot senders are not", () => {
  assert.equal(vacationRefusal("", fields()), "null sender");
  assert.equal(vacationRefusal("not an address", fields()), "unreadable sender");
  for (const sender of [
    "MAILER-DAEMON@example.org",
    "noreply@example.org",
    "no-reply@example.org",
    "no-reply-alerts@example.org",
    "donotreply@example.org",
    "do-not-reply@example.org",
    "owner-list@example.org",
    "list-request@example.org",
    "list-bounces@example.org",
    "bounces+abc=example.org@example.net",
    "listserv@example.org",
    "majordomo@example.org",
  ]) {
    assert.equal(vacationRefusal(sender, fields()), "robot sender", sender);
  }
});

test("automatic, list and bulk mail is not", () => {
  const cases: [string, string][] = [
    ["Auto-Submitted: auto-generated", "automatic message"],
    ["Auto-Submitted: auto-replied", "automatic message"],
    ["auto-submitted: Auto-Notified; owner-email=x@example.org", "automatic message"],
    ["List-Id: News <news.example.org>", "list message"],
    ["List-Unsubscribe: <mailto:u@example.org>", "list message"],
    ["List-Post: NO", "list message"],
    ["Precedence: bulk", "bulk message"],
    ["Precedence: List", "bulk message"],
    ["Precedence: junk", "bulk message"],
    ["X-Auto-Response-Suppress: OOF, AutoReply", "automatic message"],
    ["X-Autoreply: yes", "automatic message"],
  ];
  for (const [line, reason] of cases) {
    assert.equal(vacationRefusal("alice@example.org", fields(line)), reason, line);
  }
});
