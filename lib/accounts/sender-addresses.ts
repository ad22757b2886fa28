// Which From addresses an account may use: its own address and the aliases
// it owns (Alias.ownerAccountId). Checked for every message a user sends,
// from the webmail or over SMTP submission.
import { db } from "../db.ts";
import { normalizeAddress, splitAddress, stripSubaddress } from "./address.ts";

export async function senderAddresses(accountId: string): Promise<string[]> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: { address: true, ownedAliases: { select: { address: true } } },
  });
  if (!account) return [];
  return [account.address, ...account.ownedAliases.map((a) => a.address)];
}

/** Whether `address` is one of `allowed` (from senderAddresses) or a subaddress of one (RFC 5233). */
export function isSenderAddress(allowed: string[], address: string): boolean {
  const parts = splitAddress(address);
  if (!parts) return false;
  const base = `${stripSubaddress(parts.localPart)}@${parts.domain}`;
  return allowed.includes(normalizeAddress(address)) || allowed.includes(base);
}

/** Whether the account may send as `address`. */
export async function maySendAs(accountId: string, address: string): Promise<boolean> {
  return isSenderAddress(await senderAddresses(accountId), address);
}
