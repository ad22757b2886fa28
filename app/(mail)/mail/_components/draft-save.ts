// Draft saves leave the composer through POST /api/compose/drafts. While the
// page lives, a save that cannot reach the server is retried (network errors
// and server faults, not refusals); when the page goes away (tab closed,
// navigation), the last save goes out with `keepalive`, which lets the
// request finish after the page is gone (Fetch standard; the browser allows
// up to 64 KiB of such bodies in flight).
export type DraftSave = { compositionId: string; draftId: string | null; input: unknown };
export type DraftSaveResult =
  { ok: true; draftId: string } | { ok: false; error: string; retryable: boolean };

/** The largest body a keepalive request may carry (Chromium and the Fetch standard: 64 KiB). */
export const KEEPALIVE_LIMIT_BYTES = 60 * 1024;
/** Pauses before the second and third tries of a save that failed to reach the server. */
export const RETRY_DELAYS_MS = [1000, 3000];

async function post(save: DraftSave, keepalive: boolean): Promise<DraftSaveResult> {
  const body = JSON.stringify(save);
  try {
    const response = await fetch("/api/compose/drafts", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      keepalive: keepalive && body.length <= KEEPALIVE_LIMIT_BYTES,
    });
    if (response.ok)
      return { ok: true, draftId: ((await response.json()) as { draftId: string }).draftId };
    if (response.status === 401) {
      return {
        ok: false,
        error: "You were signed out. Sign in again in another tab.",
        retryable: true,
      };
    }
    const text = await response.text();
    return {
      ok: false,
      error: response.status >= 500 ? "The server could not save it." : text,
      retryable: response.status >= 500,
    };
  } catch {
    return { ok: false, error: "The server could not be reached.", retryable: true };
  }
}

/** One save, tried again after RETRY_DELAYS_MS while it fails to reach the server. */
export async function saveDraftWithRetry(save: () => DraftSave): Promise<DraftSaveResult> {
  let result = await post(save(), false);
  for (const delay of RETRY_DELAYS_MS) {
    if (result.ok || !result.retryable) return result;
    await new Promise((r) => setTimeout(r, delay));
    result = await post(save(), false);
  }
  return result;
}

/** The save of a page that is going away: sent with keepalive, not awaited. */
export function saveDraftOnLeave(save: DraftSave): void {
  void post(save, true);
}

/** True when saveDraftOnLeave cannot carry this draft (the browser should ask before leaving). */
export function tooLargeForLeave(save: DraftSave): boolean {
  return JSON.stringify(save).length > KEEPALIVE_LIMIT_BYTES;
}
