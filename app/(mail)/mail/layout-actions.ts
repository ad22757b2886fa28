"use server";

// The list layout (reading pane, density): auth, one lib call.
import { isUserError } from "@/lib/errors";
import { updateMailLayout } from "@/lib/accounts/user-settings";
import { currentAccount } from "@/app/_server/mail";

export async function setMailLayoutAction(
  layout: unknown,
): Promise<{ ok: true } | { ok: false; error: string }> {
  const account = await currentAccount();
  try {
    await updateMailLayout(account.id, layout);
    return { ok: true };
  } catch (error) {
    if (isUserError(error)) return { ok: false, error: error.message };
    throw error;
  }
}
