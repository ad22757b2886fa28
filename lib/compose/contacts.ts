// Address suggestions for the composer: the account's saved contacts and the
// people it has written to (recorded at every send), best first.
import { db } from "../db.ts";
import { isStorableText } from "../validation/storable-text.ts";
import type { MailAddress } from "./model.ts";

export type ContactSuggestion = { name: string; address: string };

/** Counts one more message to each address (and learns its name when we had none). */
export async function recordCorrespondents(
  accountId: string,
  addresses: MailAddress[],
): Promise<void> {
  const now = new Date();
  for (const a of addresses) {
    await db.contact.upsert({
      where: { accountId_address: { accountId, address: a.address } },
      create: { accountId, address: a.address, name: a.name, useCount: 1, lastUsedAt: now },
      update: {
        useCount: { increment: 1 },
        lastUsedAt: now,
        ...(a.name ? { name: a.name } : {}),
      },
    });
  }
}

/** Contacts whose address or name starts with (or, for names, contains) the text typed. */
export async function suggestContacts(
  accountId: string,
  typed: string,
  limit = 8,
): Promise<ContactSuggestion[]> {
  const q = typed.trim().toLowerCase();
  // Nothing stored can match a NUL or a lone surrogate (and Postgres would refuse the query).
  if (!q || !isStorableText(q)) return [];
  return db.contact.findMany({
    where: {
      accountId,
      OR: [{ address: { startsWith: q } }, { name: { contains: q, mode: "insensitive" } }],
    },
    orderBy: [{ saved: "desc" }, { useCount: "desc" }, { lastUsedAt: "desc" }],
    take: limit,
    select: { name: true, address: true },
  });
}
