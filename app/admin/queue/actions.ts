"use server";

// Outbound queue actions on picked rows or on every row of a filter: each
// checks the admin role itself, parses its input with zod, makes one lib
// call (lib/admin/queue.ts), audits it and refreshes the page.
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { auditAdminAction, requireAdmin } from "@/app/_server/admin";
import {
  bounceNow,
  deleteFromQueue,
  MAX_BULK_ROWS,
  QUEUE_STATUSES,
  retryNow,
  type QueueTarget,
} from "@/lib/admin/queue";

export type QueueActionState = { ok: true; message: string } | { ok: false; error: string };

const filterSchema = z.object({
  status: z.enum(QUEUE_STATUSES).optional(),
  domain: z.string().trim().max(253).optional(),
  search: z.string().trim().max(320).optional(),
});
const targetSchema = z.union([
  z.object({ ids: z.array(z.uuid()).min(1).max(MAX_BULK_ROWS) }),
  z.object({ filter: filterSchema }),
]);
const verbSchema = z.enum(["retry", "bounce", "delete"]);

const DONE = { retry: "retried", bounce: "bounced", delete: "deleted" } as const;

export async function queueAction(verb: string, target: unknown): Promise<QueueActionState> {
  const admin = await requireAdmin();
  const parsedVerb = verbSchema.safeParse(verb);
  const parsedTarget = targetSchema.safeParse(target);
  if (!parsedVerb.success || !parsedTarget.success) {
    return { ok: false, error: "That request was not valid." };
  }
  const what: QueueTarget = parsedTarget.data;
  const run = { retry: retryNow, bounce: bounceNow, delete: deleteFromQueue }[parsedVerb.data];
  const result = await run(what);
  await auditAdminAction(
    admin,
    `queue.${parsedVerb.data}`,
    "ids" in what ? `${what.ids.length} selected` : "filter",
    { ...what, changed: result.changed, skipped: result.skipped },
  );
  revalidatePath("/admin/queue");
  const skipped = result.skipped
    ? ` ${result.skipped} skipped: being delivered right now (try again in a moment).`
    : "";
  return {
    ok: true,
    message: `${result.changed} ${result.changed === 1 ? "recipient" : "recipients"} ${DONE[parsedVerb.data]}.${skipped}`,
  };
}
