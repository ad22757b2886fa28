// Authenticator-app codes (TOTP, RFC 6238 over HOTP, RFC 4226): the pure
// part, no storage. Six digits, SHA-1 and 30-second steps, the defaults every
// authenticator app reads from an otpauth:// URI (Key Uri Format).
import { randomBytes } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import { TOTP_WINDOW_STEPS } from "../config/limits.ts";

const PERIOD_SECONDS = 30;
const DIGITS = 6;

/** A new shared secret: 160 random bits (RFC 4226 §4 R6 asks at least 128, recommends 160), base32. */
export function newTotpSecret(): string {
  return new Secret({ buffer: randomBytes(20).buffer }).base32;
}

function totp(secret: string, label = "", issuer = ""): TOTP {
  return new TOTP({
    secret: Secret.fromBase32(secret),
    label,
    issuer,
    algorithm: "SHA1",
    digits: DIGITS,
    period: PERIOD_SECONDS,
  });
}

/** The otpauth:// URI an authenticator app scans from the QR code. */
export function totpUri(secret: string, address: string, issuer: string): string {
  return totp(secret, address, issuer).toString();
}

/** The code for `time` (tests and the enrolment check use it). */
export function totpCode(secret: string, time: number = Date.now()): string {
  return totp(secret).generate({ timestamp: time });
}

/** The time step a moment falls in (RFC 6238 §4.2: T = floor((now - T0) / X)). */
export function totpStep(time: number = Date.now()): number {
  return Math.floor(time / 1000 / PERIOD_SECONDS);
}

/**
 * The time step `code` belongs to, within TOTP_WINDOW_STEPS either side of
 * now (RFC 6238 §5.2: allow for clock drift and typing time), or null.
 * The caller refuses a step at or before the last one used (replay).
 */
export function matchTotpStep(
  secret: string,
  code: string,
  time: number = Date.now(),
): number | null {
  const token = code.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(token)) return null;
  const delta = totp(secret).validate({ token, timestamp: time, window: TOTP_WINDOW_STEPS });
  return delta === null ? null : totpStep(time) + delta;
}
