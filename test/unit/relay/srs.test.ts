// The Sender Rewriting Scheme: forwards get an SRS sender in the forwarding
// domain, only our own unexpired and untampered addresses reverse, and a
// second forwarder's SRS1 points back at the first.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SRS_MAX_AGE_DAYS, srsForward, srsReverse } from "../../../lib/relay/srs.ts";

const secret = "a test secret";
const now = new Date("2026-11-22T12:00:00Z");
const daysLater = (days: number) => new Date(now.getTime() + days * 86_400_000);

test("a forwarded sender becomes SRS0 in the forwarding domain and reverses", () => {
  const rewritten = srsForward("Alice@Example.org", "mail.test", secret, now);
  assert.match(rewritten, /^SRS0=[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=Example\.org=Alice@mail\.test$/);
  assert.equal(srsReverse(rewritten, secret, now), "Alice@Example.org");
  // MTAs lower-case addresses on the way back; the hash still matches.
  assert.equal(srsReverse(rewritten.toLowerCase(), secret, daysLater(3)), "alice@example.org");
});

test("null senders and senders in the forwarding domain are left alone", () => {
  assert.equal(srsForward("", "mail.test", secret, now), "");
  assert.equal(srsForward("bob@mail.test", "mail.test", secret, now), "bob@mail.test");
});

test("tampered, foreign-key and expired addresses do not reverse", () => {
  const rewritten = srsForward("alice@example.org", "mail.test", secret, now);
  assert.equal(srsReverse(rewritten.replace("example.org", "evil.example"), secret, now), null);
  assert.equal(srsReverse(rewritten, "another secret", now), null);
  assert.equal(srsReverse(rewritten, secret, daysLater(SRS_MAX_AGE_DAYS)), "alice@example.org");
  assert.equal(srsReverse(rewritten, secret, daysLater(SRS_MAX_AGE_DAYS + 1)), null);
  assert.equal(srsReverse("SRS0=xxxx=AA=example.org=alice@mail.test", secret, now), null);
  assert.equal(srsReverse("alice@mail.test", secret, now), null);
});

test("SRS0 from another forwarder becomes SRS1 pointing back at it, and stays short", () => {
  const first = srsForward("alice@example.org", "first.example", "first secret", now);
  const second = srsForward(first, "mail.test", secret, now);
  assert.match(
    second,
    /^SRS1=[^=]{4}=first\.example==[^=]{4}=[A-Z2-7]{2}=example\.org=alice@mail\.test$/,
  );
  // The bounce goes back to the first forwarder, which reverses its own part.
  const back = srsReverse(second, secret, now);
  assert.equal(back, first);
  assert.equal(srsReverse(back!, "first secret", now), "alice@example.org");
  // A third forwarder keeps pointing at the first one.
  const third = srsForward(second, "third.example", "third secret", now);
  assert.match(third, /^SRS1=[^=]{4}=first\.example==/);
  assert.equal(srsReverse(third, "third secret", now), first);
});
