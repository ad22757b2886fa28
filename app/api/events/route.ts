// GET /api/events – server-sent events: "something changed in folder X" for
// the signed-in account, fed by Postgres LISTEN (lib/live), so a change made
// by any web instance or the gateway reaches every open tab.
import { getSessionAccount } from "@/lib/accounts/web-sessions";
import { subscribeToChanges } from "@/lib/live";
import { getCurrentAccount } from "@/app/_server/session";

export const dynamic = "force-dynamic";

// Comment lines keep proxies from closing an idle stream; each beat also
// re-checks the session, so a signed-out session or a disabled account stops
// hearing within one.
const HEARTBEAT_MS = 25_000;

export async function GET(request: Request): Promise<Response> {
  const account = await getCurrentAccount();
  if (!account) return new Response("Sign in first.", { status: 401 });

  const encoder = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        cleanup();
        try {
          controller.close();
        } catch {
          // Already closed by the client going away.
        }
      };
      const send = (text: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          close();
        }
      };
      // Only the folder and the kind of change travel: the page re-reads
      // what it shows through its normal, account-checked path.
      const { unsubscribe, ready } = subscribeToChanges(account.id, (change) => {
        // Not a change of mail: for the mail sessions that used the app password.
        if (change.kind === "app_password_revoked") return;
        send(
          `event: change\ndata: ${JSON.stringify({ mailboxId: change.mailboxId, kind: change.kind })}\n\n`,
        );
      });
      const heartbeat = setInterval(() => {
        void getSessionAccount({
          accountId: account.id,
          sessionId: account.sessionId,
          sessionVersion: account.sessionVersion,
        })
          .then((still) => (still ? send(": ping\n\n") : close()))
          .catch(() => send(": ping\n\n"));
      }, HEARTBEAT_MS);
      cleanup = () => {
        clearInterval(heartbeat);
        unsubscribe();
      };
      request.signal.addEventListener("abort", close);
      // "ready" tells the client that changes from now on will be heard.
      void ready.then(() => send("retry: 3000\nevent: ready\ndata: {}\n\n"));
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      // no-transform: the server's gzip would otherwise buffer the events.
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
      "x-content-type-options": "nosniff",
    },
  });
}
