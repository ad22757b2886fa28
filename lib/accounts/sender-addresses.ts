// Which From addresses an account may use: its own address and the aliases
// it owns (Alias.ownerAccountId). Checked for every message a user sends,
// from the webmail or over SMTP submission, and listed as the choices of the
// composer's From field, so the two cannot disagree.
import { db } from "../db.ts";
import type { Prisma } from "../generated/prisma/client.ts";
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
