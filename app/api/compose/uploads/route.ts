// POST /api/compose/uploads – one attachment for the composer, sent as the
// raw request body (so the browser can report upload progress); the file
// name travels URL-encoded in X-Filename. Answers the upload's id, name,
// type and size as JSON, or 413 with the limit when the file is too large.
import { UserError } from "@/lib/errors";
import { formatBytes, maxAttachmentBytes, saveUpload } from "@/lib/compose/uploads";
import { errorResponse, refuseCrossSite, sessionAccountId } from "@/app/_server/mail";

export const dynamic = "force-dynamic";

async function readBody(request: Request, limit: number, name: string): Promise<Buffer> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  const tooLarge = () =>
    new UserError(
      "too_large",
      `${name} is too large: attachments can be at most ${formatBytes(limit)}.`,
    );
  if (declared > limit) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    // The declared length can lie: count what actually arrives.
    if (total > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

export async function POST(request: Request) {
  const accountId = await sessionAccountId();
  if (!accountId) return new Response("Sign in first.", { status: 401 });
  const crossSite = refuseCrossSite(request);
  if (crossSite) return crossSite;
  try {
    let filename = "attachment";
    try {
      filename = decodeURIComponent(request.headers.get("x-filename") ?? "attachment");
    } catch {
      // A malformed escape: keep the default name.
    }
    const content = await readBody(request, maxAttachmentBytes(), filename);
    const upload = await saveUpload(accountId, {
      filename,
      contentType: request.headers.get("content-type") ?? "application/octet-stream",
      content,
    });
    return Response.json(upload, { status: 201 });
  } catch (error) {
    return errorResponse(error);
  }
}
