// Which folders' new mail is announced (desktop notifications in open tabs,
// Web Push to subscribed browsers), kept in Account.settings under
// "notifications" beside the webmail's other preferences.
import { z } from "zod";
import { db } from "../db.ts";
import { isUuid } from "../store/list-messages.ts";

const schema = z.object({
  // Folder ids; null: the Inbox only (the default).
  folders: z.array(z.string()).max(500).nullable().catch(null).default(null),
});

export type NotificationSettings = z.infer<typeof schema>;

function parse(settings: unknown): NotificationSettings {
  const value = (settings as Record<string, unknown> | null)?.notifications;
  const result = schema.safeParse(value ?? {});
  return result.success ? result.data : { folders: null };
}

export async function getNotificationSettings(accountId: string): Promise<NotificationSettings> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: { settings: true },
  });
  return parse(account?.settings);
}

/** Announce new mail of these of the account's folders (others' ids are dropped). */
export async function setNotificationFolders(
  accountId: string,
  folderIds: string[],
): Promise<void> {
  const own = await db.mailbox.findMany({
    where: { accountId, id: { in: folderIds.filter(isUuid) } },
    select: { id: true },
  });
  const folders = own.map((m) => m.id);
  // jsonb_set keeps every other key of the settings as it is.
  await db.$executeRaw`
    UPDATE "Account" SET "settings" = jsonb_set("settings", '{notifications}', ${JSON.stringify({ folders })}::jsonb)
    WHERE "id" = ${accountId}::uuid`;
}

/** Whether new mail in `mailbox` is announced under these settings. */
export function announces(
  settings: NotificationSettings,
  mailbox: { id: string; specialUse: string | null },
): boolean {
  return settings.folders === null
    ? mailbox.specialUse === "INBOX"
    : settings.folders.includes(mailbox.id);
}
