// GET /api/messages/:id/frame – a message's HTML body, sanitized, as the
// document of the reading pane's sandboxed iframe (?images=1: remote images
// allowed by the user for this message).
import { getMessageHtmlOrThrow } from "@/lib/store/get-message";
import { errorResponse, sessionAccountId } from "@/app/_server/mail";
import {
  CONTENT_SAFETY_HEADERS,
  frameCsp,
  frameDocument,
  requestOrigin,
  sanitizeMessageBody,
} from "@/app/_server/mail-documents";

export const dynamic = "force-dynamic";

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const accountId = await sessionAccountId();
  if (!accountId) return new Response("Sign in first.", { status: 401 });
  try {
    const { id } = await params;
    const remoteImages = new URL(request.url).searchParams.get("images") === "1";
    const message = await getMessageHtmlOrThrow(accountId, id);
    const body = sanitizeMessageBody(message.html ?? "", accountId, id, message.attachments);
    return new Response(frameDocument(body), {
      headers: {
        ...CONTENT_SAFETY_HEADERS,
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": frameCsp(requestOrigin(request), remoteImages),
        "x-frame-options": "SAMEORIGIN",
      },
    });
  } catch (error) {
    return errorResponse(error);
  }
}
