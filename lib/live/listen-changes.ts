// One dedicated Postgres connection per process LISTENs on the mail_changes
// channel and hands each notification to the subscribers of its account.
// The connection is opened on the first subscription and closed when the
// last one leaves; when it drops, it is re-opened with backoff and every
// subscriber gets a "resync" (notifications sent meanwhile are lost, so
// clients must re-read rather than trust their state).
import pg from "pg";
import { databaseUrl } from "../db.ts";
import { MAIL_CHANGES_CHANNEL, parseMailChange } from "../store/changes.ts";

export type LiveChange = {
  accountId: string;
  /** The folder that changed; null for "re-read everything". */
  mailboxId: string | null;
  /**
   * "new", "added", "removed", "flags", "mailbox" (lib/store), "resync", or
   * "app_password_revoked" (lib/auth/app-passwords.ts, with appPasswordId).
   */
  kind: string;
  appPasswordId?: string;
};

type Listener = (change: LiveChange) => void;

/** Longest wait between reconnection attempts. */
const MAX_BACKOFF_MS = 10_000;

/** Parses any lib/store notification; null for payloads that are not ours. */
export function parseLiveChange(payload: string | undefined): LiveChange | null {
  const revoked = parseRevocation(payload);
  if (revoked) return revoked;
  const change = parseMailChange(payload);
  return change && { accountId: change.accountId, mailboxId: change.mailboxId, kind: change.kind };
}

/** A revoked app password's notification: {accountId, kind: "app_password_revoked", appPasswordId}. */
function parseRevocation(payload: string | undefined): LiveChange | null {
  if (!payload?.includes('"app_password_revoked"')) return null;
  try {
    const value = JSON.parse(payload) as Record<string, unknown>;
    if (typeof value.accountId !== "string" || typeof value.appPasswordId !== "string") return null;
    if (value.kind !== "app_password_revoked") return null;
    return {
      accountId: value.accountId,
      mailboxId: null,
      kind: "app_password_revoked",
      appPasswordId: value.appPasswordId,
    };
  } catch {
    return null;
  }
}

class ChangeHub {
  private readonly subscribers = new Map<string, Set<Listener>>();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private backoffMs = 250;
  private retryTimer: NodeJS.Timeout | null = null;

  subscribe(
    accountId: string,
    listener: Listener,
  ): { unsubscribe: () => void; ready: Promise<void> } {
    let set = this.subscribers.get(accountId);
    if (!set) {
      set = new Set();
      this.subscribers.set(accountId, set);
    }
    set.add(listener);
    const ready = this.ensureConnected();
    const unsubscribe = () => {
      const current = this.subscribers.get(accountId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.subscribers.delete(accountId);
      if (this.subscribers.size === 0) this.close();
    };
    return { unsubscribe, ready };
  }

  /** The LISTEN connection is up: every change committed now is heard. */
  get listening(): boolean {
    return this.client !== null;
  }

  private emit(change: LiveChange): void {
    for (const listener of this.subscribers.get(change.accountId) ?? []) {
      try {
        listener(change);
      } catch (error) {
        console.error("live: subscriber failed", error);
      }
    }
  }

  private ensureConnected(): Promise<void> {
    if (this.client || this.connecting) return this.connecting ?? Promise.resolve();
    this.connecting = this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: databaseUrl() });
    let dropped = false;
    const onDrop = (error?: Error) => {
      if (dropped) return;
      dropped = true;
      if (error) console.error("live: LISTEN connection lost:", error.message);
      if (this.client === client) this.client = null;
      client.removeAllListeners();
      client.on("error", () => {});
      void client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on("error", onDrop);
    client.on("end", () => onDrop());
    client.on("notification", (message) => {
      if (message.channel !== MAIL_CHANGES_CHANNEL) return;
      const change = parseLiveChange(message.payload);
      if (change) this.emit(change);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${MAIL_CHANGES_CHANNEL}`);
    } catch (error) {
      onDrop(error as Error);
      return;
    }
    if (this.subscribers.size === 0) {
      // Everyone left while we were connecting.
      dropped = true;
      client.removeAllListeners();
      client.on("error", () => {});
      await client.end().catch(() => {});
      return;
    }
    const wasReconnect = this.backoffMs > 250;
    this.backoffMs = 250;
    this.client = client;
    if (wasReconnect) {
      for (const accountId of this.subscribers.keys())
        this.emit({ accountId, mailboxId: null, kind: "resync" });
    }
  }

  private scheduleReconnect(): void {
    if (this.subscribers.size === 0 || this.retryTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.ensureConnected();
    }, delay);
    this.retryTimer.unref();
  }

  private close(): void {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners();
      client.on("error", () => {});
      void client.end().catch(() => {});
    }
  }
}

// One hub per process, kept on globalThis so Next's module copies share it.
const globalForLive = globalThis as unknown as { __mailChangeHub?: ChangeHub };

/**
 * Calls `listener` for each committed change of the account's mail until
 * `unsubscribe` is called. `ready` resolves once the LISTEN is in place (or
 * the first attempt failed and a retry is scheduled): changes committed
 * after that are heard. The listener must be quick (it runs on the LISTEN
 * connection's event); it may be called with kind "resync".
 */
export function subscribeToChanges(
  accountId: string,
  listener: Listener,
): { unsubscribe: () => void; ready: Promise<void> } {
  globalForLive.__mailChangeHub ??= new ChangeHub();
  return globalForLive.__mailChangeHub.subscribe(accountId, listener);
}

/**
 * Whether changes are being heard right now. While the LISTEN connection is
 * down (until its reconnection sends "resync"), notifications are lost: a
 * client that skips re-reading because it heard of no change must re-read.
 */
export function hearingChanges(): boolean {
  return globalForLive.__mailChangeHub?.listening ?? false;
}
