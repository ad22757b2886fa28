// Address syntax for hosted accounts and aliases. Deliberately stricter than
// RFC 5321's local-part grammar (no quoted strings, no "+"): "+" is kept for
// subaddressing (RFC 5233: name+tag@domain reaches name@domain).
import { MAX_LOCAL_PART_LENGTH } from "../config/limits.ts";
import { isStorableText } from "../validation/storable-text.ts";

const LOCAL_PART = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;

/**
 * Role addresses every hosted domain has, whether or not an account or
 * alias holds them: postmaster (RFC 5321 §4.5.1, which also makes a bare
 * "postmaster" this server's) and abuse (RFC 2142 §4). Mail to them reaches
 * the service's admins unless an alias says otherwise
 * (lib/delivery/resolve-recipient.ts).
 */
export const ROLE_LOCAL_PARTS = ["postmaster", "abuse"] as const;
export type RoleLocalPart = (typeof ROLE_LOCAL_PARTS)[number];

export function roleOf(localPart: string): RoleLocalPart | null {
  const base = stripSubaddress(localPart.toLowerCase());
  return ROLE_LOCAL_PARTS.find((role) => role === base) ?? null;
}

// The role addresses, other RFC 2142 names and names that would let a user
// impersonate the service. They can only be made by an admin, as aliases.
export const RESERVED_LOCAL_PARTS = new Set<string>([
  ...ROLE_LOCAL_PARTS,
  "admin",
  "administrator",
  "root",
  "hostmaster",
  "webmaster",
  "mailer-daemon",
  "noreply",
  "no-reply",
  "security",
  "support",
]);

export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

/** Why a local part is not acceptable for a new account, or null. */
export function localPartProblem(localPart: string): string | null {
  if (localPart.length === 0) return "Choose a name for your address.";
  if (localPart.length > MAX_LOCAL_PART_LENGTH) {
    return `Use at most ${MAX_LOCAL_PART_LENGTH} characters.`;
  }
  if (!LOCAL_PART.test(localPart) || localPart.includes("..")) {
    return "Use letters, digits, dots, hyphens and underscores; start and end with a letter or digit.";
  }
  return null;
}

export function isValidDomainName(domain: string): boolean {
  return DOMAIN.test(domain);
}

/**
 * Splits local@domain; null when it is not a plausible address, which
 * includes one with a NUL or invalid Unicode: no address is looked up with
 * text Postgres would refuse.
 */
export function splitAddress(address: string): { localPart: string; domain: string } | null {
  const normalized = normalizeAddress(address);
  if (!isStorableText(normalized)) return null;
  const at = normalized.lastIndexOf("@");
  if (at <= 0 || at === normalized.length - 1) return null;
  const localPart = normalized.slice(0, at);
  const domain = normalized.slice(at + 1);
  if (localPart.length > MAX_LOCAL_PART_LENGTH || !isValidDomainName(domain)) return null;
  return { localPart, domain };
}

/** name+tag -> name (RFC 5233 subaddressing). */
export function stripSubaddress(localPart: string): string {
  const plus = localPart.indexOf("+");
  return plus > 0 ? localPart.slice(0, plus) : localPart;
}
