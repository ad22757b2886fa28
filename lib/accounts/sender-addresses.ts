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

/** Whether the account may send as `address` (its own subaddresses included, RFC 5233). */
export async function maySendAs(accountId: string, address: string): Promise<boolean> {
  const parts = splitAddress(address);
  if (!parts) return false;
  const wanted = normalizeAddress(address);
  const base = `${stripSubaddress(parts.localPart)}@${parts.domain}`;
  const allowed = await senderAddresses(accountId);
  return allowed.includes(wanted) || allowed.includes(base);
}
