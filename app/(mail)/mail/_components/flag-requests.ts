// Read/unread and flag changes leave this tab one at a time, in the order the
// user made them: each request waits for the previous one's answer. Two
// changes in flight at once could reach the server in either order and leave
// a message read that the user had just marked unread. A fetch always
// settles (the timeout bounds it), so one lost request cannot hold the rest.
import type { UndoDto } from "@/app/_server/undo";

export type FlagChange = { seen?: boolean; flagged?: boolean };
export type FlagResult =
  { ok: true; count: number; undo?: UndoDto | null } | { ok: false; error: string };

const REQUEST_TIMEOUT_MS = 30_000;

let tail: Promise<unknown> = Promise.resolve();
let pending = 0;

async function post(ids: string[], change: FlagChange & { undo?: boolean }): Promise<FlagResult> {
  try {
    const response = await fetch("/api/messages/flags", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ids, ...change }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (response.ok) {
      return { ok: true, ...((await response.json()) as { count: number; undo?: UndoDto | null }) };
    }
    const message = response.status === 401 ? "" : await response.text();
    return { ok: false, error: message || `The change was not saved (HTTP ${response.status}).` };
  } catch {
    return { ok: false, error: "The change could not reach the server. Try again." };
  }
}

/** Queues the change behind this tab's earlier ones; resolves with its outcome, never rejects. */
export function sendFlagChange(
  ids: string[],
  change: FlagChange & { undo?: boolean },
): Promise<FlagResult> {
  pending += 1;
  const result = tail.then(() => post(ids, change));
  tail = result.finally(() => {
    pending -= 1;
  });
  return result;
}

/** No flag change of this tab is waiting or in flight. */
export function flagChangesSettled(): boolean {
  return pending === 0;
}
