// lib/auth/totp.ts against RFC 6238's test vectors (Appendix B, SHA-1, the
// last six digits of its eight), the ±1 step window and the code format;
// lib/auth/recovery-codes.ts's format and how typed codes are read.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  matchTotpStep,
  newTotpSecret,
  totpCode,
  totpStep,
  totpUri,
} from "../../../lib/auth/totp.ts";
import { newRecoveryCode, normalizeRecoveryCode } from "../../../lib/auth/recovery-codes.ts";

// "12345678901234567890" in base32 (RFC 4648).
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

test("codes match RFC 6238 Appendix B (SHA-1)", () => {
  const vectors: [number, string][] = [
    [59, "287082"],
    [1111111109, "081804"],
    [1111111111, "050471"],
    [1234567890, "005924"],
    [2000000000, "279037"],
  ];
  for (const [seconds, code] of vectors) assert.equal(totpCode(RFC_SECRET, seconds * 1000), code);
});

test("a code is matched to its step within one step either side, not two", () => {
  const now = 1_700_000_000_000;
  const step = totpStep(now);
  for (const offset of [-1, 0, 1]) {
    const code = totpCode(RFC_SECRET, now + offset * 30_000);
    assert.equal(matchTotpStep(RFC_SECRET, code, now), step + offset, `offset ${offset}`);
  }
  for (const offset of [-2, 2]) {
    const code = totpCode(RFC_SECRET, now + offset * 30_000);
    assert.equal(matchTotpStep(RFC_SECRET, code, now), null, `offset ${offset}`);
  }
  const spaced = totpCode(RFC_SECRET, now).replace(/^(\d{3})/, "$1 ");
  assert.equal(matchTotpStep(RFC_SECRET, spaced, now), step);
  for (const bad of ["", "12345", "1234567", "abcdef", "12345a"]) {
    assert.equal(matchTotpStep(RFC_SECRET, bad, now), null, bad);
  }
});

test("secrets are 160 random bits and the URI is what apps scan", () => {
  const secret = newTotpSecret();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.notEqual(secret, newTotpSecret());
  const uri = new URL(totpUri(secret, "ann@mail.test", "mail.test"));
  assert.equal(uri.protocol, "otpauth:");
  assert.equal(uri.host, "totp");
  assert.equal(uri.searchParams.get("secret"), secret);
  assert.equal(uri.searchParams.get("issuer"), "mail.test");
  assert.equal(uri.searchParams.get("digits"), "6");
  assert.equal(uri.searchParams.get("period"), "30");
});

test("recovery codes: format, and typed codes read leniently but exactly", () => {
  const code = newRecoveryCode();
  assert.match(code, /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
  const bare = code.replace("-", "");
  assert.equal(normalizeRecoveryCode(code), bare);
  assert.equal(normalizeRecoveryCode(` ${code.toUpperCase()} `), bare);
  assert.equal(normalizeRecoveryCode("abcde fghjk"), "abcdefghjk");
  // Crockford's look-alikes: O is 0, I and L are 1.
  assert.equal(normalizeRecoveryCode("OIL23-45678"), "01123" + "45678");
  for (const bad of ["", "abcd", "abcde-fghjk-m", "abcde-fghju", "123456"]) {
    assert.equal(normalizeRecoveryCode(bad), null, bad);
  }
});
