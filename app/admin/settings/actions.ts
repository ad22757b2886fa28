"use server";

// Service settings: checks the admin role first, validates every field with
// the lib's schema, stores them in one transaction and audits the change.
import { z } from "zod";
import {
  getServiceSettings,
  storedSettingsSchema,
  updateServiceSettings,
  type StoredSettings,
} from "@/lib/accounts/settings";
import { auditAdminAction, requireAdmin } from "@/app/_server/admin";
import type { AdminActionState } from "../_server/admin-action-state";
import { formText, runAdminAction } from "../_server/run-admin-action";

const MIB = 1024 * 1024;

/** An empty field puts the setting back to its default; otherwise a whole number. */
function optionalNumber(form: FormData, name: string, label: string, scale = 1): number | null {
  const text = formText(form, name).trim();
  if (!text) return null;
  const parsed = z.coerce
    .number({ error: `${label}: enter a number.` })
    .int(`${label}: enter a whole number.`)
    .safeParse(text);
  if (!parsed.success) throw new z.ZodError(parsed.error.issues);
  return parsed.data * scale;
}

function checked<K extends keyof StoredSettings>(key: K, label: string, value: number | null) {
  if (value === null) return null;
  const result = storedSettingsSchema.shape[key].safeParse(value);
  if (!result.success) {
    throw new z.ZodError([{ ...result.error.issues[0]!, message: `${label} is out of range.` }]);
  }
  return result.data as StoredSettings[K];
}

export async function saveSettingsAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/settings", async () => {
    const changes = {
      signupMode: storedSettingsSchema.shape.signupMode.parse(formText(form, "signupMode")),
      defaultQuotaBytes: checked(
        "defaultQuotaBytes",
        "Default quota",
        optionalNumber(form, "defaultQuotaMib", "Default quota", MIB),
      ),
      sendMessagesPerHour: checked(
        "sendMessagesPerHour",
        "Messages per hour",
        optionalNumber(form, "sendMessagesPerHour", "Messages per hour"),
      ),
      sendRecipientsPerDay: checked(
        "sendRecipientsPerDay",
        "Recipients per day",
        optionalNumber(form, "sendRecipientsPerDay", "Recipients per day"),
      ),
      maxMessageBytes: checked(
        "maxMessageBytes",
        "Message size limit",
        optionalNumber(form, "maxMessageKib", "Message size limit", 1024),
      ),
    };
    const before = (await getServiceSettings()).stored;
    await updateServiceSettings(changes);
    await auditAdminAction(admin, "settings.update", "service", { before, after: changes });
    return "Settings saved. Other instances apply them within a few seconds.";
  });
}
