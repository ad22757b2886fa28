// POST /api/messages/flags – read/unread and flagged on a selection, as JSON
// {ids, seen?, flagged?, undo?}; answers {count} (how many changed), and with
// undo (read/unread only) the toast's {undo} offer. A plain route,
// not a server action: the webmail sends these one after another and waits
// for each answer, and a fetch always settles, where Next.js can leave a
// server action pending or start the next one first when a navigation
// interrupts it (vercel/next.js#74246), applying "unread, read" as
// "read, unread".
import { z } from "zod";
import { UserError } from "@/lib/errors";
import { MAX_MESSAGES_PER_CHANGE } from "@/lib/store/lock-messages";
import { changeWithUndo } from "@/lib/store/undo";
import { updateFlags } from "@/lib/store/update-flags";
import { errorResponse, readJsonChange } from "@/app/_server/mail";
import { toUndoDto } from "@/app/_server/undo";

export const dynamic = "force-dynamic";

const flagChange = z
  .object({
    ids: z.array(z.uuid()).min(1).max(MAX_MESSAGES_PER_CHANGE),
    seen: z.boolean().optional(),
    flagged: z.boolean().optional(),
    // Mark read / unread from the toolbar: record it so the toast can undo it.
    undo: z.boolean().optional(),
  })
  .strict()
  .refine((c) => c.seen !== undefined || c.flagged !== undefined, "Say seen or flagged.");

const badRequest = (message: string) => errorResponse(new UserError("invalid_input", message));

export async function POST(request: Request) {
  const read = await readJsonChange(request, "change");
  if (read instanceof Response) return read;
  const { accountId, input } = read;
  const change = flagChange.safeParse(input);
  if (!change.success) return badRequest("That request was not valid.");
  try {
    const { ids, seen, flagged, undo } = change.data;
    if (undo && seen !== undefined && flagged === undefined) {
      const outcome = await changeWithUndo(accountId, ids, { kind: "seen", seen });
      return Response.json({ count: outcome.count, undo: toUndoDto(outcome.undo) });
    }
    return Response.json({ count: await updateFlags(accountId, ids, { seen, flagged }) });
  } catch (error) {
    return errorResponse(error);
  }
}
