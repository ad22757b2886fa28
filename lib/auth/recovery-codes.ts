// One-time recovery codes for two-step sign-in: the pure part. A code is 10
// characters of Crockford's base32 alphabet (no I, L, O, U: nothing to misread),
// 50 random bits, shown as "xxxxx-xxxxx". Only its argon2id hash is stored,
// and sign-in attempts are throttled, so 50 bits are far out of reach.
import { randomInt } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const LENGTH = 10;

/** A new code as the user sees it. */
export function newRecoveryCode(): string {
  let code = "";
  for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/**
 * What a typed code is compared as: lower case, without spaces or dashes,
 * with Crockford's look-alikes (o, i, l) read as the digits they stand for.
 * Null when it cannot be a recovery code.
 */
export function normalizeRecoveryCode(input: string): string | null {
  const code = input
    .toLowerCase()
    .replace(/[\s-]+/g, "")
    .replace(/o/g, "0")
    .replace(/[il]/g, "1");
  if (code.length !== LENGTH) return null;
  for (const ch of code) if (!ALPHABET.includes(ch)) return null;
  return code;
}
