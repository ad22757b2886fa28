"use server";

// The composer's actions: each checks the session, parses its input with the
// lib schema, makes one lib call. Drafts, sends and undo are scoped to the
// signed-in account by lib (a foreign id is "not found").
import { randomUUID } from "node:crypto";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { isUserError } from "@/lib/errors";
import type { ComposeState } from "@/lib/compose/compose-state";
import { suggestContacts, type ContactSuggestion } from "@/lib/compose/contacts";
import { deleteDraft, openAsDraft } from "@/lib/compose/drafts";
import { composeSchema } from "@/lib/compose/model";
import { cancelPendingSend, listPendingSends, sendComposed } from "@/lib/compose/send";
import { startNewMessage, startReply } from "@/lib/compose/start-compose";
import { deleteUploads, maxAttachmentBytes } from "@/lib/compose/uploads";
import { currentAccount } from "@/app/_server/mail";
import { getClientIp } from "@/app/_server/client-ip";

export type Result<T> = { ok: true; value: T } | { ok: false; error: string; field?: string };

const id = z.uuid();

async function run<T>(
  work: (accountId: string) => Promise<T>,
  refresh = false,
): Promise<Result<T>> {
  const account = await currentAccount();
  try {
    const value = await work(account.id);
    if (refresh) revalidatePath("/mail");
    return { ok: true, value };
  } catch (error) {
    if (error instanceof z.ZodError) {
      const issue = error.issues[0];
      return {
        ok: false,
        error: issue ? `${issue.path.join(" ")}: ${issue.message}` : "That request was not valid.",
      };
    }
    if (isUserError(error)) return { ok: false, error: error.message, field: error.field };
    throw error;
  }
}

/**
 * A composer state plus the attachment limit the composer shows and the
 * composer's id, on which its draft saves and its Send serialise
 * (lib/compose/draft-composition.ts).
 */
export type ComposeOpen = ComposeState & { maxAttachmentBytes: number; compositionId: string };

const opened = (state: ComposeState): ComposeOpen => ({
  ...state,
  maxAttachmentBytes: maxAttachmentBytes(),
  compositionId: randomUUID(),
});

/** What the composer opens with: new, reply, reply all, forward, or a stored draft. */
export async function startComposeAction(
  mode: "new" | "reply" | "reply-all" | "forward" | "draft",
  messageId: string | null,
): Promise<Result<ComposeOpen>> {
  return run(async (a) => {
    const kind = z.enum(["new", "reply", "reply-all", "forward", "draft"]).parse(mode);
    if (kind === "new") return opened(await startNewMessage(a));
    const target = id.parse(messageId);
    return opened(
      kind === "draft" ? await openAsDraft(a, target) : await startReply(a, target, kind),
    );
  });
}

export async function discardDraftAction(
  draftId: string | null,
  uploadIds: string[],
): Promise<Result<null>> {
  return run(async (a) => {
    await deleteDraft(a, id.nullable().parse(draftId));
    await deleteUploads(a, z.array(id).max(100).parse(uploadIds));
    return null;
  }, true);
}

/** Send (after the undo window) or schedule (sendAt, an ISO time). */
export async function sendAction(
  input: unknown,
  draftId: string | null,
  sendAt: string | null,
  compositionId: string | null = null,
): Promise<Result<{ id: string; sendAt: string }>> {
  return run(async (a) => {
    const when = z.iso.datetime({ offset: true }).nullable().parse(sendAt);
    const sent = await sendComposed(a, composeSchema.parse(input), {
      draftId: id.nullable().parse(draftId),
      compositionId: id.nullable().parse(compositionId),
      sendAt: when ? new Date(when) : null,
      clientIp: await getClientIp(),
    });
    return { id: sent.id, sendAt: sent.sendAt.toISOString() };
  }, true);
}

/** Undo send, or Edit/Cancel in the Outbox: the message back as a draft. */
export async function cancelSendAction(pendingId: string): Promise<Result<ComposeOpen>> {
  return run(async (a) => opened(await cancelPendingSend(a, id.parse(pendingId))), true);
}

export type PendingSendDto = {
  id: string;
  subject: string;
  recipients: string[];
  sendAt: string;
  scheduled: boolean;
  status: "pending" | "failed";
  lastError: string | null;
};

export async function listOutboxAction(): Promise<Result<PendingSendDto[]>> {
  return run(async (a) =>
    (await listPendingSends(a)).map((p) => ({ ...p, sendAt: p.sendAt.toISOString() })),
  );
}

export async function suggestContactsAction(typed: string): Promise<ContactSuggestion[]> {
  const account = await currentAccount();
  return suggestContacts(account.id, z.string().max(320).parse(typed));
}
