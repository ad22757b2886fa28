// Attachment uploads of messages being written: stored per account until the
// message is sent, scheduled or saved and the composer lets go of them. Every
// query is scoped to the account: another account's upload id is "not found".
import { loadConfig } from "../config/index.ts";
import { db } from "../db.ts";
import { UserError } from "../errors.ts";
import type { OutgoingAttachment } from "./build-message.ts";

export type UploadInfo = {
  id: string;
  filename: string;
  contentType: string;
  size: number;
};

/** Uploads not sent after this long are swept: a composer idle for a day has its draft saved in Drafts. */
export const STALE_UPLOAD_MS = 24 * 60 * 60 * 1000;

/**
 * The largest attachment (and all attachments of one message together) that
 * still fits MAX_MESSAGE_BYTES once base64-encoded: 4/3 plus line breaks,
 * minus room for the headers and the body.
 */
export function maxAttachmentBytes(maxMessageBytes = loadConfig().maxMessageBytes): number {
  return Math.floor((maxMessageBytes - 64 * 1024) / 1.37);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// A MIME type as RFC 2045 §5.1 writes one, without parameters.
const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;

/** A file name safe to put in a header: no line breaks, controls or path, at most 200 characters. */
export function cleanFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, " ").trim();
  return (cleaned || "attachment").slice(0, 200);
}

export function cleanContentType(type: string): string {
  const t = type.split(";")[0]!.trim().toLowerCase();
  return CONTENT_TYPE.test(t) ? t : "application/octet-stream";
}

export async function saveUpload(
  accountId: string,
  file: { filename: string; contentType: string; content: Buffer },
): Promise<UploadInfo> {
  const limit = maxAttachmentBytes();
  if (file.content.length > limit) {
    throw new UserError(
      "too_large",
      `${cleanFilename(file.filename)} is ${formatBytes(file.content.length)}; attachments can be at most ${formatBytes(limit)}.`,
    );
  }
  const row = await db.composeUpload.create({
    data: {
      accountId,
      filename: cleanFilename(file.filename),
      contentType: cleanContentType(file.contentType),
      size: file.content.length,
      content: new Uint8Array(file.content),
    },
    select: { id: true, filename: true, contentType: true, size: true },
  });
  return row;
}

export async function deleteUpload(accountId: string, id: string): Promise<void> {
  await db.composeUpload.deleteMany({ where: { accountId, id } });
}

export async function deleteUploads(accountId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.composeUpload.deleteMany({ where: { accountId, id: { in: ids } } });
}

export async function getUploadOrThrow(
  accountId: string,
  id: string,
): Promise<UploadInfo & { content: Buffer }> {
  const row = await db.composeUpload.findUnique({ where: { accountId_id: { accountId, id } } });
  if (!row) throw new UserError("not_found", "No such attachment.");
  return {
    id: row.id,
    filename: row.filename,
    contentType: row.contentType,
    size: row.size,
    content: Buffer.from(row.content),
  };
}

export async function listUploads(accountId: string, ids: string[]): Promise<UploadInfo[]> {
  if (ids.length === 0) return [];
  const rows = await db.composeUpload.findMany({
    where: { accountId, id: { in: ids } },
    select: { id: true, filename: true, contentType: true, size: true },
  });
  return ids.flatMap((id) => rows.filter((r) => r.id === id));
}

/** The uploads' bytes in the given order; a missing one is a clear error, never a silent drop. */
export async function loadAttachments(
  accountId: string,
  ids: string[],
): Promise<OutgoingAttachment[]> {
  if (ids.length === 0) return [];
  const rows = await db.composeUpload.findMany({ where: { accountId, id: { in: ids } } });
  const total = rows.reduce((n, r) => n + r.size, 0);
  if (total > maxAttachmentBytes()) {
    throw new UserError(
      "too_large",
      `The attachments add up to ${formatBytes(total)}; a message can carry at most ${formatBytes(maxAttachmentBytes())}.`,
    );
  }
  return ids.map((id) => {
    const row = rows.find((r) => r.id === id);
    if (!row) {
      throw new UserError(
        "not_found",
        "An attachment is no longer available; remove it and attach it again.",
      );
    }
    return {
      id: row.id,
      filename: row.filename,
      contentType: row.contentType,
      content: Buffer.from(row.content),
    };
  });
}

/** Deletes uploads older than STALE_UPLOAD_MS (run by the scheduled-send worker). */
export async function sweepStaleUploads(now = new Date()): Promise<number> {
  const { count } = await db.composeUpload.deleteMany({
    where: { createdAt: { lt: new Date(now.getTime() - STALE_UPLOAD_MS) } },
  });
  return count;
}
