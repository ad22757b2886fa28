// What the composer opens with for a new message, a reply, a reply to all or
// a forward: recipients, subject, threading, the user's signature and the
// quoted original; a forward carries the original's attachments along (as
// uploads of the account, so they can be removed before sending).
import { simpleParser, type ParsedMail } from "mailparser";
import { getRawMessageOrThrow } from "../store/get-message.ts";
import { emptyInput, fromChoice, senderOf, type ComposeState } from "./compose-state.ts";
import { parsedAddresses, parsedMessageIds, parsedSubject } from "./parsed-fields.ts";
import {
  forwardSubject,
  quoteForForward,
  quoteForReply,
  replyRecipients,
  replySubject,
  replyThreading,
  signatureBlock,
  type OriginalMessage,
} from "./reply.ts";
import { uploadParsedAttachments } from "./drafts.ts";
import { uploadUrl } from "./upload-url.ts";

export type ComposeMode = "reply" | "reply-all" | "forward";

/** A new, empty message with the signature under an empty first line. */
export async function startNewMessage(accountId: string): Promise<ComposeState> {
  const sender = await senderOf(accountId);
  const input = emptyInput();
  const { from, ...choices } = fromChoice(sender, []);
  input.from = from;
  input.body = `<p></p>${signatureBlock(sender.signature).html}`;
  return { input, uploads: [], draftId: null, ...choices };
}

function toOriginal(parsed: ParsedMail): OriginalMessage {
  return {
    from: parsedAddresses(parsed.from)[0] ?? null,
    replyTo: parsedAddresses(parsed.replyTo),
    to: parsedAddresses(parsed.to),
    cc: parsedAddresses(parsed.cc),
    subject: parsedSubject(parsed.subject),
    date: parsed.date ?? null,
    messageId: parsedMessageIds(parsed.messageId)[0] ?? null,
    references: parsedMessageIds(parsed.references),
    html: typeof parsed.html === "string" ? parsed.html : null,
    text: parsed.text ?? "",
  };
}

/** Reply, reply all or forward of one of the account's messages. */
export async function startReply(
  accountId: string,
  messageId: string,
  mode: ComposeMode,
): Promise<ComposeState> {
  const { raw } = await getRawMessageOrThrow(accountId, messageId);
  const parsed = await simpleParser(raw, { skipTextToHtml: true, skipImageLinks: true });
  const original = toOriginal(parsed);
  const sender = await senderOf(accountId);
  const signature = signatureBlock(sender.signature).html;
  const input = emptyInput();
  // Sent from the address the original was sent to, when it is one of the
  // user's (as Gmail does); for the user's own message, from what it was sent
  // as. Otherwise from the account's own address.
  const { from, ...choices } = fromChoice(
    sender,
    [...original.to, ...original.cc, ...(original.from ? [original.from] : [])].map(
      (a) => a.address,
    ),
  );
  input.from = from;

  if (mode === "forward") {
    const { uploads, byCid } = await uploadParsedAttachments(accountId, parsed.attachments);
    const quoted = quoteForForward(original, (cid) => {
      const id = byCid.get(cid);
      return id ? uploadUrl(id) : null;
    });
    input.subject = forwardSubject(original.subject).slice(0, 998);
    input.body = `<p></p>${signature}${quoted.html}`;
    input.attachments = uploads.map((u) => u.id);
    return { input, uploads, draftId: null, ...choices };
  }

  const { to, cc } = replyRecipients(original, sender.addresses, mode === "reply-all");
  const threading = replyThreading(original);
  input.to = to;
  input.cc = cc;
  input.subject = replySubject(original.subject).slice(0, 998);
  input.inReplyTo = threading.inReplyTo;
  input.references = threading.references;
  input.body = `<p></p>${signature}${quoteForReply(original).html}`;
  return { input, uploads: [], draftId: null, ...choices };
}
