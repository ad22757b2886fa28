// POST /api/compose/drafts – saves the composer's draft, as JSON
// {compositionId, draftId, input}; answers {draftId}. A plain route, not a
// server action, so the composer can send it with `keepalive` when the tab
// closes or navigates away (the request outlives the page) and retry it
// after a network error. A save that arrives after the composition was sent
// is refused and keeps no copy (lib/compose/draft-composition.ts).
import { z } from "zod";
import { UserError } from "@/lib/errors";
import { saveDraft } from "@/lib/compose/drafts";
import { composeSchema } from "@/lib/compose/model";
import { errorResponse } from "@/app/_server/mail";
import { readJsonMutation } from "@/app/_server/json-request";

export const dynamic = "force-dynamic";

const draftSave = z.object({
  compositionId: z.uuid(),
  draftId: z.uuid().nullable(),
  input: z.unknown(),
});

export async function POST(request: Request) {
  const read = await readJsonMutation(request);
  if (read instanceof Response) return read;
  try {
    const body = draftSave.parse(read.body);
    const input = composeSchema.parse(body.input);
    const draftId = await saveDraft(read.accountId, input, body.draftId, body.compositionId);
    return Response.json({ draftId });
  } catch (error) {
    if (error instanceof z.ZodError) {
      const issue = error.issues[0];
      return errorResponse(
        new UserError(
          "invalid_input",
          issue ? `${issue.path.join(" ")}: ${issue.message}` : "That draft was not valid.",
        ),
      );
    }
    return errorResponse(error);
  }
}
