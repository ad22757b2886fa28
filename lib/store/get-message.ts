// Reading one message and its conversation, its HTML, its raw source and its
// attachments. Every query is filtered by accountId: another account's
// message id is "not found", exactly like an id that never existed.
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import { extractAttachment } from "../mime/extract-attachment.ts";
import { hasRemoteContent } from "../mime/remote-content.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { isUuid, type Address } from "./list-messages.ts";

export type AttachmentInfo = {
  index: number;
  filename: string | null;
  contentType: string;
  size: number;
  contentId: string | null;
  inline: boolean;
};

export type MessageDetail = {
  id: string;
  mailboxId: string;
  mailboxName: string;
  mailboxSpecialUse: string | null;
  threadId: string;
  from: Address;
  to: Address[];
  cc: Address[];
  subject: string;
  /** The Date header, or the arrival time when it has none. */
  date: Date;
  receivedAt: Date;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  size: number;
  /** The list's preview line (lib/mime/parse-message.ts), shown while the message is collapsed. */
  snippet: string;
  text: string;
  hasHtml: boolean;
  /** The HTML refers to remote images or styles (the "Show images" bar). */
  remoteContent: boolean;
  attachments: AttachmentInfo[];
  /**
   * Mail from outside that claims a hosted sender without SPF or DKIM for
   * it: the address it claims (the reading pane warns); null otherwise.
   */
  claimedLocalSender: string | null;
  /**
   * Why the MX filed it as Junk, in words (Message.spamVerdict's reasons
   * that asked for Junk), for the reading pane; empty when nothing did.
   */
  junkReasons: string[];
};

/** Messages shown in one conversation at most (the newest ones). */
export const MAX_CONVERSATION_MESSAGES = 100;
// Plain text shown per message: more than this is a log file, not a letter,
// and "View original" still shows all of it.
const MAX_TEXT_CHARS = 500_000;

type DetailRow = {
  id: string;
  mailboxId: string;
  mailboxName: string;
  specialUse: string | null;
  threadId: string;
  fromName: string;
  fromAddress: string;
  toList: unknown;
  ccList: unknown;
  subject: string;
  sentAt: Date | null;
  receivedAt: Date;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  size: number;
  snippet: string;
  text: string;
  html: string | null;
  attachments: unknown;
  claimedLocalSender: string | null;
  spamVerdict: unknown;
};

/** The reasons of a stored verdict (lib/spam/verdict.ts SpamVerdict) that asked for Junk or refusal. */
function junkReasonsOf(verdict: unknown): string[] {
  const reasons = (verdict as { reasons?: unknown } | null)?.reasons;
  if (!Array.isArray(reasons)) return [];
  return reasons
    .filter((r): r is { action: string; text: string } => typeof r?.text === "string")
    .filter((r) => r.action === "junk" || r.action === "reject")
    .map((r) => r.text);
}

function addresses(value: unknown): Address[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null)
    .map((v) => ({
      name: typeof v.name === "string" ? v.name : "",
      address: typeof v.address === "string" ? v.address : "",
    }));
}

function toDetail(row: DetailRow): MessageDetail {
  const attachments = (Array.isArray(row.attachments) ? row.attachments : []) as AttachmentInfo[];
  return {
    id: row.id,
    mailboxId: row.mailboxId,
    mailboxName: row.mailboxName,
    mailboxSpecialUse: row.specialUse,
    threadId: row.threadId,
    from: { name: row.fromName, address: row.fromAddress },
    to: addresses(row.toList),
    cc: addresses(row.ccList),
    subject: row.subject,
    date: row.sentAt ?? row.receivedAt,
    receivedAt: row.receivedAt,
    seen: row.seen,
    flagged: row.flagged,
    answered: row.answered,
    size: Number(row.size),
    snippet: row.snippet,
    text: row.text,
    hasHtml: row.html !== null && row.html.trim() !== "",
    remoteContent: row.html !== null && hasRemoteContent(row.html),
    attachments,
    claimedLocalSender: row.claimedLocalSender,
    junkReasons: junkReasonsOf(row.spamVerdict),
  };
}

/**
 * The conversation the message belongs to: the messages of its thread in
 * every folder but Trash and Junk (so the user's replies in Sent are there),
 * plus the message itself wherever it is; oldest first, at most the newest
 * MAX_CONVERSATION_MESSAGES. The SQL is exported for the benchmark.
 */
export function conversationSql(accountId: string, messageId: string): Prisma.Sql {
  return Prisma.sql`
    SELECT m."id"::text AS "id", m."mailboxId"::text AS "mailboxId", b."name" AS "mailboxName",
      b."specialUse"::text AS "specialUse", m."threadId"::text AS "threadId", m."fromName", m."fromAddress",
      m."toList", m."ccList", m."subject", m."sentAt", m."receivedAt", m."seen", m."flagged", m."answered",
      m."size", m."snippet", left(s."textBody", ${MAX_TEXT_CHARS}::int) AS "text", s."htmlBody" AS "html",
      m."claimedLocalSender", m."spamVerdict",
      COALESCE((SELECT json_agg(json_build_object('index', a."index", 'filename', a."filename",
          'contentType', a."contentType", 'size', a."size", 'contentId', a."contentId", 'inline', a."inline")
        ORDER BY a."index") FROM "Attachment" a WHERE a."sourceSha256" = m."sourceSha256"), '[]'::json) AS "attachments"
    FROM "Message" o
    JOIN "Message" m ON m."accountId" = o."accountId" AND m."threadId" = o."threadId"
    JOIN "Mailbox" b ON b."accountId" = m."accountId" AND b."id" = m."mailboxId"
    JOIN "MessageSource" s ON s."sha256" = m."sourceSha256"
    WHERE o."accountId" = ${accountId}::uuid AND o."id" = ${messageId}::uuid
      AND (m."id" = o."id" OR b."specialUse" IS NULL OR b."specialUse" NOT IN ('TRASH', 'JUNK'))
    ORDER BY m."receivedAt" DESC, m."id" DESC
    LIMIT ${MAX_CONVERSATION_MESSAGES}`;
}

/** The conversation of one of the account's messages; UserError "not_found" otherwise. */
export async function getConversation(
  accountId: string,
  messageId: string,
): Promise<MessageDetail[]> {
  if (!isUuid(messageId)) throw new UserError("not_found", "No such message.");
  const rows = await db.$queryRaw<DetailRow[]>(conversationSql(accountId, messageId));
  if (rows.length === 0) throw new UserError("not_found", "No such message.");
  return rows.reverse().map(toDetail);
}

/** One message with its body; UserError "not_found" unless it is the account's. */
export async function getMessageOrThrow(
  accountId: string,
  messageId: string,
): Promise<MessageDetail> {
  const conversation = await getConversation(accountId, messageId);
  return conversation.find((m) => m.id === messageId)!;
}

export type MessageHtml = {
  html: string | null;
  fromAddress: string;
  attachments: AttachmentInfo[];
};

/** The raw (unsanitized) HTML body, for the message frame to sanitize. */
export async function getMessageHtmlOrThrow(
  accountId: string,
  messageId: string,
): Promise<MessageHtml> {
  if (!isUuid(messageId)) throw new UserError("not_found", "No such message.");
  const [row] = await db.$queryRaw<
    { html: string | null; fromAddress: string; attachments: unknown }[]
  >`
    SELECT s."htmlBody" AS "html", m."fromAddress",
      COALESCE((SELECT json_agg(json_build_object('index', a."index", 'filename', a."filename",
          'contentType', a."contentType", 'size', a."size", 'contentId', a."contentId", 'inline', a."inline")
        ORDER BY a."index") FROM "Attachment" a WHERE a."sourceSha256" = m."sourceSha256"), '[]'::json) AS "attachments"
    FROM "Message" m JOIN "MessageSource" s ON s."sha256" = m."sourceSha256"
    WHERE m."accountId" = ${accountId}::uuid AND m."id" = ${messageId}::uuid`;
  if (!row) throw new UserError("not_found", "No such message.");
  return {
    html: row.html,
    fromAddress: row.fromAddress,
    attachments: (Array.isArray(row.attachments) ? row.attachments : []) as AttachmentInfo[],
  };
}

/** The message exactly as stored (RFC 5322 bytes), for "View original". */
export async function getRawMessageOrThrow(
  accountId: string,
  messageId: string,
): Promise<{ raw: Buffer; subject: string }> {
  if (!isUuid(messageId)) throw new UserError("not_found", "No such message.");
  const [row] = await db.$queryRaw<{ raw: Uint8Array; subject: string }[]>`
    SELECT s."raw", m."subject" FROM "Message" m JOIN "MessageSource" s ON s."sha256" = m."sourceSha256"
    WHERE m."accountId" = ${accountId}::uuid AND m."id" = ${messageId}::uuid`;
  if (!row) throw new UserError("not_found", "No such message.");
  return { raw: Buffer.from(row.raw), subject: row.subject };
}

/** One attachment's metadata and decoded bytes; UserError "not_found" otherwise. */
export async function getAttachmentOrThrow(
  accountId: string,
  messageId: string,
  index: number,
): Promise<AttachmentInfo & { content: Buffer }> {
  if (!isUuid(messageId) || !Number.isInteger(index) || index < 0) {
    throw new UserError("not_found", "No such attachment.");
  }
  const [row] = await db.$queryRaw<(AttachmentInfo & { raw: Uint8Array })[]>`
    SELECT a."index", a."filename", a."contentType", a."size", a."contentId", a."inline", s."raw"
    FROM "Message" m
    JOIN "Attachment" a ON a."sourceSha256" = m."sourceSha256" AND a."index" = ${index}::int
    JOIN "MessageSource" s ON s."sha256" = m."sourceSha256"
    WHERE m."accountId" = ${accountId}::uuid AND m."id" = ${messageId}::uuid`;
  if (!row) throw new UserError("not_found", "No such attachment.");
  const content = await extractAttachment(Buffer.from(row.raw), index);
  if (!content) throw new UserError("not_found", "No such attachment.");
  const { raw: _raw, ...info } = row;
  return { ...info, content };
}
