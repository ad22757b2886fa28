// Wakes a relay worker when mail is queued: one dedicated Postgres
// connection LISTENs on outbound_queued (sent by enqueueStatement at commit,
// from whichever web or gateway instance queued it). When the connection
// drops it is re-opened with backoff, and the worker is woken once it is
// back, since notifications sent meanwhile are lost. Retries and scheduled
// sends fall due without a notification: the worker's own timer (nextDueAt)
// covers those.
import pg from "pg";
import { databaseUrl } from "../db.ts";
import { OUTBOUND_QUEUED_CHANNEL } from "./enqueue.ts";

const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;

export type QueueListener = {
  /** Resolves once the first LISTEN is in place (or failed and a retry is scheduled). */
  ready: Promise<void>;
  close(): Promise<void>;
};

export function listenForQueuedMail(
  onQueued: () => void,
  log: (line: string) => void = console.error,
): QueueListener {
  let client: pg.Client | null = null;
  let closed = false;
  let backoffMs = FIRST_BACKOFF_MS;
  let retryTimer: NodeJS.Timeout | null = null;

  const connect = async (): Promise<void> => {
    if (closed) return;
    const current = new pg.Client({ connectionString: databaseUrl() });
    let dropped = false;
    const onDrop = (error?: Error) => {
      if (dropped) return;
      dropped = true;
      if (client === current) client = null;
      current.removeAllListeners();
      current.on("error", () => {});
      void current.end().catch(() => {});
      if (closed) return;
      if (error) log(`relay: LISTEN ${OUTBOUND_QUEUED_CHANNEL} lost: ${error.message}`);
      retryTimer = setTimeout(() => {
        retryTimer = null;
        void connect();
      }, backoffMs);
      retryTimer.unref();
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    };
    current.on("error", onDrop);
    current.on("end", () => onDrop());
    current.on("notification", (message) => {
      if (message.channel === OUTBOUND_QUEUED_CHANNEL) onQueued();
    });
    try {
      await current.connect();
      await current.query(`LISTEN ${OUTBOUND_QUEUED_CHANNEL}`);
    } catch (error) {
      onDrop(error as Error);
      return;
    }
    if (closed) {
      dropped = true;
      current.removeAllListeners();
      current.on("error", () => {});
      await current.end().catch(() => {});
      return;
    }
    client = current;
    // Anything queued while we were not listening is found by this wake-up.
    if (backoffMs > FIRST_BACKOFF_MS) onQueued();
    backoffMs = FIRST_BACKOFF_MS;
  };

  const ready = connect();
  return {
    ready,
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      await ready;
      const current = client;
      client = null;
      if (current) {
        current.removeAllListeners();
        current.on("error", () => {});
        await current.end().catch(() => {});
      }
    },
  };
}
