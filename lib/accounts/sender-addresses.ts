// Which From addresses an account may use: its own address and the aliases
// it owns (Alias.ownerAccountId). Checked for every message a user sends,
// from the webmail or over SMTP submission, and listed as the choices of the
// composer's From field, so the two cannot disagree.
import { db } from "../db.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { addressesNamedIn } from "../mime/named-addresses.ts";
import { normalizeAddress, splitAddress, stripSubaddress } from "./address.ts";

/** The Account fields senderAddressesOf needs, to select along with others in one query. */
export const SENDER_ADDRESS_FIELDS = {
  address: true,
  ownedAliases: { select: { address: true }, orderBy: { address: "asc" } },
} as const satisfies Prisma.AccountSelect;

/** The account's own address first, then the aliases it owns, A to Z. */
export function senderAddressesOf(account: {
  address: string;
  ownedAliases: { address: string }[];
}): string[] {
  return [account.address, ...account.ownedAliases.map((a) => a.address)];
}

export async function senderAddresses(accountId: string): Promise<string[]> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: SENDER_ADDRESS_FIELDS,
  });
  return account ? senderAddressesOf(account) : [];
}

/**
 * The entry of `allowed` (from senderAddresses) that `address` is, or is a
 * subaddress of (RFC 5233); null when it is neither. The composer's From
 * choice for a reply is this entry of the address the original was sent to.
 */
export function matchSenderAddress(allowed: string[], address: string): string | null {
  const parts = splitAddress(address);
  if (!parts) return null;
  const exact = normalizeAddress(address);
  if (allowed.includes(exact)) return exact;
  const base = `${stripSubaddress(parts.localPart)}@${parts.domain}`;
  return allowed.includes(base) ? base : null;
}

/** Whether `address` is one of `allowed` (from senderAddresses) or a subaddress of one (RFC 5233). */
export function isSenderAddress(allowed: string[], address: string): boolean {
  return matchSenderAddress(allowed, address) !== null;
}

/** Whether the account may send as `address`. */
export async function maySendAs(accountId: string, address: string): Promise<boolean> {
  return isSenderAddress(await senderAddresses(accountId), address);
}

/**
 * The first address a reader would see in `text` (a display name, a whole
 * From value) that is not one of `allowed`, or null. A name that reads as
 * someone else's address is how mail is made to look as if it came from
 * them: most mail apps show only the name (lib/mime/named-addresses.ts
 * reads it as they show it, encoded words and look-alike characters too).
 */
export function impersonatedAddress(allowed: string[], text: string): string | null {
  return addressesNamedIn(text).find((a) => !isSenderAddress(allowed, a)) ?? null;
}

/** Why `name` cannot be the display name of an account that sends as `allowed`; null when it can. */
export function displayNameProblem(allowed: string[], name: string): string | null {
  const other = impersonatedAddress(allowed, name);
  return other
    ? `A name cannot be an email address other than your own (it reads as ${other}).`
    : null;
}
