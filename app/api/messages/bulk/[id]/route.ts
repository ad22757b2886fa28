// GET /api/messages/bulk/<id> – a bulk job's progress {status, done, total,
// label, error}. A job whose runner died (its lease ran out) is taken over
// by this instance, so a poll on any instance keeps it going.
import { getBulkJob, runBulkJob } from "@/lib/store/bulk-jobs";
import { errorResponse, sessionAccountId } from "@/app/_server/mail";

export const dynamic = "force-dynamic";

export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  const accountId = await sessionAccountId();
  if (!accountId) return new Response("Sign in first.", { status: 401 });
  try {
    const { id } = await params;
    const { stalled, ...progress } = await getBulkJob(accountId, id);
    if (stalled) void runBulkJob(accountId, id);
    return Response.json(progress, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(error);
  }
}
