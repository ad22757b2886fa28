// Every SMTP reply the inbound server chooses itself, in one place: a lib
// reason (recipient rejection, delivery refusal, UserError code) maps to a
// reply code (RFC 5321 §4.2) and an enhanced status code (RFC 3463, RFC 2034).
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js";
import type { DeliveryRejection, RecipientRejection } from "../../lib/delivery/index.ts";
import { HEAD_BYTES } from "../../lib/delivery/spool.ts";
import { isUserError } from "../../lib/errors.ts";
import { RecipientRefusedError } from "../../lib/submission/submit-message.ts";

export type SmtpReply = { code: number; enhanced: string; text: string };

const RECIPIENT_REPLIES: Record<RecipientRejection, SmtpReply> = {
  // RFC 5321 §3.6.2 / §7.1: mail for other domains is not relayed for strangers.
  relay_denied: { code: 554, enhanced: "5.7.1", text: "Relay access denied" },
  unknown_user: { code: 550, enhanced: "5.1.1", text: "No such user here" },
  account_disabled: {
    code: 550,
    enhanced: "5.2.1",
    text: "Mailbox disabled, not accepting messages",
  },
  // 452 (not 552) so senders retry: RFC 5321 §4.5.3.1.10 and RFC 3463 X.2.2.
  over_quota: { code: 452, enhanced: "4.2.2", text: "Mailbox full, try again later" },
  not_list_member: {
    code: 550,
    enhanced: "5.7.1",
    text: "Only list members may post to this list",
  },
  invalid_address: { code: 553, enhanced: "5.1.3", text: "Bad recipient address syntax" },
};

const DELIVERY_REPLIES: Record<DeliveryRejection, SmtpReply> = {
  // RFC 5321 §6.3 and RFC 3463 X.4.6 (routing loop detected).
  mail_loop: { code: 554, enhanced: "5.4.6", text: "Too many Received headers: mail loop" },
  list_loop: {
    code: 554,
    enhanced: "5.4.6",
    text: "Message already went through this list: mail loop",
  },
  // RFC 1870 §6.3 and RFC 3463 X.3.4.
  too_large: { code: 552, enhanced: "5.3.4", text: "Message exceeds the size limit" },
  over_quota: { code: 452, enhanced: "4.2.2", text: "Mailbox full, try again later" },
  // RFC 3463 X.3.4: too big for this system, for its header section.
  header_too_large: {
    code: 552,
    enhanced: "5.3.4",
    text: `Message header section exceeds ${HEAD_BYTES / 1024} KiB`,
  },
  // RFC 3463 X.7.1: delivery not authorized, message refused (DMARC
  // p=reject, RFC 7489 §7.3; a forged hosted sender; a blocklisting). The
  // text is the verdict's reason, set by deliveryReply.
  policy_rejected: { code: 550, enhanced: "5.7.1", text: "Message refused by policy" },
};

// The MX's per-client limits (lib/spam/client-limits.ts, greylist.ts):
// temporary, so a real sender retries later (RFC 5321 §4.2.5); 421 also
// closes the connection (§3.8).
export const CLIENT_LIMIT_REPLIES = {
  tooManyConnections: {
    code: 421,
    enhanced: "4.7.0",
    text: "Too many connections from your address, try again later",
  },
  messageRate: {
    code: 451,
    enhanced: "4.7.1",
    text: "Too many messages from your network, try again later",
  },
  harvest: {
    code: 421,
    enhanced: "4.7.0",
    text: "Too many unknown recipients, closing connection",
  },
  // RFC 6647 §2.1: greylisting answers a temporary failure.
  greylisted: { code: 451, enhanced: "4.7.1", text: "Greylisted, please try again later" },
} satisfies Record<string, SmtpReply>;

/** Anything we could not do now (database down, commit failed): RFC 3463 X.3.0, the sender retries. */
export const TEMPORARY_FAILURE: SmtpReply = {
  code: 451,
  enhanced: "4.3.0",
  text: "Temporary local problem, try again later",
};

export function recipientReply(reason: RecipientRejection): SmtpReply {
  return RECIPIENT_REPLIES[reason];
}

/** The reply for a refusal; `detail` (a DeliveryError's words) replaces the text of a policy refusal. */
export function deliveryReply(reason: DeliveryRejection, detail?: string): SmtpReply {
  const reply = DELIVERY_REPLIES[reason];
  // Printable ASCII only, so the text cannot end the reply line (RFC 5321 §4.2).
  if (reason === "policy_rejected" && detail)
    return { ...reply, text: detail.replace(/[^\x20-\x7e]/g, "?") };
  return reply;
}

/** The reply for an error thrown by lib: user errors by code, anything else temporary. */
export function replyForError(error: unknown): SmtpReply {
  if (isUserError(error)) {
    if (error.code === "over_quota") return DELIVERY_REPLIES.over_quota;
    if (error.code === "too_large") return DELIVERY_REPLIES.too_large;
    if (error.code === "account_disabled") return RECIPIENT_REPLIES.account_disabled;
    if (error.code === "not_found") return RECIPIENT_REPLIES.unknown_user;
  }
  return TEMPORARY_FAILURE;
}

// Submission (RFC 6409) replies: the sender is known, so refusals name what
// the user can fix.
export const SUBMISSION_REPLIES = {
  // RFC 4954 §6: bad credentials, and the throttled case as a temporary
  // failure ("454 4.7.0 Temporary authentication failure"); its text is the
  // throttle's, which says how long to wait.
  badCredentials: { code: 535, enhanced: "5.7.8", text: "Authentication credentials invalid" },
  authThrottled: { code: 454, enhanced: "4.7.0", text: "Too many failed logins, try again later" },
  // RFC 6409 §6.1: the authenticated user may not use this sender address.
  senderNotOwned: {
    code: 553,
    enhanced: "5.7.1",
    text: "Sender address not owned by the authenticated user",
  },
  // Send limits: temporary, the client may try later (RFC 3463 X.7.1 policy).
  sendLimit: { code: 451, enhanced: "4.7.1", text: "Sending limit reached, try again later" },
} satisfies Record<string, SmtpReply>;

/** The reply for an error thrown by lib/submission (at RCPT or at DATA). */
export function submissionReplyForError(error: unknown): SmtpReply {
  if (error instanceof RecipientRefusedError) return recipientReply(error.reason);
  if (isUserError(error)) {
    // The reason in words; what came from the message is made printable
    // ASCII, so it cannot end the reply line (RFC 5321 §4.2).
    const text = error.message.replace(/[^\x20-\x7e]/g, "?");
    // RFC 3463 X.7.1: the From or Sender of the message is not the user's
    // to use (at DATA: the envelope sender was refused at MAIL, 553).
    if (error.code === "forbidden") return { code: 550, enhanced: "5.7.1", text };
    if (error.code === "throttled") return { ...SUBMISSION_REPLIES.sendLimit, text };
    // RFC 3463 X.6.0: the message itself is malformed (its header).
    if (error.code === "invalid_input" && error.field === "message")
      return { code: 554, enhanced: "5.6.0", text };
    if (error.code === "invalid_input") return { code: 550, enhanced: "5.6.0", text };
  }
  return replyForError(error);
}

export type SmtpServerError = Error & { responseCode: number };

/** The error a smtp-server hook passes to its callback to send `reply`. */
export function replyError(reply: SmtpReply): SmtpServerError {
  return Object.assign(new Error(`${reply.enhanced} ${reply.text}`), { responseCode: reply.code });
}

/** The text of a 250 reply to DATA (RFC 3463 X.0.0 is added by smtp-server). */
export function acceptedReply(id: string): string {
  return `Message accepted as ${id}`;
}

// smtp-server adds an enhanced status code to every reply by reply code
// alone (550 -> 5.1.1, 554 -> 5.6.0), and gives hooks no way to choose it:
// 550 5.2.1 or 554 5.7.1 are impossible. Our error texts start with the code
// they need, so a reply whose text starts with one is sent with that code
// and the automatic one is left out. Installed once per process.
const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3} /;
let installed = false;

export function installEnhancedStatusReplies(): void {
  if (installed) return;
  installed = true;
  const send = SMTPConnection.prototype.send;
  SMTPConnection.prototype.send = function (this: SMTPConnection, code, data, context) {
    if (
      typeof data === "string" &&
      context === undefined &&
      ENHANCED_PREFIX.test(data) &&
      data[0] === String(code)[0]
    ) {
      // false: no automatic code. With ENHANCEDSTATUSCODES hidden, the prefix goes too.
      const hidden = (
        this as unknown as { _server: { options: { hideENHANCEDSTATUSCODES?: boolean } } }
      )._server.options.hideENHANCEDSTATUSCODES;
      return send.call(this, code, hidden ? data.replace(ENHANCED_PREFIX, "") : data, false);
    }
    return send.call(this, code, data, context);
  };
}
