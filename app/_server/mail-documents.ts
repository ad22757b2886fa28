import "server-only";
import { createHash } from "node:crypto";
import { sanitizeEmailHtml } from "@/lib/mime/sanitize-html";
import type { AttachmentInfo } from "@/lib/store/get-message";
import { requestOrigin as originOf } from "@/lib/http/request-origin";
import { originPolicy, signedInlinePartUrl } from "./mail";

// The documents the webmail serves for message content it did not write:
// the HTML body frame, the print view, attachments and the raw source. Each
// goes out with headers that keep it from running script or loading from
// elsewhere even if the sanitizer missed something.

/** Headers every such response carries. */
export const CONTENT_SAFETY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-dns-prefetch-control": "off",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "private, no-store",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * This app's origin as the browser sees it, for img-src beside 'self' (the
 * sandboxed frame's own origin is opaque). An odd Host gives ''.
 */
export function requestOrigin(request: Request): string {
  return originOf(request.headers, originPolicy()) ?? "";
}

/** Sanitizes a body with its cid: parts pointing at signed attachment URLs. */
export function sanitizeMessageBody(
  html: string,
  accountId: string,
  messageId: string,
  attachments: AttachmentInfo[],
): string {
  const byCid = new Map<string, number>();
  for (const a of attachments) {
    if (a.contentId) byCid.set(a.contentId.replace(/^<|>$/g, "").toLowerCase(), a.index);
  }
  return sanitizeEmailHtml(html, {
    resolveCid: (cid) => {
      const index = byCid.get(cid.toLowerCase());
      return index === undefined ? null : signedInlinePartUrl(accountId, messageId, index);
    },
  });
}

/**
 * The CSP of a message's HTML: nothing runs, styles only inline, images only
 * from data: and this app (its inline parts) unless remote images were
 * allowed. The sandbox repeats the iframe's, so the document is just as
 * inert when opened on its own.
 */
export function frameCsp(origin: string, remoteImages: boolean): string {
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `img-src data: 'self'${origin ? ` ${origin}` : ""}${remoteImages ? " http: https:" : ""}`,
    "frame-ancestors 'self'",
    "form-action 'none'",
    "base-uri 'none'",
    "sandbox allow-popups allow-popups-to-escape-sandbox",
  ].join("; ");
}

const FRAME_STYLE = `html{background:#fff;color:#1b1d21;color-scheme:light}
body{margin:0;padding:16px;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;overflow-wrap:anywhere}
img{max-width:100%;height:auto}pre{white-space:pre-wrap}`;

export function frameDocument(sanitizedBody: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><style>${FRAME_STYLE}</style></head><body>${sanitizedBody}</body></html>`;
}

// The print view's one script. Allowed by its hash alone: the sanitized body
// cannot carry a script, and if it did, the CSP would not run it.
export const PRINT_SCRIPT = "window.print();";
const PRINT_SCRIPT_HASH = createHash("sha256").update(PRINT_SCRIPT).digest("base64");

export function printCsp(origin: string): string {
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `img-src data: 'self'${origin ? ` ${origin}` : ""}`,
    `script-src 'sha256-${PRINT_SCRIPT_HASH}'`,
    "frame-ancestors 'none'",
    "form-action 'none'",
    "base-uri 'none'",
    // An opaque origin: even a script that ran could not reach the mailbox.
    "sandbox allow-scripts allow-modals allow-popups allow-popups-to-escape-sandbox",
  ].join("; ");
}

const TOKEN = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

/** The declared type if it is a well-formed type/subtype, else octet-stream. */
export function safeContentType(contentType: string): string {
  const type = contentType.toLowerCase().split(";")[0]!.trim();
  return TOKEN.test(type) && type.length <= 100 ? type : "application/octet-stream";
}

// Types shown in the browser ("Preview"): raster images and PDF. Never SVG
// or HTML, which run script when opened as documents.
const PREVIEWABLE = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "image/avif",
  "image/bmp",
  "application/pdf",
]);

export function isPreviewable(contentType: string): boolean {
  return PREVIEWABLE.has(safeContentType(contentType));
}

/** RFC 6266 Content-Disposition with an ASCII fallback and the UTF-8 name. */
export function contentDisposition(kind: "inline" | "attachment", filename: string): string {
  const cleaned = filename.replace(/[\u0000-\u001f\u007f/\\]/g, "_").trim() || "attachment";
  const ascii = cleaned.replace(/[^\x20-\x7e]/g, "_").replace(/["%;]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(cleaned)}`;
}
