// Accepting a message from a signed-in user: the one path for the webmail
// composer and SMTP submission (RFC 6409). It checks who may send as whom,
// charges the sending limits, completes the message (Message-ID, Date, no
// Bcc), signs it with the domain's DKIM key, files the sender's Sent copy,
// delivers to hosted recipients through the same rules and store as inbound
// mail, and queues the rest for the relay, all in one transaction.
import { randomUUID } from "node:crypto";
import addressparser from "nodemailer/lib/addressparser/index.js";
import { loadConfig } from "../config/index.ts";
import { MAX_RECIPIENTS_PER_MESSAGE } from "../config/limits.ts";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import { normalizeAddress, splitAddress } from "../accounts/address.ts";
import { isSenderAddress, senderAddresses } from "../accounts/sender-addresses.ts";
import { signWithDomainKey } from "../dkim/sign.ts";
import { resolveRecipient, type AcceptedRecipient } from "../delivery/resolve-recipient.ts";
import { formatReceived } from "../delivery/trace-headers.ts";
import {
  findHeaderEnd,
  formatHeaderLines,
  formatRfc5322Date,
  headerValue,
  parseHeaderFields,
  type HeaderField,
} from "../mime/headers.ts";
import { emptyParsedMessage, parseMessage } from "../mime/parse-message.ts";
import { storeDelivery, type StoredCopy } from "../store/deliver.ts";
import { startVacationReplies } from "../delivery/vacation.ts";
import { chargeSendLimits } from "./send-limits.ts";

export type Submission = {
  accountId: string;
  /** Envelope sender; defaults to the From address. Must be the user's too. */
  mailFrom?: string;
  /** Envelope recipients (To, Cc and Bcc together). */
  recipients: string[];
  /** The message as the client wrote it (RFC 5322). */
  raw: Buffer;
  /** How it reached us, for the Received field. */
  via: {
    protocol: "webmail" | "smtp";
    clientIp: string;
    helo?: string;
    tls?: { protocol: string; cipher: string } | null;
  };
  /** Hold remote delivery until then (undo send, scheduled send). */
  notBefore?: Date;
  /**
   * Routes already decided for `recipients` (SMTP submission decides them at
   * RCPT time with routeSubmissionRecipient); decided here when absent.
   */
  routes?: SubmissionRoute[];
};

/** Where one recipient's copy goes: a hosted mailbox (by the inbound rules) or the relay queue. */
export type SubmissionRoute =
  | { kind: "local"; address: string; resolution: AcceptedRecipient }
  | { kind: "remote"; address: string };

export type SubmissionResult = {
  /** The Message-ID header of what was sent. */
  messageId: string;
  sentCopy: StoredCopy | null;
  localRecipients: string[];
  queuedRecipients: string[];
};

/** A recipient refused at submission, with the reason a user can act on. */
export class RecipientRefusedError extends UserError {
  constructor(
    readonly recipient: string,
    readonly reason:
      "unknown_user" | "account_disabled" | "over_quota" | "invalid_address" | "not_list_member",
    message: string,
  ) {
    super("invalid_input", message, "recipients");
    this.name = "RecipientRefusedError";
  }
}

const REASON_TEXT: Record<RecipientRefusedError["reason"], string> = {
  unknown_user: "no such mailbox here",
  account_disabled: "that mailbox is disabled",
  over_quota: "that mailbox is full",
  invalid_address: "not a valid address",
  not_list_member: "only members may post to that list",
};

/** The From address of a header block, or null. */
export function fromAddressOf(fields: HeaderField[]): string | null {
  const value = headerValue(fields, "from");
  if (!value) return null;
  const parsed = addressparser(value, { flatten: true });
  const first = parsed.find((a) => a.address);
  return first ? normalizeAddress(first.address) : null;
}

/**
 * Decides, for each envelope recipient, local delivery or the queue; throws
 * RecipientRefusedError for a hosted address that cannot take the message.
 * Exported so SMTP submission can refuse at RCPT time with the same rules.
 */
export async function routeSubmissionRecipient(
  address: string,
  mailFrom: string,
): Promise<SubmissionRoute> {
  const normalized = normalizeAddress(address);
  if (!splitAddress(normalized)) {
    throw new RecipientRefusedError(
      address,
      "invalid_address",
      `${address}: ${REASON_TEXT.invalid_address}`,
    );
  }
  const resolution = await resolveRecipient(normalized, { mailFrom });
  if (resolution.ok) return { kind: "local", address: normalized, resolution };
  // "relay_denied" means "not a domain we host": from a signed-in user that
  // is exactly what the relay queue is for.
  if (resolution.reason === "relay_denied") return { kind: "remote", address: normalized };
  const reason = resolution.reason;
  throw new RecipientRefusedError(normalized, reason, `${normalized}: ${REASON_TEXT[reason]}`);
}

export async function submitMessage(submission: Submission): Promise<SubmissionResult> {
  const config = loadConfig();
  const account = await db.account.findUnique({
    where: { id: submission.accountId },
    select: { id: true, address: true, disabled: true },
  });
  if (!account || account.disabled)
    throw new UserError("account_disabled", "This account cannot send mail.");

  const headerEnd = findHeaderEnd(submission.raw);
  if (headerEnd < 0) throw new UserError("invalid_input", "The message has no header section.");
  const fields = parseHeaderFields(submission.raw.subarray(0, headerEnd));
  const from = fromAddressOf(fields);
  if (!from) throw new UserError("invalid_input", "The message has no From address.");
  const allowed = await senderAddresses(account.id);
  if (!isSenderAddress(allowed, from)) {
    throw new UserError("forbidden", `You cannot send as ${from}.`, "from");
  }
  const mailFrom = normalizeAddress(submission.mailFrom ?? from);
  if (!isSenderAddress(allowed, mailFrom)) {
    throw new UserError("forbidden", `You cannot use ${mailFrom} as the sender.`, "from");
  }

  const recipients = [...new Set(submission.recipients.map(normalizeAddress))];
  if (recipients.length === 0)
    throw new UserError("invalid_input", "Add at least one recipient.", "recipients");
  if (recipients.length > MAX_RECIPIENTS_PER_MESSAGE) {
    throw new UserError(
      "invalid_input",
      `A message can have at most ${MAX_RECIPIENTS_PER_MESSAGE} recipients.`,
      "recipients",
    );
  }
  const routes =
    submission.routes ??
    (await Promise.all(recipients.map((r) => routeSubmissionRecipient(r, mailFrom))));
  await chargeSendLimits(account.id, recipients.length);

  const now = new Date();
  const raw = await completeMessage(submission, fields, headerEnd, from, now, config.hostname);
  const signed = await signWithDomainKey(raw, from.slice(from.lastIndexOf("@") + 1));
  let parsed;
  try {
    parsed = await parseMessage(signed);
  } catch {
    parsed = emptyParsedMessage();
  }

  const local = routes.filter((r) => r.kind === "local").map((r) => r.resolution);
  const localAccounts = [...new Set(local.flatMap((r) => r.accounts.map((a) => a.accountId)))];
  const remote = [
    ...routes.filter((r) => r.kind === "remote").map((r) => r.address),
    ...local.flatMap((r) => r.external),
  ];
  const queued = [...new Set(remote)];

  const copies = await storeDelivery({
    receivedAt: now,
    outboundAccountId: account.id,
    outboundNotBefore: submission.notBefore,
    sources: [
      {
        bytes: { kind: "memory", prefix: Buffer.alloc(0), body: signed },
        parsed,
        accountIds: localAccounts,
        filedCopies: [{ accountId: account.id, folder: "SENT" }],
        outbound: queued.map((recipient) => ({ recipient, mailFrom })),
        // postmaster@ while no admin can take it: kept for the first (resolve-recipient.ts).
        held: { recipients: local.filter((r) => r.held).map((r) => r.address), mailFrom },
      },
    ],
  });
  const headerFields = parseHeaderFields(signed.subarray(0, findHeaderEnd(signed)));
  // Hosted recipients on vacation answer a colleague as they answer the
  // internet (RFC 3834 rules in lib/delivery/vacation.ts), after the commit.
  startVacationReplies({ mailFrom, recipients: local, copies, fields: headerFields, parsed, now });
  return {
    messageId: headerValue(headerFields, "message-id") ?? "",
    sentCopy: copies.find((c) => c.accountId === account.id && c.folder === "SENT") ?? null,
    localRecipients: local.map((r) => r.address),
    queuedRecipients: queued,
  };
}

/**
 * Adds what a client may leave out (RFC 6409 §8: Message-ID, Date), removes
 * Bcc (RFC 5322 §3.6.3: it must not reach the recipients), and puts our
 * Received field on top.
 */
async function completeMessage(
  submission: Submission,
  fields: HeaderField[],
  headerEnd: number,
  from: string,
  now: Date,
  hostname: string,
): Promise<Buffer> {
  const head = submission.raw.subarray(0, headerEnd).toString("latin1");
  const body = submission.raw.subarray(headerEnd);
  // Drop Bcc fields with their folded continuation lines.
  const kept = head.replace(/^bcc:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*\r?\n/gim, "");
  const added: HeaderField[] = [
    {
      name: "Received",
      value: formatReceived({
        helo:
          submission.via.helo ?? (submission.via.protocol === "webmail" ? "webmail" : "unknown"),
        clientIp: submission.via.clientIp,
        clientHostname: null,
        hostname,
        esmtp: true,
        tls: submission.via.tls ?? null,
        authenticated: true,
        smtpUtf8: false,
        id: randomUUID().replaceAll("-", "").slice(0, 16),
        recipient: null,
        date: now,
      }),
    },
  ];
  const missing: HeaderField[] = [];
  if (!headerValue(fields, "message-id")) {
    missing.push({
      name: "Message-ID",
      value: `<${randomUUID()}@${from.slice(from.lastIndexOf("@") + 1)}>`,
    });
  }
  if (!headerValue(fields, "date")) missing.push({ name: "Date", value: formatRfc5322Date(now) });
  return Buffer.concat([
    formatHeaderLines(added),
    Buffer.from(kept.replace(/(\r?\n)+$/, "") + "\r\n", "latin1"),
    formatHeaderLines(missing),
    // The empty line that ends the header section (RFC 5322 §2.1).
    Buffer.from("\r\n"),
    body,
  ]);
}
