// Service-wide settings an admin can change at run time, stored in the
// Setting table so every instance (web and gateway) sees the same values.
// A setting that was never stored falls back to the environment
// configuration (lib/config), so a fresh install behaves as .env says.
//
// Reads are cached for SETTINGS_CACHE_MS per process: signup, account
// creation, every submitted message and the gateway's SIZE read them, and a
// few seconds of delay after an admin's change is fine. The process that
// writes a change drops its own cache at once.
import { z } from "zod";
import { db } from "../db.ts";
import { loadConfig } from "../config/index.ts";
import {
  MAX_SETTABLE_MESSAGE_BYTES,
  MAX_SETTABLE_QUOTA_BYTES,
  MAX_SETTABLE_SEND_LIMIT,
  MIN_SETTABLE_MESSAGE_BYTES,
  MIN_SETTABLE_QUOTA_BYTES,
  SETTINGS_CACHE_MS,
} from "../config/limits.ts";

export const SIGNUP_MODES = ["open", "invite", "closed"] as const;

/** What an admin may store; every key optional (absent: the environment default). */
export const storedSettingsSchema = z.object({
  // open: anyone may sign up on signup-enabled domains; invite: only with an
  // invite code (lib/accounts/invites.ts); closed: only admins create accounts.
  signupMode: z.enum(SIGNUP_MODES),
  defaultQuotaBytes: z.number().int().min(MIN_SETTABLE_QUOTA_BYTES).max(MAX_SETTABLE_QUOTA_BYTES),
  sendMessagesPerHour: z.number().int().min(1).max(MAX_SETTABLE_SEND_LIMIT),
  sendRecipientsPerDay: z.number().int().min(1).max(MAX_SETTABLE_SEND_LIMIT),
  maxMessageBytes: z.number().int().min(MIN_SETTABLE_MESSAGE_BYTES).max(MAX_SETTABLE_MESSAGE_BYTES),
});

export type StoredSettings = z.infer<typeof storedSettingsSchema>;
export type SettingKey = keyof StoredSettings;

/** The values in force: stored settings over the environment's defaults. */
export type ServiceSettings = {
  signupMode: (typeof SIGNUP_MODES)[number];
  defaultQuotaBytes: bigint;
  sendLimits: { messagesPerHour: number; recipientsPerDay: number };
  maxMessageBytes: number;
  /** Which of the values above come from the Setting table (the rest are defaults). */
  stored: Partial<StoredSettings>;
};

let cache: { at: number; value: ServiceSettings } | undefined;

/** Stored rows that fail validation (an older format, a hand edit) are ignored, not fatal. */
function parseStored(rows: { key: string; value: unknown }[]): Partial<StoredSettings> {
  const stored: Record<string, unknown> = {};
  for (const row of rows) {
    const field = storedSettingsSchema.shape[row.key as SettingKey];
    const parsed = field?.safeParse(row.value);
    if (parsed?.success) stored[row.key] = parsed.data;
  }
  return stored as Partial<StoredSettings>;
}

export async function getServiceSettings(): Promise<ServiceSettings> {
  if (cache && Date.now() - cache.at < SETTINGS_CACHE_MS) return cache.value;
  const config = loadConfig();
  const stored = parseStored(await db.setting.findMany());
  const value: ServiceSettings = {
    signupMode: stored.signupMode ?? "open",
    defaultQuotaBytes:
      stored.defaultQuotaBytes !== undefined
        ? BigInt(stored.defaultQuotaBytes)
        : config.defaultQuotaBytes,
    sendLimits: {
      messagesPerHour: stored.sendMessagesPerHour ?? config.sendLimits.messagesPerHour,
      recipientsPerDay: stored.sendRecipientsPerDay ?? config.sendLimits.recipientsPerDay,
    },
    maxMessageBytes: stored.maxMessageBytes ?? config.maxMessageBytes,
    stored,
  };
  cache = { at: Date.now(), value };
  return value;
}

/**
 * Stores the given settings in one transaction; a key set to null goes back
 * to the environment default. Throws UserError-free ZodError on bad values:
 * callers validate forms with storedSettingsSchema first.
 */
export async function updateServiceSettings(changes: {
  [K in SettingKey]?: StoredSettings[K] | null;
}): Promise<void> {
  const checked = Object.entries(changes).map(([key, value]) => {
    const field = storedSettingsSchema.shape[key as SettingKey];
    if (!field) throw new Error(`Unknown setting ${key}`);
    return { key, value: value === null ? null : field.parse(value) };
  });
  await db.$transaction(
    checked.map(({ key, value }) =>
      value === null
        ? db.setting.deleteMany({ where: { key } })
        : db.setting.upsert({ where: { key }, create: { key, value }, update: { value } }),
    ),
  );
  cache = undefined;
}

export async function setServiceSetting<K extends SettingKey>(
  key: K,
  value: StoredSettings[K],
): Promise<void> {
  await updateServiceSettings({ [key]: value });
}
