// Who a message a user sends says it is from, checked on the header block
// that will be signed and sent (lib/dkim/sign.ts signs the same parsed
// fields). A header other programs could read differently is refused, not
// repaired: RFC 5322 syntax strictly (lib/mime/headers.ts), each field
// RFC 5322 §3.6 allows once at most once, every From and Sender mailbox one
// the user may send as, and no display name (or comment) that reads as
// someone else's address.
import addressparser from "nodemailer/lib/addressparser/index.js";
import { UserError } from "../errors.ts";
import { normalizeAddress } from "../accounts/address.ts";
import { impersonatedAddress, isSenderAddress } from "../accounts/sender-addresses.ts";
import { parseStrictHeaderBlock, type HeaderBlock } from "../mime/headers.ts";
import { headerValueText } from "../mime/named-addresses.ts";

// RFC 5322 §3.6, the table of field counts: these occur at most once (From
// exactly once). All are refused twice over: a reader shows one copy and a
// check or a signature may see the other (mailparser shows the last From,
// IMAP ENVELOPE and most checks the first); a second To or Cc hides
// recipients; a second Message-ID, In-Reply-To or References misthreads.
const SINGLE_FIELDS: Record<string, string> = {
  date: "Date",
  from: "From",
  sender: "Sender",
  "reply-to": "Reply-To",
  to: "To",
  cc: "Cc",
  bcc: "Bcc",
  "message-id": "Message-ID",
  "in-reply-to": "In-Reply-To",
  references: "References",
  subject: "Subject",
};

export type CheckedHeader = {
  block: HeaderBlock;
  /** The From mailboxes, in order (at least one). */
  from: string[];
  /** The Sender mailbox, when the message has one. */
  sender: string | null;
};

const malformed = (message: string) => new UserError("invalid_input", message, "message");

/**
 * Parses and checks the header of a message the account sends as one of
 * `allowed` (senderAddresses). Throws UserError "invalid_input" for a
 * malformed header and "forbidden" for a sender the account may not use,
 * each with the reason in words.
 */
export function checkSubmittedHeader(raw: Buffer, allowed: string[]): CheckedHeader {
  const parsed = parseStrictHeaderBlock(raw);
  if (!parsed.ok) throw malformed(parsed.problem);
  const { fields } = parsed.block;
  for (const [name, label] of Object.entries(SINGLE_FIELDS)) {
    const count = fields.filter((f) => f.name === name).length;
    if (count > 1) {
      throw malformed(
        `The message has ${count} ${label} fields; RFC 5322 section 3.6 allows one at most.`,
      );
    }
  }
  const fromField = fields.find((f) => f.name === "from");
  if (!fromField) throw malformed("The message has no From field.");
  const from = mailboxes(fromField.value, "From", allowed);
  const senderField = fields.find((f) => f.name === "sender");
  const sender = senderField ? mailboxes(senderField.value, "Sender", allowed) : null;
  if (sender && sender.length !== 1) throw malformed("The Sender field must hold one address.");
  // RFC 5322 §3.6.2: several authors need a Sender, the one who sent it.
  if (from.length > 1 && !sender) {
    throw malformed(
      "A From field with several addresses needs a Sender field (RFC 5322 section 3.6.2).",
    );
  }
  return { block: parsed.block, from, sender: sender?.[0] ?? null };
}

/**
 * The mailboxes of a From or Sender value, each one the account may send
 * as, and nothing in the value (name, comment, encoded word) that reads as
 * another address.
 */
function mailboxes(value: string, label: string, allowed: string[]): string[] {
  const text = headerValueText(value);
  const entries = addressparser(text);
  const out: string[] = [];
  for (const entry of entries) {
    if (!("address" in entry)) {
      throw malformed(`The ${label} field cannot hold a group (RFC 5322 section 3.6.2).`);
    }
    if (!entry.address) {
      throw malformed(`The ${label} field has an entry without an address.`);
    }
    const address = normalizeAddress(entry.address);
    if (!isSenderAddress(allowed, address)) {
      throw new UserError("forbidden", `You cannot send as ${address}.`, "from");
    }
    out.push(address);
  }
  if (out.length === 0) throw malformed(`The ${label} field has no address.`);
  const other = impersonatedAddress(allowed, text);
  if (other) {
    throw new UserError(
      "forbidden",
      `The ${label} field reads as ${other}, an address you cannot send as: a display name cannot be someone else's address.`,
      "from",
    );
  }
  return out;
}
