// lib/http/user-agent.ts: the device names the Security page shows, from
// real User-Agent strings of current browsers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeUserAgent } from "../../../lib/http/user-agent.ts";

test("common browsers and systems are named", () => {
  const cases: [string, string][] = [
    [
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36",
      "Chrome on Linux",
    ],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0",
      "Edge on Windows",
    ],
    [
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
      "Safari on macOS",
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
      "Safari on iOS",
    ],
    ["Mozilla/5.0 (Android 15; Mobile; rv:140.0) Gecko/140.0 Firefox/140.0", "Firefox on Android"],
    [
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 OPR/120.0.0.0",
      "Opera on Linux",
    ],
  ];
  for (const [ua, name] of cases) assert.equal(describeUserAgent(ua), name, ua);
});

test("unknown and missing agents", () => {
  assert.equal(describeUserAgent(""), "Unknown device");
  assert.equal(describeUserAgent("curl/8.5.0"), "curl/8.5.0");
  assert.equal(describeUserAgent("x".repeat(100)).length, 58);
});
