// GET /api/compose/uploads/:id – an upload back to its owner (the editor
// shows inline images from here); DELETE – removes it (attachment removed or
// upload cancelled in the composer).
import { deleteUpload, getUploadOrThrow } from "@/lib/compose/uploads";
import { isUuid } from "@/lib/store/list-messages";
import { errorResponse, refuseCrossSite, sessionAccountId } from "@/app/_server/mail";
import {
  CONTENT_SAFETY_HEADERS,
  contentDisposition,
  isPreviewable,
  safeContentType,
} from "@/app/_server/mail-documents";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ id: string }> };

/** The signed-in account and the upload id, or the response refusing the request. */
async function authorize(
  params: Params["params"],
): Promise<{ accountId: string; id: string } | Response> {
  const accountId = await sessionAccountId();
  if (!accountId) return new Response("Sign in first.", { status: 401 });
  const { id } = await params;
  if (!isUuid(id)) return new Response("No such attachment.", { status: 404 });
  return { accountId, id };
}

export async function GET(_request: Request, { params }: Params) {
  const who = await authorize(params);
  if (who instanceof Response) return who;
  const { accountId, id } = who;
  try {
    const upload = await getUploadOrThrow(accountId, id);
    const inline = isPreviewable(upload.contentType);
    return new Response(new Uint8Array(upload.content), {
      headers: {
        ...CONTENT_SAFETY_HEADERS,
        "content-type": inline ? safeContentType(upload.contentType) : "application/octet-stream",
        "content-length": String(upload.size),
        "content-disposition": contentDisposition(
          inline ? "inline" : "attachment",
          upload.filename,
        ),
        "content-security-policy": "sandbox; default-src 'none'",
        "cross-origin-resource-policy": "same-origin",
        "cache-control": "private, max-age=3600",
      },
    });
  } catch (error) {
    return errorResponse(error);
  }
}

export async function DELETE(request: Request, { params }: Params) {
  const who = await authorize(params);
  if (who instanceof Response) return who;
  const crossSite = refuseCrossSite(request);
  if (crossSite) return crossSite;
  const { accountId, id } = who;
  try {
    await deleteUpload(accountId, id);
    return new Response(null, { status: 204 });
  } catch (error) {
    return errorResponse(error);
  }
}
