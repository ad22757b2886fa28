"use server";

// Actions of the reading pane's tools (message-tools.tsx): snooze, pin,
// labels, unsubscribe. Each checks the session, parses its input with zod,
// makes one lib call (which scopes every id to the account) and refreshes
// the page. Next.js checks a server action's Origin (its CSRF protection).
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { isUserError } from "@/lib/errors";
import { MAX_MESSAGES_PER_CHANGE } from "@/lib/store/lock-messages";
import { createLabel, setLabel } from "@/lib/store/labels";
import { setPinned } from "@/lib/store/pins";
import { snoozeMessages, unsnoozeMessages } from "@/lib/store/snooze";
import { unsubscribe } from "@/lib/unsubscribe/unsubscribe";
import { getClientIp } from "@/app/_server/client-ip";
import { currentAccount } from "@/app/_server/mail";

export type ToolResult =
  { ok: true; count?: number; keyword?: string } | { ok: false; error: string };

const ids = z.array(z.uuid()).min(1).max(MAX_MESSAGES_PER_CHANGE);

async function act(work: (accountId: string) => Promise<number | string>): Promise<ToolResult> {
  const account = await currentAccount();
  try {
    const value = await work(account.id);
    revalidatePath("/mail");
    return typeof value === "string" ? { ok: true, keyword: value } : { ok: true, count: value };
  } catch (error) {
    if (error instanceof z.ZodError) return { ok: false, error: "That request was not valid." };
    if (isUserError(error)) return { ok: false, error: error.message };
    throw error;
  }
}

/** Snoozes until `until` (an ISO time the browser chose in the user's zone). */
export async function snoozeAction(messageIds: string[], until: string) {
  return act((a) =>
    snoozeMessages(
      a,
      ids.parse(messageIds),
      new Date(z.iso.datetime({ offset: true }).parse(until)),
    ),
  );
}

export async function unsnoozeAction(messageIds: string[]) {
  return act((a) => unsnoozeMessages(a, ids.parse(messageIds)));
}

export async function pinAction(messageIds: string[], pinned: boolean) {
  return act((a) => setPinned(a, ids.parse(messageIds), z.boolean().parse(pinned)));
}

const keyword = z.string().min(1).max(200);

/** Puts a label on messages or takes it off. */
export async function labelAction(messageIds: string[], label: string, on: boolean) {
  return act((a) =>
    setLabel(a, ids.parse(messageIds), keyword.parse(label), z.boolean().parse(on)),
  );
}

/** Defines a label and puts it on the messages (the menu's "Create label"); answers its keyword. */
export async function createLabelAction(name: string, color: string, messageIds: string[]) {
  return act(async (a) => {
    const targets = ids.parse(messageIds);
    const label = await createLabel(
      a,
      z.string().max(200).parse(name),
      z.string().max(20).parse(color),
    );
    await setLabel(a, targets, label.keyword, true);
    return label.keyword;
  });
}

/** One-click (RFC 8058, a POST from our server) or mailto: unsubscribe from the message's list. */
export async function unsubscribeAction(messageId: string) {
  return act(async (a) =>
    unsubscribe(a, z.uuid().parse(messageId), { clientIp: await getClientIp() }),
  );
}
