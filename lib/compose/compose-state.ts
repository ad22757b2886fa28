// What the composer opens with: the fields, the attachments already uploaded
// and the Drafts copy it replaces on its next save. Built for a new message,
// a reply or forward (start-compose.ts), or a stored draft (drafts.ts).
import { randomUUID } from "node:crypto";
import { loadConfig } from "../config/index.ts";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import {
  isSenderAddress,
  matchSenderAddress,
  SENDER_ADDRESS_FIELDS,
  senderAddressesOf,
} from "../accounts/sender-addresses.ts";
import { buildMessage } from "./build-message.ts";
import type { ComposeInput, MailAddress } from "./model.ts";
import { formatBytes, loadAttachments, type UploadInfo } from "./uploads.ts";

export type ComposeState = {
  input: ComposeInput;
  uploads: UploadInfo[];
  /** The Drafts message this composition was saved as last, if any. */
  draftId: string | null;
  /** The From choices: the addresses the account may send as (senderAddresses), its own first. */
  fromAddresses: string[];
  /** The display name every From carries (the settings' display name). */
  fromName: string;
};

export function emptyInput(): ComposeInput {
  return {
    from: null,
    to: [],
    cc: [],
    bcc: [],
    subject: "",
    format: "html",
    body: "",
    attachments: [],
    inReplyTo: null,
    references: [],
  };
}

/**
 * The account's sender: its own address with its display name, its
 * signature, and every address it may send as (senderAddresses: the rule
 * submitMessage checks, so the composer offers exactly what will pass).
 */
export async function senderOf(
  accountId: string,
): Promise<MailAddress & { signature: string; addresses: string[] }> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: { ...SENDER_ADDRESS_FIELDS, displayName: true, signature: true, disabled: true },
  });
  if (!account || account.disabled) {
    throw new UserError("account_disabled", "This account cannot send mail.");
  }
  // A display name with a line break cannot have been saved through the
  // settings form, but a header is the wrong place to find out.
  const name = account.displayName.replace(/[\r\n\0]+/g, " ").trim();
  return {
    name,
    address: account.address,
    signature: account.signature,
    addresses: senderAddressesOf(account),
  };
}

/**
 * The From of a composition: the chosen address with the display name.
 * Refuses an address the account may not send as, with the same rule (and
 * words) as submitMessage, so a forged choice fails while the composer is
 * still open rather than after the undo window.
 */
export function composedFrom(
  sender: Awaited<ReturnType<typeof senderOf>>,
  chosen: string | null,
): MailAddress {
  const address = chosen ?? sender.address;
  if (!isSenderAddress(sender.addresses, address)) {
    throw new UserError("forbidden", `You cannot send as ${address}.`, "from");
  }
  return { name: sender.name, address };
}

/** The From choices of a composer state; `preferred` is chosen when the account may use it. */
export function fromChoice(
  sender: Awaited<ReturnType<typeof senderOf>>,
  preferred: string[],
): Pick<ComposeState, "fromAddresses" | "fromName"> & { from: string } {
  for (const address of preferred) {
    const match = matchSenderAddress(sender.addresses, address);
    if (match) return { from: match, fromAddresses: sender.addresses, fromName: sender.name };
  }
  return { from: sender.address, fromAddresses: sender.addresses, fromName: sender.name };
}

/**
 * The composed message as bytes, with its attachments loaded from the
 * account's uploads. Refuses a message larger than MAX_MESSAGE_BYTES with a
 * clear error (the SMTP gateway would refuse it too).
 */
export async function buildComposedMessage(
  accountId: string,
  input: ComposeInput,
  options: { date: Date; keepBcc: boolean },
): Promise<{ raw: Buffer; messageId: string; from: MailAddress; senderAddresses: string[] }> {
  const sender = await senderOf(accountId);
  const from = composedFrom(sender, input.from);
  const attachments = await loadAttachments(accountId, input.attachments);
  const domain = from.address.slice(from.address.lastIndexOf("@") + 1);
  const messageId = `<${randomUUID()}@${domain}>`;
  const raw = await buildMessage({
    from,
    to: input.to,
    cc: input.cc,
    bcc: input.bcc,
    subject: input.subject,
    format: input.format,
    body: input.body,
    attachments,
    inReplyTo: input.inReplyTo,
    references: input.references,
    messageId,
    date: options.date,
    keepBcc: options.keepBcc,
  });
  const max = loadConfig().maxMessageBytes;
  if (raw.length > max) {
    throw new UserError(
      "too_large",
      `The message is ${formatBytes(raw.length)}; messages can be at most ${formatBytes(max)}. Remove an attachment.`,
    );
  }
  return { raw, messageId, from, senderAddresses: sender.addresses };
}
