// POST /api/messages/bulk – "select all N" and an action on them, as JSON
// {folderId | query, change, total}: one job row (lib/store/bulk-jobs.ts),
// run from here without waiting; answers {id} at once. The page polls
// GET /api/messages/bulk/<id> for its progress.
import { z } from "zod";
import { UserError } from "@/lib/errors";
import { createBulkJob, runBulkJob } from "@/lib/store/bulk-jobs";
import { errorResponse } from "@/app/_server/mail";
import { readJsonMutation } from "@/app/_server/json-request";

export const dynamic = "force-dynamic";

const bulkRequest = z
  .object({
    folderId: z.uuid().nullable(),
    query: z.string().max(500),
    change: z.object({ kind: z.string() }).loose(),
    total: z.number().int().min(0),
  })
  .refine((r) => r.folderId !== null || r.query.trim() !== "", "Say a folder or a search.");

export async function POST(request: Request) {
  const read = await readJsonMutation(request);
  if (read instanceof Response) return read;
  try {
    const body = bulkRequest.parse(read.body);
    const scope =
      body.query.trim() !== ""
        ? { folderId: null, query: body.query.trim() }
        : { folderId: body.folderId!, query: null };
    const id = await createBulkJob(read.accountId, scope, body.change as never, body.total);
    // Not awaited: the job runs on in this process; polls report it.
    void runBulkJob(read.accountId, id);
    return Response.json({ id });
  } catch (error) {
    if (error instanceof z.ZodError) {
      return errorResponse(new UserError("invalid_input", "That request was not valid."));
    }
    return errorResponse(error);
  }
}
