// GET /api/messages/:id/attachments/:index – one attachment: a download, or
// with ?inline=1 a preview (raster images and PDF only). Inline parts of a
// message frame come with a signed URL instead of the session cookie (see
// app/_server/mail.ts).
import { getAttachmentOrThrow } from "@/lib/store/get-message";
import { errorResponse, sessionAccountId, verifyInlinePartUrl } from "@/app/_server/mail";
import {
  CONTENT_SAFETY_HEADERS,
  contentDisposition,
  isPreviewable,
  safeContentType,
} from "@/app/_server/mail-documents";

export const dynamic = "force-dynamic";

// Whatever the file is, it runs nothing and loads nothing when opened here.
const ATTACHMENT_CSP =
  "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'";

export async function GET(
  request: Request,
  { params }: { params: Promise<{ id: string; index: string }> },
) {
  const { id, index: indexText } = await params;
  const index = /^\d{1,4}$/.test(indexText) ? Number(indexText) : -1;
  const search = new URL(request.url).searchParams;
  const accountId = search.has("sig")
    ? verifyInlinePartUrl(search, id, index)
    : await sessionAccountId();
  if (!accountId) return new Response("Sign in first.", { status: 401 });
  try {
    const part = await getAttachmentOrThrow(accountId, id, index);
    const inline = search.get("inline") === "1" && isPreviewable(part.contentType);
    const type = safeContentType(part.contentType);
    return new Response(new Uint8Array(part.content), {
      headers: {
        ...CONTENT_SAFETY_HEADERS,
        "content-type": inline
          ? type
          : type.startsWith("text/")
            ? "text/plain; charset=utf-8"
            : type,
        "content-length": String(part.content.length),
        "content-disposition": contentDisposition(
          inline ? "inline" : "attachment",
          part.filename ?? `part-${index}`,
        ),
        "content-security-policy": ATTACHMENT_CSP,
        // Signed inline parts are fetched by the opaque-origin message frame.
        "cross-origin-resource-policy": search.has("sig") ? "cross-origin" : "same-origin",
      },
    });
  } catch (error) {
    return errorResponse(error);
  }
}
