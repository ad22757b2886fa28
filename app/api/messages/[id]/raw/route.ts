// GET /api/messages/:id/raw – "View original": the message exactly as
// stored, as plain text (?download=1: as an .eml file).
import { getRawMessageOrThrow } from "@/lib/store/get-message";
import { errorResponse, sessionAccountId } from "@/app/_server/mail";
import { CONTENT_SAFETY_HEADERS, contentDisposition } from "@/app/_server/mail-documents";

export const dynamic = "force-dynamic";

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const accountId = await sessionAccountId();
  if (!accountId) return new Response("Sign in first.", { status: 401 });
  try {
    const { id } = await params;
    const { raw, subject } = await getRawMessageOrThrow(accountId, id);
    const download = new URL(request.url).searchParams.get("download") === "1";
    const name = `${(subject || "message").slice(0, 80)}.eml`;
    return new Response(new Uint8Array(raw), {
      headers: {
        ...CONTENT_SAFETY_HEADERS,
        "content-type": download ? "message/rfc822" : "text/plain; charset=utf-8",
        "content-disposition": contentDisposition(download ? "attachment" : "inline", name),
        "content-security-policy": "sandbox; default-src 'none'",
      },
    });
  } catch (error) {
    return errorResponse(error);
  }
}
