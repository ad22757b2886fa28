// Sending from the webmail, with undo and scheduled send done on the server:
// Send stores the built message as a PendingSubmission due at the end of the
// undo window (or at the chosen time); the gateway's scheduled-send worker
// hands due rows to submitMessage (lib/submission), which keeps every rule
// of sending (From check, limits, Sent copy, local delivery, queue). Closing
// the tab changes nothing: the row is in Postgres.
//
// Exactly once: the worker locks a due row (FOR UPDATE SKIP LOCKED, so any
// number of gateways share the table), submits it and deletes it in the
// same transaction. Undo deletes the row only while it is not locked and
// still there, so it either wins (nothing is sent) or finds the message
// gone ("already sent"). A worker that dies after submitMessage committed
// but before its delete committed leaves the row behind; the next claim
// finds the Sent copy by its Message-ID and only deletes the row.
import { loadConfig } from "../config/index.ts";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import { checkSubmittedHeader } from "../submission/check-header.ts";
import { routeSubmissionRecipient } from "../submission/submit-message.ts";
import { isUuid } from "../store/list-messages.ts";
import { buildComposedMessage, type ComposeState } from "./compose-state.ts";
import { recordCorrespondents } from "./contacts.ts";
import { consumeComposition } from "./draft-composition.ts";
import { fileDraft, openAsDraft } from "./drafts.ts";
import { composeSchema, envelopeRecipients, type ComposeInput } from "./model.ts";
import { notifyOutbox } from "./outbox.ts";
import { deleteUploads } from "./uploads.ts";

/** Furthest ahead a message can be scheduled: a year, what Outlook offers. */
export const MAX_SCHEDULE_AHEAD_MS = 365 * 24 * 60 * 60 * 1000;

export type PendingSend = {
  id: string;
  subject: string;
  recipients: string[];
  sendAt: Date;
  scheduled: boolean;
  status: "pending" | "failed";
  lastError: string | null;
};

/**
 * Send: validates everything now (fields, recipients that cannot receive,
 * size), so the user hears of problems while the composer is open; then
 * holds the message until `sendAt` (default: now plus the undo window). The
 * draft and the uploads go; the message itself carries the attachments.
 */
export async function sendComposed(
  accountId: string,
  rawInput: ComposeInput,
  options: {
    draftId: string | null;
    /** The composer's id (draft-composition.ts); a second Send of it is refused. */
    compositionId?: string | null;
    sendAt?: Date | null;
    clientIp: string;
    now?: Date;
  },
): Promise<{ id: string; sendAt: Date }> {
  const input = composeSchema.parse(rawInput);
  const now = options.now ?? new Date();
  const recipients = envelopeRecipients(input);
  if (recipients.length === 0) {
    throw new UserError("invalid_input", "Add at least one recipient.", "to");
  }
  const scheduled = options.sendAt != null;
  const sendAt =
    options.sendAt ?? new Date(now.getTime() + loadConfig().compose.undoSendSeconds * 1000);
  if (scheduled) {
    if (sendAt.getTime() <= now.getTime()) {
      throw new UserError("invalid_input", "Choose a time in the future.", "sendAt");
    }
    if (sendAt.getTime() > now.getTime() + MAX_SCHEDULE_AHEAD_MS) {
      throw new UserError(
        "invalid_input",
        "Messages can be scheduled up to a year ahead.",
        "sendAt",
      );
    }
  }
  const { raw, messageId, from, senderAddresses } = await buildComposedMessage(accountId, input, {
    date: sendAt,
    keepBcc: true,
  });
  // The header rules submitMessage applies to these bytes when they leave,
  // applied now as well, so the composer shows what is wrong (a display
  // name that reads as another address) while it is still open.
  checkSubmittedHeader(raw, senderAddresses);
  // The same recipient rules submitMessage applies, checked now as well.
  for (const r of recipients) await routeSubmissionRecipient(r, from.address);

  // The send consumes the composition: a save of it still in flight finds
  // it sent and keeps no draft (draft-composition.ts).
  const row = await db.$transaction(async (tx) => {
    await consumeComposition(tx, accountId, options.compositionId ?? null, options.draftId);
    return tx.pendingSubmission.create({
      data: {
        accountId,
        raw: new Uint8Array(raw),
        recipients,
        messageIdHeader: messageId,
        subject: input.subject,
        sendAt,
        scheduled,
        clientIp: options.clientIp,
      },
      select: { id: true },
    });
  });
  await deleteUploads(accountId, input.attachments);
  await recordCorrespondents(accountId, [...input.to, ...input.cc, ...input.bcc]);
  await notifyOutbox(accountId);
  return { id: row.id, sendAt };
}

/**
 * Undo, or "edit" in the Outbox: takes the message back before it leaves
 * and reopens it as a draft (saved in Drafts, attachments intact). Throws
 * "not_found" when the worker already sent it.
 */
export async function cancelPendingSend(accountId: string, id: string): Promise<ComposeState> {
  if (!isUuid(id)) throw new UserError("not_found", "No such message.");
  // Waits for a worker that holds the row; afterwards the row is gone (sent)
  // or still pending (ours to delete).
  const rows = await db.$queryRaw<{ raw: Uint8Array }[]>`
    DELETE FROM "PendingSubmission" WHERE "accountId" = ${accountId}::uuid AND "id" = ${id}::uuid
    RETURNING "raw"`;
  const row = rows[0];
  if (!row) throw new UserError("not_found", "Too late: the message has already been sent.");
  await notifyOutbox(accountId);
  const draftId = await fileDraft(accountId, Buffer.from(row.raw));
  return openAsDraft(accountId, draftId);
}

export async function listPendingSends(accountId: string): Promise<PendingSend[]> {
  const rows = await db.pendingSubmission.findMany({
    where: { accountId },
    orderBy: [{ sendAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      subject: true,
      recipients: true,
      sendAt: true,
      scheduled: true,
      status: true,
      lastError: true,
    },
  });
  return rows.map((r) => ({
    ...r,
    status: r.status === "FAILED" ? ("failed" as const) : ("pending" as const),
  }));
}
