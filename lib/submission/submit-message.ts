// Accepting a message from a signed-in user: the one path for the webmail
// composer and SMTP submission (RFC 6409). It checks who may send as whom,
// charges the sending limits, completes the message (Message-ID, Date, no
// Bcc), signs it with the domain's DKIM key, files the sender's Sent copy,
// delivers to hosted recipients through the same rules and store as inbound
// mail, and queues the rest for the relay, all in one transaction.
import { randomUUID } from "node:crypto";
import { loadConfig } from "../config/index.ts";
import { MAX_RECIPIENTS_PER_MESSAGE } from "../config/limits.ts";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import { normalizeAddress, splitAddress } from "../accounts/address.ts";
import { isSenderAddress, senderAddresses } from "../accounts/sender-addresses.ts";
import { dkimSignatureField, formatSignedBlock } from "../dkim/sign.ts";
import { resolveRecipient, type AcceptedRecipient } from "../delivery/resolve-recipient.ts";
import { formatReceived } from "../delivery/trace-headers.ts";
import {
  formatRfc5322Date,
  headerValue,
  rawHeaderField,
  type HeaderBlock,
  type RawHeaderField,
} from "../mime/headers.ts";
import { emptyParsedMessage, parseMessage } from "../mime/parse-message.ts";
import { storeDelivery, type StoredCopy } from "../store/deliver.ts";
import { startVacationReplies } from "../delivery/vacation.ts";
import { checkSubmittedHeader } from "./check-header.ts";
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

  // One parse of the header: the checks below read it, the signature covers
  // it, and what is stored and sent is it, serialized again.
  const allowed = await senderAddresses(account.id);
  const checked = checkSubmittedHeader(submission.raw, allowed);
  const from = checked.from[0]!;
  const mailFrom = normalizeAddress(submission.mailFrom ?? checked.sender ?? from);
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
  const domain = from.slice(from.lastIndexOf("@") + 1);
  const block = completeMessage(submission, checked.block, domain, now, config.hostname);
  const signed = formatSignedBlock(block, await dkimSignatureField(block, domain, now));
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
  // Hosted recipients on vacation answer a colleague as they answer the
  // internet (RFC 3834 rules in lib/delivery/vacation.ts), after the commit.
  startVacationReplies({ mailFrom, recipients: local, copies, fields: block.fields, parsed, now });
  return {
    messageId: headerValue(block.fields, "message-id") ?? "",
    sentCopy: copies.find((c) => c.accountId === account.id && c.folder === "SENT") ?? null,
    localRecipients: local.map((r) => r.address),
    queuedRecipients: queued,
  };
}

/**
 * Adds what a client may leave out (RFC 6409 §8: Message-ID, Date), removes
 * Bcc (RFC 5322 §3.6.3: it must not reach the recipients), and puts our
 * Received field on top: the block that is signed and sent.
 */
function completeMessage(
  submission: Submission,
  block: HeaderBlock,
  domain: string,
  now: Date,
  hostname: string,
): HeaderBlock {
  const received = rawHeaderField(
    "Received",
    formatReceived({
      helo: submission.via.helo ?? (submission.via.protocol === "webmail" ? "webmail" : "unknown"),
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
  );
  const missing: RawHeaderField[] = [];
  if (!headerValue(block.fields, "message-id")) {
    missing.push(rawHeaderField("Message-ID", `<${randomUUID()}@${domain}>`));
  }
  if (!headerValue(block.fields, "date")) {
    missing.push(rawHeaderField("Date", formatRfc5322Date(now)));
  }
  return {
    fields: [received, ...block.fields.filter((f) => f.name !== "bcc"), ...missing],
    body: block.body,
  };
}
