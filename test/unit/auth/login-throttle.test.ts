// The throttle's pure parts: how a client's address becomes the network it
// is counted by, and the delays that grow with failures.
import assert from "node:assert/strict";
import { test } from "node:test";
import { clientNetwork } from "../../../lib/auth/client-network.ts";
import { networkDelayMs, pairDelayMs } from "../../../lib/auth/login-throttle.ts";

test("IPv4 is one client; IPv6 is counted by its /64, whatever the text form", () => {
  assert.equal(clientNetwork("203.0.113.7"), "203.0.113.7");
  assert.equal(clientNetwork("::ffff:203.0.113.7"), "203.0.113.7");
  assert.equal(clientNetwork("::FFFF:cb00:7107"), "203.0.113.7");
  assert.equal(clientNetwork("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  assert.equal(clientNetwork("2001:DB8:1:2::99"), "2001:db8:1:2::/64");
  assert.equal(clientNetwork("2001:0db8:0001:0002:ffff::1%eth0"), "2001:db8:1:2::/64");
  assert.equal(clientNetwork("2001:db8::1"), "2001:db8:0:0::/64");
  assert.equal(clientNetwork("::1"), "0:0:0:0::/64");
  // Two addresses of one /64 are one network; the next /64 is another.
  assert.equal(clientNetwork("2001:db8:1:2::a"), clientNetwork("2001:db8:1:2:ffff::b"));
  assert.notEqual(clientNetwork("2001:db8:1:2::a"), clientNetwork("2001:db8:1:3::a"));
  assert.equal(clientNetwork("unknown"), "unknown");
});

test("a pair's delay doubles from 2 s per failure and stops at 15 s", () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 9, 40].map(pairDelayMs),
    [0, 2000, 4000, 8000, 15000, 15000, 15000, 15000],
  );
  // Decayed counts round: a failure 20 minutes ago still counts as one.
  assert.equal(pairDelayMs(0.6), 2000);
  assert.equal(pairDelayMs(0.4), 0);
});

test("a network's first 20 failures cost nothing, then its delay doubles every 10", () => {
  assert.deepEqual(
    [0, 20, 21, 30, 31, 41, 51, 300].map(networkDelayMs),
    [0, 0, 2000, 2000, 4000, 8000, 15000, 15000],
  );
});
