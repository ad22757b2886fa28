// The webmail's per-account preferences, kept in Account.settings (JSON) so
// that adding one needs no migration. Only what the mail views need lives
// here; account-level settings belong to lib/accounts.
import { z } from "zod";
import { db } from "../db.ts";
import { isStorableText } from "../validation/storable-text.ts";

/** Senders whose remote images are always shown: more is not a preference, it is a policy. */
export const MAX_TRUSTED_IMAGE_SENDERS = 1000;

const preferencesSchema = z.object({
  // Lower-cased sender addresses for which "Always show images" was chosen.
  remoteImagesFrom: z.array(z.string()).catch([]).default([]),
});

export type MailPreferences = z.infer<typeof preferencesSchema>;

function parse(settings: unknown): MailPreferences {
  const result = preferencesSchema.safeParse(settings ?? {});
  return result.success ? result.data : { remoteImagesFrom: [] };
}

export async function getMailPreferences(accountId: string): Promise<MailPreferences> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: { settings: true },
  });
  return parse(account?.settings);
}

/** "Always show images from this sender". */
export async function trustImagesFrom(accountId: string, senderAddress: string): Promise<void> {
  const address = senderAddress.trim().toLowerCase();
  // Not an address (Account.settings is jsonb, which refuses NUL and lone surrogates).
  if (!address.includes("@") || address.length > 320 || !isStorableText(address)) return;
  await db.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<{ settings: unknown }[]>`
      SELECT "settings" FROM "Account" WHERE "id" = ${accountId}::uuid FOR UPDATE`;
    if (!row) return;
    const settings = (
      typeof row.settings === "object" && row.settings !== null ? row.settings : {}
    ) as Record<string, unknown>;
    const current = parse(settings).remoteImagesFrom.filter((a) => a !== address);
    const next = [address, ...current].slice(0, MAX_TRUSTED_IMAGE_SENDERS);
    await tx.$executeRaw`
      UPDATE "Account" SET "settings" = ${JSON.stringify({ ...settings, remoteImagesFrom: next })}::jsonb
      WHERE "id" = ${accountId}::uuid`;
  });
}
