import "server-only";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { isUserError } from "@/lib/errors";
import type { AdminActionState } from "./admin-action-state";

/**
 * Runs an admin change for a form: the caller has already called
 * requireAdmin() (so 403 and the sign-in redirect are never caught here).
 * A user error or invalid form input becomes the form's error message;
 * success refreshes `path` and shows the returned notice.
 */
export async function runAdminAction(
  path: string,
  work: () => Promise<string>,
): Promise<AdminActionState> {
  try {
    const notice = await work();
    revalidatePath(path, "layout");
    return { notice };
  } catch (error) {
    if (error instanceof z.ZodError) return { error: error.issues[0]?.message ?? "Invalid input." };
    if (isUserError(error)) return { error: error.message, field: error.field };
    throw error;
  }
}

/** A form field as a string ("" when absent). */
export function formText(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}
