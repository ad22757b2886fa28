// Sender Rewriting Scheme (SRS, Shevek's scheme as in libsrs2 and postsrsd)
// for mail an alias forwards to another domain. The forward leaves from our
// servers, so its envelope sender must be in our domain for SPF to pass at
// the destination: alice@example.org forwarded by fwd@mail.test leaves as
//   SRS0=HHHH=TT=example.org=alice@mail.test
// (HHHH a keyed hash, TT the day), and a bounce sent to that address is
// turned back into alice@example.org (resolve-recipient.ts). A sender that
// is already SRS0 from another forwarder becomes SRS1, which points back at
// that forwarder instead of growing:
//   SRS1=HHHH=other.example==GGGG=TT=example.org=alice@mail.test
// Only addresses we made verify (the hash) and only for MAX_AGE_DAYS (the
// day stamp), so the domain is no open relay for forged bounces.
import { createHmac, timingSafeEqual } from "node:crypto";
import { loadConfig } from "../config/index.ts";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** Day stamps wrap after 1024 days (two base32 characters), as in libsrs2. */
const TIME_SLOTS = 1024;
/** A bounce must come back within this many days of the forward (postsrsd's default). */
export const SRS_MAX_AGE_DAYS = 21;
const HASH_LENGTH = 4;

function dayOf(now: Date): number {
  return Math.floor(now.getTime() / 86_400_000) % TIME_SLOTS;
}

function encodeDay(day: number): string {
  return BASE32[(day >> 5) & 31]! + BASE32[day & 31]!;
}

function decodeDay(stamp: string): number | null {
  if (stamp.length !== 2) return null;
  const high = BASE32.indexOf(stamp[0]!.toUpperCase());
  const low = BASE32.indexOf(stamp[1]!.toUpperCase());
  return high < 0 || low < 0 ? null : (high << 5) | low;
}

/**
 * The keyed hash over the given parts. Computed over lower case, and
 * compared ignoring case, because MTAs (ours included) lower-case
 * addresses on the way back.
 */
function hashOf(secret: string, parts: string[]): string {
  return createHmac("sha1", secret)
    .update(parts.join("").toLowerCase())
    .digest("base64")
    .slice(0, HASH_LENGTH);
}

function hashMatches(secret: string, given: string, parts: string[]): boolean {
  const expected = Buffer.from(hashOf(secret, parts).toLowerCase());
  const actual = Buffer.from(given.toLowerCase());
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function split(address: string): { local: string; domain: string } | null {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at === address.length - 1) return null;
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}

/**
 * The envelope sender for a message `forwardDomain` forwards on behalf of
 * `sender`. The null sender stays null (nothing may answer a bounce), and a
 * sender already in `forwardDomain` needs no rewriting.
 */
export function srsForward(
  sender: string,
  forwardDomain: string,
  secret: string,
  now = new Date(),
): string {
  const parts = split(sender);
  if (!parts || parts.domain.toLowerCase() === forwardDomain.toLowerCase()) return sender;
  const { local, domain } = parts;
  const srs0 = /^SRS0[-+=](.+)$/i.exec(local);
  if (srs0) {
    // Someone else's SRS0: point at that forwarder, keep its opaque part.
    const opaque = `=${srs0[1]}`;
    return `SRS1=${hashOf(secret, [domain, opaque])}=${domain}=${opaque}@${forwardDomain}`;
  }
  const srs1 = /^SRS1[-+=][^=]+=([^=]+)==(.+)$/i.exec(local);
  if (srs1) {
    // An SRS1 again: keep its first forwarder, so the address does not grow.
    const [, firstForwarder, rest] = srs1;
    const opaque = `=${rest}`;
    return `SRS1=${hashOf(secret, [firstForwarder!, opaque])}=${firstForwarder}=${opaque}@${forwardDomain}`;
  }
  const stamp = encodeDay(dayOf(now));
  return `SRS0=${hashOf(secret, [stamp, domain, local])}=${stamp}=${domain}=${local}@${forwardDomain}`;
}

/** Whether a local part looks like SRS (worth trying srsReverse on). */
export function isSrsLocalPart(local: string): boolean {
  return /^SRS[01][-+=]/i.test(local);
}

/**
 * Where a bounce to an SRS address we made must go: the original sender
 * (SRS0) or the first forwarder's SRS0 address (SRS1). Null when the address
 * is not ours, was tampered with, or is older than SRS_MAX_AGE_DAYS.
 */
export function srsReverse(address: string, secret: string, now = new Date()): string | null {
  const parts = split(address);
  if (!parts) return null;
  const srs0 = /^SRS0[-+=]([^=]+)=([^=]+)=([^=]+)=(.+)$/i.exec(parts.local);
  if (srs0) {
    const [, hash, stamp, domain, local] = srs0 as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const day = decodeDay(stamp);
    if (day === null || !hashMatches(secret, hash, [stamp, domain, local])) return null;
    const age = (dayOf(now) - day + TIME_SLOTS) % TIME_SLOTS;
    if (age > SRS_MAX_AGE_DAYS) return null;
    return `${local}@${domain}`;
  }
  const srs1 = /^SRS1[-+=]([^=]+)=([^=]+)==(.+)$/i.exec(parts.local);
  if (srs1) {
    const [, hash, forwarder, rest] = srs1 as unknown as [string, string, string, string];
    const opaque = `=${rest}`;
    if (!hashMatches(secret, hash, [forwarder, opaque])) return null;
    return `SRS0${opaque}@${forwarder}`;
  }
  return null;
}

/**
 * The envelope sender for mail the hosted address `forwarder` forwards to
 * another domain: SRS in the forwarder's domain when a secret is configured
 * (config.srsSecret), else the original sender.
 */
export function forwardingSender(sender: string, forwarder: string): string {
  const secret = loadConfig().srsSecret;
  if (!secret) return sender;
  return srsForward(sender, forwarder.slice(forwarder.lastIndexOf("@") + 1), secret);
}

/** srsReverse with the configured secret; null when SRS is off. */
export function reverseSrsAddress(address: string): string | null {
  const secret = loadConfig().srsSecret;
  return secret ? srsReverse(address, secret) : null;
}
