// A user's blocked senders and safe senders, as Outlook.com keeps them: an
// entry is an address ("news@shop.example") or a whole domain
// ("@shop.example", which covers its subdomains too). The MX's verdict
// pipeline asks senderListVerdict for each copy: "block" files it in Junk,
// "safe" keeps it out of Junk whatever the content filter says. The most
// specific entry wins (an address over its domain, a subdomain over its
// parent), so "block @shop.example, but news@shop.example is safe" works.
import { z } from "zod";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";

export type SenderListKind = "BLOCK" | "SAFE";
export type SenderListVerdict = "block" | "safe" | null;

/** Entries one account may keep (both lists together). */
export const MAX_SENDER_LIST_ENTRIES = 1000;

const domainPattern = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;
const entrySchema = z
  .string()
  .trim()
  .toLowerCase()
  .transform((s) => (s.startsWith("*@") ? s.slice(1) : s))
  .refine(
    (s) => {
      const at = s.lastIndexOf("@");
      if (at === -1) return domainPattern.test(s);
      const local = s.slice(0, at);
      return domainPattern.test(s.slice(at + 1)) && /^[^\s@<>()",;:\\[\]]{0,64}$/.test(local);
    },
    { message: "Enter an address (name@example.com) or a domain (@example.com)." },
  )
  // A bare domain is stored as "@domain".
  .transform((s) => (s.includes("@") ? s : `@${s}`));

/** The normalized entry for what a user typed; UserError "invalid_input" when it is neither. */
export function normalizeSenderEntry(input: string): string {
  const parsed = entrySchema.safeParse(input);
  if (!parsed.success)
    throw new UserError("invalid_input", parsed.error.issues[0]!.message, "sender");
  return parsed.data;
}

/** The entries that could match `address`, most specific first. */
function candidates(address: string): string[] {
  const a = address.trim().toLowerCase();
  const at = a.lastIndexOf("@");
  if (at <= 0) return [];
  const labels = a.slice(at + 1).split(".");
  const out = [a];
  for (let i = 0; i < labels.length - 1; i++) out.push("@" + labels.slice(i).join("."));
  return out;
}

/**
 * What the account's lists say about mail from `fromAddress` (the From
 * header's address; the pipeline decides which address it passes).
 */
export async function senderListVerdict(
  accountId: string,
  fromAddress: string,
): Promise<SenderListVerdict> {
  const keys = candidates(fromAddress);
  if (keys.length === 0) return null;
  const rows = await db.senderListEntry.findMany({
    where: { accountId, sender: { in: keys } },
    select: { sender: true, kind: true },
  });
  for (const key of keys) {
    const row = rows.find((r) => r.sender === key);
    if (row) return row.kind === "BLOCK" ? "block" : "safe";
  }
  return null;
}

export type SenderListEntryDto = { sender: string; kind: SenderListKind; createdAt: Date };

export async function listSenderEntries(accountId: string): Promise<SenderListEntryDto[]> {
  return db.senderListEntry.findMany({
    where: { accountId },
    select: { sender: true, kind: true, createdAt: true },
    orderBy: [{ kind: "asc" }, { sender: "asc" }],
  });
}

/**
 * Puts `sender` on the account's blocked or safe list (moving it from the
 * other list if it was there). Returns the normalized entry.
 */
export async function addSenderEntry(
  accountId: string,
  sender: string,
  kind: SenderListKind,
): Promise<string> {
  const entry = normalizeSenderEntry(sender);
  await db.$transaction(async (tx) => {
    // Serialises concurrent adds of one account, so the limit holds.
    await tx.$executeRaw`SELECT 1 FROM "Account" WHERE "id" = ${accountId}::uuid FOR UPDATE`;
    const count = await tx.senderListEntry.count({ where: { accountId } });
    const exists = await tx.senderListEntry.findUnique({
      where: { accountId_sender: { accountId, sender: entry } },
    });
    if (!exists && count >= MAX_SENDER_LIST_ENTRIES)
      throw new UserError(
        "invalid_input",
        `Your lists are full (${MAX_SENDER_LIST_ENTRIES} entries). Remove some first.`,
        "sender",
      );
    await tx.senderListEntry.upsert({
      where: { accountId_sender: { accountId, sender: entry } },
      create: { accountId, sender: entry, kind },
      update: { kind },
    });
  });
  return entry;
}

/** Takes `sender` off whichever list holds it. */
export async function removeSenderEntry(accountId: string, sender: string): Promise<void> {
  await db.senderListEntry.deleteMany({
    where: { accountId, sender: normalizeSenderEntry(sender) },
  });
}

/**
 * Puts the From address of the account's message `messageId` on a list
 * (the message view's "Block sender" / "Never send to Junk"). Returns the
 * entry; UserError "not_found" when the message is not the account's or
 * has no From address.
 */
export async function addMessageSenderEntry(
  accountId: string,
  messageId: string,
  kind: SenderListKind,
): Promise<string> {
  const message = z.uuid().safeParse(messageId).success
    ? await db.message.findUnique({
        where: { accountId_id: { accountId, id: messageId } },
        select: { fromAddress: true },
      })
    : null;
  if (!message?.fromAddress) throw new UserError("not_found", "No such message.");
  return addSenderEntry(accountId, message.fromAddress, kind);
}
