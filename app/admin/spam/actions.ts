"use server";

// Spam settings: checks the admin role first, parses and validates the form
// with lib/spam/settings.ts, stores the settings and audits the change.
import { getSpamSettings, parseSpamSettingsForm, updateSpamSettings } from "@/lib/spam/settings";
import { auditAdminAction, requireAdmin } from "@/app/_server/admin";
import type { AdminActionState } from "../_server/admin-action-state";
import { formText, runAdminAction } from "../_server/run-admin-action";

export async function saveSpamSettingsAction(
  _previous: AdminActionState,
  form: FormData,
): Promise<AdminActionState> {
  const admin = await requireAdmin();
  return runAdminAction("/admin/spam", async () => {
    const after = parseSpamSettingsForm((name) => formText(form, name));
    const before = await getSpamSettings();
    await updateSpamSettings(after);
    await auditAdminAction(admin, "spam.update", "service", { before, after });
    return "Spam settings saved. Every gateway applies them within a few seconds.";
  });
}
