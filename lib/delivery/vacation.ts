// The vacation responder (RFC 3834): after an inbound delivery committed,
// each recipient account whose auto-reply is on answers the envelope sender,
// at most once per sender per the account's interval. The rules of when NOT
// to answer (lists, bulk, robots, automatic mail, null senders, mail not
// addressed to the user, the user's own mail) live here; composing is
// lib/mime/compose-auto-reply.ts, sending is lib/queue/send-null-sender.ts
// (the same store and relay queue as every other message).
import {
  displayNameProblem,
  isSenderAddress,
  senderAddresses,
} from "../accounts/sender-addresses.ts";
import { normalizeAddress, splitAddress } from "../accounts/address.ts";
import type { VacationSettings } from "../accounts/user-settings.ts";
import { query, sql } from "../db/sql.ts";
import { signWithDomainKey } from "../dkim/sign.ts";
import { composeAutoReply } from "../mime/compose-auto-reply.ts";
import { headerValue, type HeaderField } from "../mime/headers.ts";
import type { ParsedMessage } from "../mime/parse-message.ts";
import { sendNullSenderMessage } from "../queue/send-null-sender.ts";
import type { StoredCopy } from "../store/deliver.ts";
import type { AcceptedRecipient } from "./resolve-recipient.ts";

export type VacationTrigger = {
  /** Envelope sender (MAIL FROM); "" for the null reverse-path. */
  mailFrom: string;
  recipients: AcceptedRecipient[];
  /** What the delivery stored: only accounts that got the message answer. */
  copies: StoredCopy[];
  /** The original's header fields (unfolded, names lower-cased). */
  fields: HeaderField[];
  parsed: ParsedMessage;
  now: Date;
};

export type VacationReplySent = { accountId: string; to: string; messageId: string };

// RFC 3834 §2 names owner-*, *-request, MAILER-DAEMON, LISTSERV and
// majordomo as senders a responder must not answer; the rest are the
// do-not-reply addresses of notification robots.
const ROBOT_LOCAL_PART =
  /^(mailer-daemon|postmaster|listserv|majordomo|owner-.*|.*-request|.*-owner|.*-bounces?|bounces?(\+.*)?|no-?reply.*|do-?not-?reply.*|noreply-.*)$/;

/**
 * Why the message must not be answered at all (RFC 3834 §2), or null. Pure:
 * looks at the envelope sender and the original's header fields only.
 */
export function vacationRefusal(mailFrom: string, fields: HeaderField[]): string | null {
  if (mailFrom === "") return "null sender";
  const sender = splitAddress(mailFrom);
  if (!sender) return "unreadable sender";
  if (ROBOT_LOCAL_PART.test(sender.localPart)) return "robot sender";
  // RFC 3834 §5.1: anything but "no" is automatic mail.
  const autoSubmitted = headerValue(fields, "auto-submitted");
  if (autoSubmitted !== undefined && autoSubmitted.split(";")[0]!.trim().toLowerCase() !== "no") {
    return "automatic message";
  }
  // RFC 2369 / RFC 2919 list fields mark list traffic.
  if (fields.some((f) => f.name.startsWith("list-"))) return "list message";
  const precedence = headerValue(fields, "precedence")?.trim().toLowerCase();
  if (precedence === "bulk" || precedence === "list" || precedence === "junk") {
    return "bulk message";
  }
  // Exchange's own "do not auto-reply to this" marker, and other responders' tags.
  const suppress = headerValue(fields, "x-auto-response-suppress")?.toLowerCase() ?? "";
  if (/\b(all|oof|autoreply)\b/.test(suppress)) return "automatic message";
  if (fields.some((f) => f.name === "x-autoreply" || f.name === "x-autorespond")) {
    return "automatic message";
  }
  return null;
}

/** Today's calendar date (YYYY-MM-DD) in `timeZone`. */
function dateIn(now: Date, timeZone: string): string {
  try {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    }).formatToParts(now);
    const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
    return `${part("year")}-${part("month")}-${part("day")}`;
  } catch {
    return now.toISOString().slice(0, 10);
  }
}

type ResponderRow = Omit<VacationSettings, "enabled"> & {
  accountId: string;
  address: string;
  displayName: string;
};

// Replies started and not yet finished in this process; only so shutdown and
// tests can wait for them (the per-sender limit itself is in the database).
const pending = new Set<Promise<unknown>>();

/**
 * Starts the vacation replies owed for a committed delivery and returns at
 * once: an auto-reply never delays or fails the delivery it answers.
 * Failures are logged.
 */
export function startVacationReplies(
  trigger: VacationTrigger,
  log: (line: string) => void = console.error,
): void {
  const work = sendVacationReplies(trigger).catch((error: unknown) =>
    log(`vacation reply failed: ${(error as Error).message}`),
  );
  pending.add(work);
  void work.finally(() => pending.delete(work));
}

/** Resolves once the replies started so far have been stored or queued. */
export async function vacationRepliesSettled(): Promise<void> {
  while (pending.size) await Promise.allSettled([...pending]);
}

/** Sends the replies a delivery calls for; returns what was sent. */
export async function sendVacationReplies(trigger: VacationTrigger): Promise<VacationReplySent[]> {
  if (vacationRefusal(trigger.mailFrom, trigger.fields)) return [];
  // List copies are list traffic (they carry our List-Id): only accounts
  // reached directly or through an alias answer, and only if stored.
  const stored = new Set(
    trigger.copies.filter((c) => c.folder === "INBOX").map((c) => c.accountId),
  );
  const direct = new Set(
    trigger.recipients
      .filter((r) => !r.list)
      .flatMap((r) => r.accounts.filter((a) => a.autoReply).map((a) => a.accountId))
      .filter((id) => stored.has(id)),
  );
  if (direct.size === 0) return [];

  const responders = await query<ResponderRow>(sql`
    SELECT v."accountId", a."address", a."displayName", v."subject", v."body", v."startDate",
      v."endDate", v."timeZone", v."replyIntervalDays"
    FROM "VacationResponder" v JOIN "Account" a ON a."id" = v."accountId"
    WHERE v."accountId" = ANY(${[...direct]}::uuid[]) AND v."enabled" AND NOT a."disabled"`);
  const sent: VacationReplySent[] = [];
  for (const responder of responders) {
    const reply = await answer(responder, trigger);
    if (reply) sent.push(reply);
  }
  return sent;
}

async function answer(
  responder: ResponderRow,
  trigger: VacationTrigger,
): Promise<VacationReplySent | null> {
  const today = dateIn(trigger.now, responder.timeZone);
  if (responder.startDate && today < responder.startDate) return null;
  if (responder.endDate && today > responder.endDate) return null;

  const own = await senderAddresses(responder.accountId);
  // RFC 3834 §2: answer only mail that names the user in To or Cc (not Bcc,
  // not lists or aliases they are merely behind), and never the user's own.
  const addressed = [...trigger.parsed.to, ...trigger.parsed.cc].some(
    (a) => a.address && isSenderAddress(own, a.address),
  );
  if (!addressed) return null;
  const from = trigger.parsed.from?.address ?? "";
  if (isSenderAddress(own, trigger.mailFrom) || (from && isSenderAddress(own, from))) return null;

  const recipient = normalizeAddress(trigger.mailFrom);
  if (!(await claimReply(responder, recipient, trigger.now))) return null;
  try {
    const { raw, messageId } = await composeAutoReply({
      // A name saved before names were checked, that reads as another
      // address, is left out rather than sent (sender-addresses.ts).
      from: {
        name: displayNameProblem(own, responder.displayName) ? "" : responder.displayName,
        address: responder.address,
      },
      to: recipient,
      subject: responder.subject,
      originalSubject: trigger.parsed.subject,
      body: responder.body,
      originalMessageId: trigger.parsed.messageId,
      originalReferences: trigger.parsed.references,
      date: trigger.now,
    });
    const domain = responder.address.slice(responder.address.lastIndexOf("@") + 1);
    const signed = await signWithDomainKey(raw, domain);
    // RFC 3834 §3.3: sent with the null reverse-path, so nothing bounces back
    // to the responder and other responders see it is automatic.
    const outcome = await sendNullSenderMessage(signed, recipient, { receivedAt: trigger.now });
    if (outcome.kind === "dropped") return null;
    return { accountId: responder.accountId, to: recipient, messageId };
  } catch (error) {
    // Not answered after all: let the next message from this sender try again.
    await query(sql`
      DELETE FROM "VacationReply" WHERE "accountId" = ${responder.accountId}::uuid
        AND "sender" = ${recipient}`).catch(() => {});
    throw error;
  }
}

/**
 * Records that `sender` is being answered now, unless they were answered
 * within the interval: one statement, so two gateway instances delivering
 * two messages from the same sender at once send one reply. Also forgets the
 * account's answers older than the interval, which keeps the table small.
 */
async function claimReply(responder: ResponderRow, sender: string, now: Date): Promise<boolean> {
  const since = new Date(now.getTime() - responder.replyIntervalDays * 24 * 60 * 60 * 1000);
  const claimed = await query(sql`
    INSERT INTO "VacationReply" ("accountId", "sender", "repliedAt")
    VALUES (${responder.accountId}::uuid, ${sender}, ${now})
    ON CONFLICT ("accountId", "sender") DO UPDATE SET "repliedAt" = EXCLUDED."repliedAt"
      WHERE "VacationReply"."repliedAt" <= ${since}
    RETURNING 1`);
  if (claimed.length === 0) return false;
  await query(sql`
    DELETE FROM "VacationReply" WHERE "accountId" = ${responder.accountId}::uuid
      AND "repliedAt" <= ${since}`);
  return true;
}
