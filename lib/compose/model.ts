// What the composer sends the server: the From choice, recipients, subject,
// body, attachment uploads and the reply context, validated here once for
// every caller (the webmail's actions and the scheduled-send path). Header
// injection is refused at this boundary: no field that ends up in a header
// may hold CR, LF or NUL, and addresses must be plain addr-specs (no
// display-name syntax, no angle brackets, no commas that would add a second
// recipient).
import { z } from "zod";
import { MAX_DISPLAY_NAME_LENGTH, MAX_RECIPIENTS_PER_MESSAGE } from "../config/limits.ts";
import { splitAddress } from "../accounts/address.ts";
import { storableString } from "../validation/storable-text.ts";

/** Longest subject accepted: RFC 5322 §2.1.1's line limit. */
export const MAX_SUBJECT_LENGTH = 998;
/** Longest body the composer may send (HTML or text): 2 MiB of markup is far past any letter. */
export const MAX_BODY_CHARS = 2 * 1024 * 1024;
/** Attachments on one message: more is an archive, and each is a part to build. */
export const MAX_ATTACHMENTS = 50;

// CR and LF would end the header line (injection); NUL is not allowed in a
// header at all (RFC 5322 §3.2.3 text excludes it).
const HEADER_BREAKING = /[\r\n\0]/;

/**
 * Text that goes into a header field (and the Outbox's and contacts' rows):
 * refused, not cleaned, when it holds a line break, a NUL or invalid Unicode.
 */
export function headerText(max: number) {
  return storableString()
    .max(max)
    .refine((v) => !HEADER_BREAKING.test(v), "Line breaks are not allowed here.");
}

// A dot-atom addr-spec (RFC 5322 §3.4.1) without quoted local parts: the
// characters that would start a comment, a group, a second address or a
// display name are refused, whatever the rest of the address looks like.
const ADDR_SPEC = /^[^\s<>()[\]\\,;:"@]+@[^\s<>()[\]\\,;:"@]+$/;

/** Whether a string is an address the composer accepts as a recipient. */
export function isValidRecipientAddress(value: string): boolean {
  return value.length <= 320 && ADDR_SPEC.test(value) && splitAddress(value) !== null;
}

export const mailAddressSchema = z.object({
  name: headerText(MAX_DISPLAY_NAME_LENGTH).default(""),
  address: z
    .string()
    .trim()
    .toLowerCase()
    .refine(isValidRecipientAddress, { message: "Not a valid email address." }),
});
export type MailAddress = z.infer<typeof mailAddressSchema>;

// RFC 5322 §3.6.4 msg-id, kept with its angle brackets.
const messageIdSchema = z
  .string()
  .max(998)
  .regex(/^<[^<>\s]+>$/, "Not a message id.");

export const composeSchema = z.object({
  /**
   * The address to send as: one of the account's sender addresses (checked
   * when the message is built, by the rule submission applies); null for the
   * account's own address.
   */
  from: z
    .string()
    .trim()
    .toLowerCase()
    .refine(isValidRecipientAddress, { message: "Not a valid email address." })
    .nullable()
    .default(null),
  to: z.array(mailAddressSchema).max(MAX_RECIPIENTS_PER_MESSAGE).default([]),
  cc: z.array(mailAddressSchema).max(MAX_RECIPIENTS_PER_MESSAGE).default([]),
  bcc: z.array(mailAddressSchema).max(MAX_RECIPIENTS_PER_MESSAGE).default([]),
  subject: headerText(MAX_SUBJECT_LENGTH).default(""),
  /** "html": body is the editor's HTML (sanitized when built); "text": body is plain text. */
  format: z.enum(["html", "text"]).default("html"),
  body: z.string().max(MAX_BODY_CHARS).default(""),
  /** ComposeUpload ids, in the order they are attached; inline images are among them. */
  attachments: z.array(z.uuid()).max(MAX_ATTACHMENTS).default([]),
  inReplyTo: messageIdSchema.nullable().default(null),
  references: z.array(messageIdSchema).max(50).default([]),
});
export type ComposeInput = z.infer<typeof composeSchema>;

/** Every envelope recipient of a composed message (To, Cc and Bcc), each once. */
export function envelopeRecipients(input: ComposeInput): string[] {
  return [...new Set([...input.to, ...input.cc, ...input.bcc].map((a) => a.address))];
}
