"use server";

// The settings page's actions: each checks the session, passes the form's
// values to one lib/accounts/user-settings.ts call (which validates them) and
// returns what the form shows. Next.js refuses server actions from other
// origins (their CSRF protection).
import { revalidatePath } from "next/cache";
import { changePassword, updateProfile, updateVacation } from "@/lib/accounts/user-settings";
import { isUserError } from "@/lib/errors";
import { addSenderEntry, removeSenderEntry } from "@/lib/spam/sender-lists";
import { setNotificationFolders } from "@/lib/push/notification-settings";
import { getClientIp } from "@/app/_server/client-ip";
import { currentAccount } from "@/app/_server/mail";

export type SettingsFormState = {
  ok?: boolean;
  message?: string;
  error?: string;
  fieldErrors?: Record<string, string>;
};

const text = (form: FormData, name: string, max = 20_000) => {
  const value = form.get(name);
  return typeof value === "string" ? value.slice(0, max) : "";
};

async function run(work: (accountId: string) => Promise<void>, done: string) {
  const account = await currentAccount();
  try {
    await work(account.id);
  } catch (error) {
    if (!isUserError(error)) throw error;
    return error.field
      ? { fieldErrors: { [error.field]: error.message } }
      : { error: error.message };
  }
  return { ok: true, message: done };
}

export async function saveProfileAction(form: FormData): Promise<SettingsFormState> {
  const state = await run(
    (accountId) =>
      updateProfile(accountId, {
        displayName: text(form, "displayName"),
        signature: text(form, "signature"),
      }),
    "Profile saved.",
  );
  if (state.ok) revalidatePath("/", "layout");
  return state;
}

export async function saveVacationAction(form: FormData): Promise<SettingsFormState> {
  const state = await run(
    (accountId) =>
      updateVacation(accountId, {
        enabled: form.get("enabled") === "on",
        subject: text(form, "subject"),
        body: text(form, "body"),
        startDate: text(form, "startDate", 20),
        endDate: text(form, "endDate", 20),
        timeZone: text(form, "timeZone", 100),
        replyIntervalDays: text(form, "replyIntervalDays", 10),
      }),
    "Automatic replies saved.",
  );
  if (state.ok) revalidatePath("/settings");
  return state;
}

/**
 * Changes the password. Every session of the account ends, this one too:
 * the form signs in again with the new password. No revalidation here, as
 * re-rendering with the now-ended session would redirect to sign-in.
 */
export async function changePasswordAction(form: FormData): Promise<SettingsFormState> {
  const newPassword = text(form, "newPassword", 1000);
  if (newPassword !== text(form, "confirmPassword", 1000)) {
    return { fieldErrors: { confirmPassword: "The new passwords do not match." } };
  }
  const ip = await getClientIp();
  return run(
    (accountId) =>
      changePassword(
        accountId,
        { currentPassword: text(form, "currentPassword", 1000), newPassword },
        { ip },
      ),
    "Password changed. Your other sessions have been signed out.",
  );
}

/** Adds an address or domain to the blocked or the safe senders. */
export async function addSenderAction(form: FormData): Promise<SettingsFormState> {
  const kind = form.get("kind") === "SAFE" ? "SAFE" : "BLOCK";
  let entry = "";
  const state = await run(async (accountId) => {
    entry = await addSenderEntry(accountId, text(form, "sender", 300), kind);
  }, "");
  if (!state.ok) return state;
  revalidatePath("/settings");
  return {
    ok: true,
    message: kind === "SAFE" ? `${entry} is a safe sender.` : `${entry} is blocked.`,
  };
}

/** Takes an entry off the lists. */
export async function removeSenderAction(form: FormData): Promise<SettingsFormState> {
  const sender = text(form, "sender", 300);
  const state = await run(
    (accountId) => removeSenderEntry(accountId, sender),
    `${sender} removed.`,
  );
  if (state.ok) revalidatePath("/settings");
  return state;
}

/** The folders whose new mail is announced (desktop notifications and Web Push). */
export async function saveNotificationFoldersAction(form: FormData): Promise<SettingsFormState> {
  const folders = form
    .getAll("folder")
    .filter((v): v is string => typeof v === "string")
    .slice(0, 500);
  const state = await run(
    (accountId) => setNotificationFolders(accountId, folders),
    "Notification folders saved.",
  );
  revalidatePath("/mail");
  return state;
}
