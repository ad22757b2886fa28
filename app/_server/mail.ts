import "server-only";
import { createHmac, timingSafeEqual } from "node:crypto";
import { cache } from "react";
import { notFound } from "next/navigation";
import { isUserError, UserError } from "@/lib/errors";
import { isSameOriginRequest } from "@/lib/http/request-origin";
import type { ConversationSummary } from "@/lib/store/list-conversations";
import { listMailboxes, type MailboxSummary } from "@/lib/store/read-mailboxes";
import { getCurrentAccount, requireAccount } from "./session";
import { originPolicy } from "./site-url";

export { originPolicy, siteUrl } from "./site-url";

// The webmail's server side: the signed-in account once per request, the
// DTOs client components receive (strings and numbers only: no Dates, no
// bigints, no Prisma rows), and the signed URLs of inline images.

/** requireAccount, once per request even when metadata and page both ask. */
export const currentAccount = cache(requireAccount);

/** The account's folders, once per request. */
export const currentMailboxes = cache(async (accountId: string) => listMailboxes(accountId));

export type FolderDto = {
  id: string;
  name: string;
  specialUse: string | null;
  unread: number;
  total: number;
};

export type MessageRowDto = {
  id: string;
  mailboxId: string;
  threadId: string;
  fromName: string;
  fromAddress: string;
  toName: string;
  subject: string;
  snippet: string;
  receivedAt: string;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  hasAttachments: boolean;
  /** IMAP keywords; the list shows the labels among them (label-context.tsx). */
  keywords: string[];
  pinned: boolean;
  /** ISO time a snoozed message comes back; null when not snoozed. */
  snoozedUntil: string | null;
  /** The row's thread in this folder (1 with conversations off): count, senders, ids. */
  messageCount: number;
  participants: string[];
  memberIds: string[];
};

export function toFolderDto(m: MailboxSummary): FolderDto {
  return {
    id: m.id,
    name: m.name,
    specialUse: m.specialUse,
    unread: m.unreadCount,
    total: m.messageCount,
  };
}

export function toRowDto(m: ConversationSummary): MessageRowDto {
  return {
    id: m.id,
    mailboxId: m.mailboxId,
    threadId: m.threadId,
    fromName: m.from.name,
    fromAddress: m.from.address,
    toName: m.firstTo ? m.firstTo.name || m.firstTo.address : "",
    subject: m.subject,
    snippet: m.snippet,
    receivedAt: m.receivedAt.toISOString(),
    seen: m.seen,
    flagged: m.flagged,
    answered: m.answered,
    hasAttachments: m.hasAttachments,
    keywords: m.keywords,
    pinned: m.pinned,
    snoozedUntil: m.snoozedUntil?.toISOString() ?? null,
    messageCount: m.messageCount,
    participants: m.participants,
    memberIds: m.memberIds,
  };
}

/** Runs a lib call; its UserError "not_found" becomes this page's 404. */
export async function orNotFound<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isUserError(error) && error.code === "not_found") notFound();
    throw error;
  }
}

/** HTTP status for a lib error in route handlers (the one place codes map to HTTP). */
export function httpStatusFor(error: unknown): number {
  if (!isUserError(error)) return 500;
  switch (error.code) {
    case "not_found":
      return 404;
    case "forbidden":
      return 403;
    case "throttled":
      return 429;
    case "too_large":
      return 413;
    default:
      return 400;
  }
}

/** A plain-text error response for route handlers; server faults are logged, not shown. */
export function errorResponse(error: unknown): Response {
  const status = httpStatusFor(error);
  if (status === 500) console.error("web: request failed", error);
  const body = status === 500 ? "Internal error" : (error as Error).message;
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
  });
}

/**
 * For every state-changing route handler: a 403 when another site's page
 * made the browser send the request (with the user's cookie), else null.
 * The rule is lib/http/request-origin.ts isSameOriginRequest.
 */
export function refuseCrossSite(request: Request): Response | null {
  if (isSameOriginRequest(request.headers, originPolicy())) return null;
  return errorResponse(new UserError("forbidden", "Cross-site request refused."));
}

/** For route handlers: the signed-in account's id, or null (answer 401). */
export async function sessionAccountId(): Promise<string | null> {
  return (await getCurrentAccount())?.id ?? null;
}

/**
 * For route handlers that change state from a JSON body: the signed-in
 * account and the parsed body, or the response refusing the request (401
 * anonymous, 403 from another site's page, 400 not JSON). JSON only: a
 * cross-site HTML form cannot send it without a CORS preflight.
 */
export async function readJsonChange(
  request: Request,
  what: string,
): Promise<{ accountId: string; input: unknown } | Response> {
  const accountId = await sessionAccountId();
  if (!accountId) return new Response("Sign in first.", { status: 401 });
  const crossSite = refuseCrossSite(request);
  if (crossSite) return crossSite;
  const invalid = (message: string) => errorResponse(new UserError("invalid_input", message));
  if (!request.headers.get("content-type")?.startsWith("application/json")) {
    return invalid(`Send the ${what} as application/json.`);
  }
  try {
    return { accountId, input: await request.json() };
  } catch {
    return invalid("That request was not valid JSON.");
  }
}

// Inline images in a message frame are fetched by a sandboxed document with
// an opaque origin: browsers treat those requests as cross-site and do not
// send the (SameSite=Lax) session cookie. So the frame's image URLs carry a
// signature instead: an HMAC over account, message, part and expiry with the
// server's secret, good for a few hours, worthless for any other part.
const INLINE_URL_LIFETIME_SECONDS = 12 * 60 * 60;

function secret(): string {
  const value = process.env.NEXTAUTH_SECRET;
  if (!value) throw new Error("NEXTAUTH_SECRET is not set");
  return value;
}

function signature(accountId: string, messageId: string, index: number, expires: number): string {
  return createHmac("sha256", secret())
    .update(`inline-part\n${accountId}\n${messageId}\n${index}\n${expires}`)
    .digest("base64url");
}

export function signedInlinePartUrl(accountId: string, messageId: string, index: number): string {
  const expires = Math.floor(Date.now() / 1000) + INLINE_URL_LIFETIME_SECONDS;
  const sig = signature(accountId, messageId, index, expires);
  const query = new URLSearchParams({ inline: "1", a: accountId, exp: String(expires), sig });
  return `/api/messages/${messageId}/attachments/${index}?${query}`;
}

/** The account a signed inline-part URL was made for, or null if it is not valid now. */
export function verifyInlinePartUrl(
  params: URLSearchParams,
  messageId: string,
  index: number,
): string | null {
  const accountId = params.get("a");
  const expires = Number(params.get("exp"));
  const sig = params.get("sig");
  if (!accountId || !sig || !Number.isSafeInteger(expires)) return null;
  if (expires < Date.now() / 1000) return null;
  const expected = Buffer.from(signature(accountId, messageId, index, expires));
  const given = Buffer.from(sig);
  return expected.length === given.length && timingSafeEqual(expected, given) ? accountId : null;
}
