// Drafts: a composition is saved as a real message in the account's Drafts
// folder (through lib/store, the only writer of messages), each save
// replacing the previous copy; opening a stored message as a draft turns its
// parts back into uploads so the composer can edit and send it.
import { simpleParser, type Attachment } from "mailparser";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import { parseMessage } from "../mime/parse-message.ts";
import { sanitizeEmailHtml } from "../mime/sanitize-html.ts";
import { storeDelivery } from "../store/deliver.ts";
import { deleteMessagesForever } from "../store/delete-messages.ts";
import { getRawMessageOrThrow } from "../store/get-message.ts";
import { isUuid } from "../store/list-messages.ts";
import {
  buildComposedMessage,
  emptyInput,
  fromChoice,
  senderOf,
  type ComposeState,
} from "./compose-state.ts";
import { adoptDraft } from "./draft-composition.ts";
import type { ComposeInput } from "./model.ts";
import { parsedAddresses, parsedMessageIds, parsedSubject } from "./parsed-fields.ts";
import { saveUpload, type UploadInfo } from "./uploads.ts";
import { uploadUrl } from "./upload-url.ts";

/**
 * Files raw bytes as a new message in the account's Drafts folder; returns
 * its id. The store gives Drafts copies the \Draft flag (RFC 3501 §2.3.2),
 * so IMAP clients treat them as drafts too.
 */
export async function fileDraft(accountId: string, raw: Buffer): Promise<string> {
  const parsed = await parseMessage(raw);
  const [copy] = await storeDelivery({
    receivedAt: new Date(),
    sources: [
      {
        bytes: { kind: "memory", prefix: Buffer.alloc(0), body: raw },
        parsed,
        accountIds: [],
        filedCopies: [{ accountId, folder: "DRAFTS" }],
        outbound: [],
      },
    ],
  });
  return copy!.messageId;
}

/** Deletes the message if it is one of the account's drafts; anything else is left alone. */
export async function deleteDraft(accountId: string, draftId: string | null): Promise<void> {
  if (!draftId || !isUuid(draftId)) return;
  const draft = await db.message.findFirst({
    where: { accountId, id: draftId, mailbox: { specialUse: "DRAFTS" } },
    select: { id: true },
  });
  if (draft) await deleteMessagesForever(accountId, [draft.id]);
}

/**
 * Saves the composition in Drafts, replacing the previous draft copy (the new
 * one is stored first, so a failure never leaves the user with none).
 */
export async function saveDraft(
  accountId: string,
  input: ComposeInput,
  previousDraftId: string | null,
  /** The composer's id: saves and Send of one composer serialise on it (draft-composition.ts). */
  compositionId: string | null = null,
): Promise<string> {
  const { raw } = await buildComposedMessage(accountId, input, {
    date: new Date(),
    keepBcc: true,
  });
  const id = await fileDraft(accountId, raw);
  if (compositionId) await adoptDraft(accountId, compositionId, id, previousDraftId);
  else await deleteDraft(accountId, previousDraftId);
  return id;
}

/**
 * A stored message of the account (a draft, or a scheduled send taken back)
 * as a composer state: recipients, subject, body and threading from its
 * headers, every attachment re-uploaded, inline images pointed at their new
 * uploads. draftId is the message when it is in Drafts.
 */
export async function openAsDraft(accountId: string, messageId: string): Promise<ComposeState> {
  const { raw } = await getRawMessageOrThrow(accountId, messageId);
  const inDrafts = await db.message.findFirst({
    where: { accountId, id: messageId, mailbox: { specialUse: "DRAFTS" } },
    select: { id: true },
  });
  const state = await stateFromRaw(accountId, raw);
  return { ...state, draftId: inDrafts ? messageId : null };
}

/**
 * A parsed message's attachments as new uploads of the account, with the
 * upload each Content-ID (without angle brackets) now points at.
 */
export async function uploadParsedAttachments(
  accountId: string,
  attachments: Attachment[],
): Promise<{ uploads: UploadInfo[]; byCid: Map<string, string> }> {
  const uploads: UploadInfo[] = [];
  const byCid = new Map<string, string>();
  for (const a of attachments) {
    const upload = await saveUpload(accountId, {
      filename: a.filename ?? "attachment",
      contentType: a.contentType,
      content: a.content,
    });
    uploads.push(upload);
    if (a.cid) byCid.set(a.cid.replace(/^<|>$/g, ""), upload.id);
  }
  return { uploads, byCid };
}

export async function stateFromRaw(
  accountId: string,
  raw: Buffer,
): Promise<Omit<ComposeState, "draftId">> {
  const parsed = await simpleParser(raw, { skipTextToHtml: true, skipImageLinks: true });
  const { uploads, byCid } = await uploadParsedAttachments(accountId, parsed.attachments);
  const input = emptyInput();
  // The From it was saved with, while the account may still send as it.
  const { from, ...choices } = fromChoice(
    await senderOf(accountId),
    parsedAddresses(parsed.from).map((a) => a.address),
  );
  input.from = from;
  input.to = parsedAddresses(parsed.to);
  input.cc = parsedAddresses(parsed.cc);
  input.bcc = parsedAddresses(parsed.bcc);
  input.subject = parsedSubject(parsed.subject);
  const html = typeof parsed.html === "string" ? parsed.html : null;
  if (html) {
    input.format = "html";
    input.body = sanitizeEmailHtml(html, {
      resolveCid: (cid) => {
        const id = byCid.get(cid);
        return id ? uploadUrl(id) : null;
      },
    });
  } else {
    input.format = "text";
    input.body = parsed.text ?? "";
  }
  input.attachments = uploads.map((u) => u.id);
  input.inReplyTo = parsedMessageIds(parsed.inReplyTo)[0] ?? null;
  input.references = parsedMessageIds(parsed.references).slice(-50);
  return { input, uploads, ...choices };
}

/** Not found unless the id is one of the account's drafts (for opening from the Drafts list). */
export async function isDraft(accountId: string, messageId: string): Promise<boolean> {
  if (!isUuid(messageId)) throw new UserError("not_found", "No such draft.");
  const row = await db.message.findFirst({
    where: { accountId, id: messageId, mailbox: { specialUse: "DRAFTS" } },
    select: { id: true },
  });
  return row !== null;
}
